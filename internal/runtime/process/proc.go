package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// procInfo is what the runtime reads from /proc/PID/stat.
type procInfo struct {
	pid        int
	ppid       int
	pgid       int
	state      byte
	startTicks uint64 // field 22: start time, in clock ticks after boot
	cpuTicks   uint64 // utime+stime+cutime+cstime: own and reaped children's CPU
	rssPages   uint64
}

// dead reports whether the process has exited (a zombie waiting to be
// reaped has).
func (p procInfo) dead() bool { return p.state == 'Z' || p.state == 'X' || p.state == 'x' }

// parseStat parses the content of /proc/PID/stat. The command name, in
// parentheses, may hold spaces and parentheses itself, so the fields are
// counted from the last ')'.
func parseStat(b []byte) (procInfo, error) {
	var p procInfo
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return p, errors.New("malformed stat")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return p, fmt.Errorf("malformed stat pid: %w", err)
	}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state); field N is f[N-3].
	if len(f) < 22 || len(f[0]) != 1 {
		return p, errors.New("malformed stat: short")
	}
	num := func(field int) uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = strconv.ParseUint(string(f[field-3]), 10, 64)
		return v
	}
	p.pid = pid
	p.state = f[0][0]
	p.ppid = int(num(4))
	p.pgid = int(num(5))
	p.cpuTicks = num(14) + num(15) + num(16) + num(17)
	p.startTicks = num(22)
	p.rssPages = num(24)
	if err != nil {
		return p, fmt.Errorf("malformed stat: %w", err)
	}
	return p, nil
}

// readProc reads one process's stat.
func readProc(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	return parseStat(b)
}

// alive reports whether the process started as pid at startTicks still runs.
func alive(pid int, startTicks uint64) bool {
	if pid <= 0 {
		return false
	}
	p, err := readProc(pid)
	return err == nil && p.startTicks == startTicks && !p.dead()
}

// groupUse is the summed use of one process group's live processes.
type groupUse struct {
	members  int
	cpuTicks uint64
	rssPages uint64
}

// scanGroups reads every process in /proc once and sums their use by
// process group, leaving out the processes in skip (the supervisors, whose
// use is the runtime's, not the container's).
func scanGroups(skip map[int]bool) map[int]groupUse {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	use := make(map[int]groupUse)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		p, err := readProc(pid)
		if err != nil || p.dead() {
			continue // it exited while we looked
		}
		g := use[p.pgid]
		g.members++
		g.cpuTicks += p.cpuTicks
		g.rssPages += p.rssPages
		use[p.pgid] = g
	}
	return use
}

// children lists the live child processes of pid.
func children(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readProc(child); err == nil && p.ppid == pid && !p.dead() {
			out = append(out, child)
		}
	}
	return out
}

// groupMembers counts the live processes in process group pgid.
func groupMembers(pgid int) int {
	return scanGroups(nil)[pgid].members
}

// waitFor polls done, more slowly as time goes on, until it holds (true),
// the timeout passes or ctx ends (false).
func waitFor(ctx context.Context, timeout time.Duration, done func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	delay := 5 * time.Millisecond
	for !done() {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-deadline.C:
			t.Stop()
			return done()
		case <-t.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
	return true
}
