package process

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"tide/internal/runtime"
)

// cpuPeriod is the cgroup CPU period, in microseconds, that cpu.max quotas
// are written against.
const cpuPeriod = 100000

// oomReason is what ECS reports for a container the kernel killed for
// exceeding its memory limit.
const oomReason = "OutOfMemoryError: Container killed due to memory usage"

// cgroups puts containers into cgroup v2 groups under one parent directory
// that the runtime owns, to limit them and to measure them there. The zero
// value, with no parent, means cgroups are not used.
type cgroups struct {
	parent string
}

// enabled reports whether containers get cgroups.
func (cg cgroups) enabled() bool { return cg.parent != "" }

// detectCgroups finds the cgroup v2 hierarchy and makes the runtime's parent
// group, <mount>/tide, with the cpu and memory controllers enabled for its
// children. It fails where there is no v2 hierarchy, where the hierarchy
// lacks those controllers (a v1 or hybrid host binds them to v1), or where
// the runtime may not write there (not root, or nested in a container).
func detectCgroups() (cgroups, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return cgroups{}, err
	}
	mount := cgroup2Mount(b)
	if mount == "" {
		return cgroups{}, errors.New("no cgroup v2 hierarchy is mounted")
	}
	return makeParent(mount, "tide")
}

// cgroup2Mount finds the mount point of the cgroup2 file system in the
// content of /proc/self/mountinfo.
func cgroup2Mount(mountinfo []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if ok && len(pf) >= 5 && len(qf) > 0 && qf[0] == "cgroup2" {
			return pf[4]
		}
	}
	return ""
}

// makeParent creates the group name under the hierarchy mounted at mount
// and enables cpu and memory for its children.
func makeParent(mount, name string) (cgroups, error) {
	b, err := os.ReadFile(filepath.Join(mount, "cgroup.controllers"))
	if err != nil {
		return cgroups{}, err
	}
	have := strings.Fields(string(b))
	if !slices.Contains(have, "cpu") || !slices.Contains(have, "memory") {
		return cgroups{}, fmt.Errorf("cgroup v2 at %s has controllers %q, not cpu and memory", mount, have)
	}
	if err := enableControllers(mount); err != nil {
		return cgroups{}, err
	}
	parent := filepath.Join(mount, name)
	if err := os.Mkdir(parent, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return cgroups{}, fmt.Errorf("create cgroup: %w", err)
	}
	if err := enableControllers(parent); err != nil {
		return cgroups{}, err
	}
	return cgroups{parent: parent}, nil
}

// enableControllers enables cpu and memory in dir's cgroup.subtree_control
// unless they already are.
func enableControllers(dir string) error {
	path := filepath.Join(dir, "cgroup.subtree_control")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	on := strings.Fields(string(b))
	if slices.Contains(on, "cpu") && slices.Contains(on, "memory") {
		return nil
	}
	if err := os.WriteFile(path, []byte("+cpu +memory"), 0o644); err != nil {
		return fmt.Errorf("enable cgroup controllers in %s: %w", dir, err)
	}
	return nil
}

// create makes a container's group with its limits: cpu.max from the CPU
// units (1024 units are one core), memory.max from the hard memory limit
// and memory.low from the reservation.
func (cg cgroups) create(name string, c runtime.ContainerSpec) (string, error) {
	dir := filepath.Join(cg.parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("create cgroup: %w", err)
	}
	var limits [][2]string
	if c.CPU > 0 {
		quota := max(int64(c.CPU)*cpuPeriod/1024, 1000)
		limits = append(limits, [2]string{"cpu.max", fmt.Sprintf("%d %d", quota, cpuPeriod)})
	}
	if c.Memory > 0 {
		limits = append(limits, [2]string{"memory.max", strconv.FormatInt(int64(c.Memory)<<20, 10)})
	}
	if c.MemoryReservation > 0 {
		limits = append(limits, [2]string{"memory.low", strconv.FormatInt(int64(c.MemoryReservation)<<20, 10)})
	}
	for _, l := range limits {
		if err := os.WriteFile(filepath.Join(dir, l[0]), []byte(l[1]), 0o644); err != nil {
			return dir, fmt.Errorf("set cgroup %s: %w", l[0], err)
		}
	}
	return dir, nil
}

// addProcess moves pid into the group at dir; its later children are born
// there.
func addProcess(dir string, pid int) error {
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("join cgroup: %w", err)
	}
	return nil
}

// cgroupUsage reads the cumulative CPU time and current memory of the
// group at dir.
func cgroupUsage(dir string) (cpuNanos, memBytes uint64, err error) {
	usec, err := keyedValue(filepath.Join(dir, "cpu.stat"), "usage_usec")
	if err != nil {
		return 0, 0, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "memory.current"))
	if err != nil {
		return 0, 0, err
	}
	mem, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("memory.current: %w", err)
	}
	return usec * 1000, mem, nil
}

// oomKilled reports whether the kernel killed a process of the group at dir
// for exceeding memory.max.
func oomKilled(dir string) bool {
	n, err := keyedValue(filepath.Join(dir, "memory.events"), "oom_kill")
	return err == nil && n > 0
}

// killCgroup kills every process of the group at dir, wherever they moved
// their process group (cgroup.kill needs Linux 5.14).
func killCgroup(dir string) error {
	err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0o644)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kill cgroup: %w", err)
	}
	return nil
}

// removeCgroup removes the empty group at dir. The kernel may take a moment
// to let go of a group whose last process just died, so it retries briefly.
func removeCgroup(dir string) error {
	var err error
	for range 50 {
		err = os.Remove(dir)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("remove cgroup: %w", err)
}

// keyedValue reads the value of key in a cgroup "key value" file.
func keyedValue(path, key string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, key)
}
