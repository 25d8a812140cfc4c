package process

import (
	"fmt"

	"golang.org/x/sys/unix"

	"tide/internal/runtime"
)

// rlimitResource maps an ECS ulimit name to a Linux resource.
func rlimitResource(name string) (int, bool) {
	switch name {
	case "core":
		return unix.RLIMIT_CORE, true
	case "cpu":
		return unix.RLIMIT_CPU, true
	case "data":
		return unix.RLIMIT_DATA, true
	case "fsize":
		return unix.RLIMIT_FSIZE, true
	case "locks":
		return unix.RLIMIT_LOCKS, true
	case "memlock":
		return unix.RLIMIT_MEMLOCK, true
	case "msgqueue":
		return unix.RLIMIT_MSGQUEUE, true
	case "nice":
		return unix.RLIMIT_NICE, true
	case "nofile":
		return unix.RLIMIT_NOFILE, true
	case "nproc":
		return unix.RLIMIT_NPROC, true
	case "rss":
		return unix.RLIMIT_RSS, true
	case "rtprio":
		return unix.RLIMIT_RTPRIO, true
	case "rttime":
		return unix.RLIMIT_RTTIME, true
	case "sigpending":
		return unix.RLIMIT_SIGPENDING, true
	case "stack":
		return unix.RLIMIT_STACK, true
	}
	return 0, false
}

// setUlimits applies ulimits to the process pid (the supervisor, before it
// starts the command, which inherits them).
func setUlimits(pid int, ulimits []runtime.Ulimit) error {
	for _, u := range ulimits {
		res, ok := rlimitResource(u.Name)
		if !ok {
			return fmt.Errorf("unknown ulimit %q", u.Name)
		}
		lim := unix.Rlimit{Cur: rlimitValue(u.Soft), Max: rlimitValue(u.Hard)}
		if err := unix.Prlimit(pid, res, &lim, nil); err != nil {
			return fmt.Errorf("set ulimit %s=%d:%d: %w", u.Name, u.Soft, u.Hard, err)
		}
	}
	return nil
}

// rlimitValue maps a negative limit to unlimited, as Docker's -1 does.
func rlimitValue(v int64) uint64 {
	if v < 0 {
		return unix.RLIM_INFINITY
	}
	return uint64(v)
}

// clockTicks is the kernel's USER_HZ, the unit of CPU times in /proc, as
// sysconf(_SC_CLK_TCK) finds it: in the ELF auxiliary vector (AT_CLKTCK).
func clockTicks() uint64 {
	const atClkTck = 17
	if auxv, err := unix.Auxv(); err == nil {
		for _, kv := range auxv {
			if kv[0] == atClkTck && kv[1] > 0 {
				return uint64(kv[1])
			}
		}
	}
	return 100
}
