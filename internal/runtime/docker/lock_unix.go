//go:build unix

package docker

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on f if no other open file
// holds one, without waiting. Closing f releases it. Two copiers of one
// container's output, in one process or two, thus never write at once.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
