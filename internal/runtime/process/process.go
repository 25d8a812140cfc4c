// Package process is the runtime that runs a task's containers as host
// processes, for machines without Docker and for fast tests. The image is
// not used: a container's EntryPoint followed by its Command is run in exec
// form (no shell; a first word without a slash is looked up in PATH), with
// the agent's PATH and HOME, the container's environment, PORT (the host
// port of its first port mapping) and PORT_<containerPort> for every
// mapping, in its WorkingDirectory (which must exist; the agent's when
// unset), with no open files but its output (LogDir/<name>.log, or
// /dev/null). A host port 0 gets a free port; every binding is reported on
// 0.0.0.0, and no IPAddress is reported: the network mode is ignored, and
// the program listens on the host.
//
// Each container runs in its own session and process group under a tiny
// /bin/sh supervisor, which outlives the agent: the agent may be killed and
// restarted, and a new Runtime on the same directory lists the containers
// again and, later, their exit codes, which the supervisor writes to the
// task's directory when the command ends (128+N for a command killed by
// signal N, as Docker reports: 143 for SIGTERM, 137 for SIGKILL). When the
// command ends, the supervisor kills what is left of its process group, as
// Docker does when a container's main process exits. Stop sends SIGTERM to
// the group, SIGKILL after the container's StopTimeout. A process that
// leaves its process group (setsid, daemons) escapes Stop and the usage
// figures unless cgroups are in use.
//
// CPU and memory usage are the sums of utime+stime (with reaped children)
// and RSS over the processes of the container's group, read from /proc.
// Where a cgroup v2 hierarchy with the cpu and memory controllers is
// writable (normally as root on a cgroup v2 host), each container gets its
// own group under <cgroup mount>/tide with cpu.max from its CPU units
// (1024 units = one core, a hard cap), memory.max from Memory and
// memory.low from MemoryReservation; usage is then read from the group, and
// a container the kernel killed for memory is reported with ECS's
// OutOfMemoryError reason. Elsewhere (cgroup v1 or hybrid hosts, non-root
// agents, nested containers) limits are not enforced and usage comes from
// /proc; New logs which applies.
//
// Health checks (ECS semantics) are run by the Runtime while it lives. Their
// status is not persisted: after an agent restart it starts again from
// UNKNOWN until the next check. Ulimits are applied with prlimit to the
// supervisor before it starts the command (with a User, or to raise a hard
// limit, that needs CAP_SYS_RESOURCE). User is honoured only when the agent
// runs as root and User is a numeric uid or uid:gid (gid 0 when not given,
// as Docker does); otherwise it is ignored and logged.
//
// Start returns once every command runs; if one cannot start, it kills
// what it started and forgets the task.
//
// One Runtime at a time may use a directory. It depends only on the
// runtime interface package and the host (Linux /proc, /bin/sh).
package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"tide/internal/runtime"
)

// shell is the supervisor and CMD-SHELL interpreter.
const shell = "/bin/sh"

// defaultStopTimeout is how long Stop waits after SIGTERM when the
// container does not say.
const defaultStopTimeout = 30 * time.Second

var _ runtime.Runtime = (*Runtime)(nil)

// Runtime runs tasks as host processes, keeping their state under a
// directory.
type Runtime struct {
	dir   string
	log   *slog.Logger
	cg    cgroups
	ticks uint64 // clock ticks per second in /proc CPU times
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup // health check goroutines

	mu       sync.Mutex
	closed   bool
	locks    map[string]*taskLock
	starting map[string]bool      // task ARNs whose Start is under way
	ports    map[portKey]string   // host ports given out, to their task ARNs
	health   map[[2]string]string // (task ARN, container) → health status
}

// taskLock serialises Start, Stop and Remove of one task.
type taskLock struct {
	mu   sync.Mutex
	refs int
}

// portKey is a host port of one protocol.
type portKey struct {
	proto string
	port  int32
}

// New returns a runtime keeping its state in dir, and resumes health checks
// of the containers that an earlier runtime on dir started and that still
// run.
func New(dir string, log *slog.Logger) (*Runtime, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("runtime", "process")
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("process runtime needs Linux /proc: %w", err)
	}
	if _, err := os.Stat(shell); err != nil {
		return nil, fmt.Errorf("process runtime needs %s: %w", shell, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("process runtime dir: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &Runtime{
		dir: dir, log: log, ticks: clockTicks(), ctx: ctx, stop: stop,
		locks: map[string]*taskLock{}, starting: map[string]bool{},
		ports: map[portKey]string{}, health: map[[2]string]string{},
	}
	cg, err := detectCgroups()
	if err != nil {
		log.Info("cgroups unavailable: limits are not enforced, usage is read from /proc", "reason", err)
	} else {
		log.Info("containers get cgroups", "parent", cg.parent)
		r.cg = cg
	}
	tasks, err := r.tasks()
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		for _, cs := range t.state.Containers {
			for _, b := range cs.Bindings {
				r.ports[portKey{b.Protocol, b.HostPort}] = t.state.TaskArn
			}
			if cs.HealthCheck != nil && alive(cs.Pid, cs.StartTicks) {
				r.watch(t.state.TaskArn, cs)
			}
		}
	}
	return r, nil
}

// Name is "process".
func (r *Runtime) Name() string { return "process" }

// Close stops the runtime's health checks. The containers keep running; a
// later Runtime on the same directory finds them. (The goroutines that
// reap the supervisors this process started end with them.)
func (r *Runtime) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stop()
	r.wg.Wait()
}

// lock takes the task's lock and returns its release.
func (r *Runtime) lock(arn string) func() {
	r.mu.Lock()
	l := r.locks[arn]
	if l == nil {
		l = &taskLock{}
		r.locks[arn] = l
	}
	l.refs++
	r.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		r.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(r.locks, arn)
		}
		r.mu.Unlock()
	}
}

// taskDir is where the task's state lives.
func (r *Runtime) taskDir(arn string) string { return filepath.Join(r.dir, taskKey(arn)) }

// storedTask is a task record and its directory.
type storedTask struct {
	dir   string
	state taskState
}

// tasks reads every task record. A directory without one is a Start that
// is under way or that died before writing it; it is skipped.
func (r *Runtime) tasks() ([]storedTask, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	var out []storedTask
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(r.dir, e.Name())
		ts, err := loadTask(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				r.log.Warn("skipping unreadable task", "dir", dir, "err", err)
			}
			continue
		}
		out = append(out, storedTask{dir, ts})
	}
	slices.SortFunc(out, func(a, b storedTask) int { return strings.Compare(a.state.TaskArn, b.state.TaskArn) })
	return out, nil
}

// List reports every task in the directory with fresh state and usage.
func (r *Runtime) List(ctx context.Context) ([]runtime.TaskStatus, error) {
	// Which starts are under way, taken before the records are read: a
	// record read mid-Start (no pid yet) must not look like a Start that died.
	r.mu.Lock()
	starting := make(map[string]bool, len(r.starting))
	for arn := range r.starting {
		starting[arn] = true
	}
	r.mu.Unlock()
	tasks, err := r.tasks()
	if err != nil {
		return nil, err
	}
	// One /proc scan serves every container measured from /proc.
	skip, scan := map[int]bool{}, false
	for _, t := range tasks {
		for _, cs := range t.state.Containers {
			skip[cs.Pid] = true
			scan = scan || cs.Cgroup == ""
		}
	}
	var use map[int]groupUse
	if scan {
		use = scanGroups(skip)
	}
	now := time.Now()
	out := make([]runtime.TaskStatus, 0, len(tasks))
	for _, t := range tasks {
		ts := runtime.TaskStatus{TaskArn: t.state.TaskArn}
		for i, cs := range t.state.Containers {
			st := r.status(t.state.TaskArn, cs, exitPath(t.dir, i), starting[t.state.TaskArn])
			if st.State == runtime.StateRunning {
				st.Usage = r.usage(cs, use)
			}
			st.Usage.At = now
			ts.Containers = append(ts.Containers, st)
		}
		out = append(out, ts)
	}
	return out, nil
}

// status is the observed state of one container, without usage.
func (r *Runtime) status(arn string, cs containerState, exitFile string, starting bool) runtime.ContainerStatus {
	st := runtime.ContainerStatus{
		Name:      cs.Name,
		State:     runtime.StateRunning,
		Health:    r.healthOf(arn, cs),
		StartedAt: cs.StartedAt,
		Bindings:  cs.Bindings,
	}
	if cs.Pid == 0 {
		st.State = runtime.StateCreated
		if !starting {
			st.State = runtime.StateExited
			st.Reason = "CannotStartContainerError: the agent stopped while starting the container"
		}
		return st
	}
	st.RuntimeID = strconv.Itoa(cs.Pid)
	code, at, ok := readExit(exitFile)
	if !ok && alive(cs.Pid, cs.StartTicks) {
		return st
	}
	if !ok { // it may have written its code since we looked
		code, at, ok = readExit(exitFile)
	}
	st.State = runtime.StateExited
	if !ok {
		st.Reason = "the container's supervisor died without recording an exit code"
		return st
	}
	st.ExitCode, st.FinishedAt = &code, at
	if cs.Cgroup != "" && oomKilled(cs.Cgroup) {
		st.Reason = oomReason
	}
	return st
}

// usage measures a running container: from its cgroup when it has one,
// else from the /proc scan use, by its process group.
func (r *Runtime) usage(cs containerState, use map[int]groupUse) runtime.Usage {
	if cs.Cgroup != "" {
		cpu, mem, err := cgroupUsage(cs.Cgroup)
		if err != nil {
			r.log.Debug("read cgroup usage", "cgroup", cs.Cgroup, "err", err)
		}
		return runtime.Usage{CPUNanos: cpu, MemoryBytes: mem}
	}
	g := use[cs.Pid]
	return runtime.Usage{
		CPUNanos:    g.cpuTicks * uint64(time.Second) / r.ticks,
		MemoryBytes: g.rssPages * uint64(os.Getpagesize()),
	}
}
