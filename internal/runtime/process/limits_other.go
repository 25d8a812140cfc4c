//go:build !linux

package process

import (
	"errors"

	"tide/internal/runtime"
)

// setUlimits fails where there is no prlimit: the process runtime needs
// Linux, and New says so; this only keeps the package building elsewhere.
func setUlimits(pid int, ulimits []runtime.Ulimit) error {
	if len(ulimits) > 0 {
		return errors.New("ulimits need Linux")
	}
	return nil
}

// clockTicks is USER_HZ; /proc is Linux's anyway.
func clockTicks() uint64 { return 100 }
