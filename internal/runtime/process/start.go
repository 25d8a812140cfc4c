package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"tide/internal/runtime"
)

// supervisorScript runs a container's command ("$@") and records how it
// ended. It waits at a gate (fd 4) until the runtime has recorded it and
// applied its limits, and exits without running the command if the runtime
// goes away first. Its trap makes it outlive the SIGTERM that Stop sends to
// the whole group (a trapped signal waits for the foreground command, and
// the command gets the default action), so it can write the command's
// status, 128+N for signal N, to the exit file (fd 3). Then it kills what is
// left of its group, itself included.
const supervisorScript = `trap : TERM
IFS= read -r gate <&4
exec 4<&-
[ "$gate" = start ] || exit 0
"$@" 3>&-
code=$?
echo "$code" >&3
exec 3>&-
kill -9 0
`

// Start starts every container of spec, in order, unless the runtime
// already has the task. If a container cannot start, what was started is
// killed, the task is forgotten, and the error says why.
func (r *Runtime) Start(ctx context.Context, spec runtime.TaskSpec) error {
	unlock := r.lock(spec.TaskArn)
	defer unlock()
	dir := r.taskDir(spec.TaskArn)
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return nil
	}
	r.mu.Lock()
	r.starting[spec.TaskArn] = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.starting, spec.TaskArn)
		r.mu.Unlock()
	}()
	ts, err := r.start(ctx, dir, spec)
	if err != nil {
		r.discard(dir, ts)
		r.releasePorts(spec.TaskArn)
		return fmt.Errorf("start task %s: %w", spec.TaskArn, err)
	}
	for _, cs := range ts.Containers {
		if cs.HealthCheck != nil {
			r.watch(spec.TaskArn, cs)
		}
	}
	return nil
}

// start records the task with its containers created, then starts them.
// The record it returns says which started.
func (r *Runtime) start(ctx context.Context, dir string, spec runtime.TaskSpec) (taskState, error) {
	ts := taskState{TaskArn: spec.TaskArn}
	if err := os.RemoveAll(dir); err != nil { // what a dead Start left
		return ts, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ts, err
	}
	// Find every program first, so that a mistake starts nothing.
	argvs := make([][]string, len(spec.Containers))
	for i, c := range spec.Containers {
		mappings := c.PortMappings
		if spec.NetworkMode == "awsvpc" {
			// An awsvpc task has an address of its own on ECS, so its host
			// port is its container port; host processes share one address,
			// so each gets a free port instead (in PORT, as always).
			mappings = slices.Clone(mappings)
			for j := range mappings {
				mappings[j].HostPort = 0
			}
		}
		bindings, err := r.allocatePorts(spec.TaskArn, mappings)
		if err != nil {
			return ts, fmt.Errorf("container %s: %w", c.Name, err)
		}
		cs := containerState{
			Name:        c.Name,
			Bindings:    bindings,
			StopTimeout: c.StopTimeout,
			HealthCheck: c.HealthCheck,
			Env:         containerEnv(c, bindings),
			Dir:         c.WorkingDirectory,
			User:        r.user(c),
		}
		if argvs[i], err = resolveCommand(c, cs.Env); err != nil {
			return ts, fmt.Errorf("container %s: %w", c.Name, err)
		}
		if c.WorkingDirectory != "" {
			if fi, err := os.Stat(c.WorkingDirectory); err != nil || !fi.IsDir() {
				return ts, fmt.Errorf("container %s: working directory %q does not exist", c.Name, c.WorkingDirectory)
			}
		}
		ts.Containers = append(ts.Containers, cs)
	}
	if err := saveTask(dir, ts); err != nil {
		return ts, err
	}
	for i, c := range spec.Containers {
		if err := ctx.Err(); err != nil {
			return ts, err
		}
		if err := r.startContainer(dir, &ts, i, c, argvs[i]); err != nil {
			return ts, fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	return ts, nil
}

// startContainer starts container i, the command argv, under its
// supervisor, applies its limits, records it in ts and on disk, and only
// then lets the command run.
func (r *Runtime) startContainer(dir string, ts *taskState, i int, c runtime.ContainerSpec, argv []string) error {
	cs := &ts.Containers[i]
	closeInherited()
	exitFile, err := os.OpenFile(exitPath(dir, i), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer exitFile.Close()
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer gateR.Close()
	defer gateW.Close() // unless written, the supervisor exits without running the command
	cmd := exec.Command(shell, append([]string{"-c", supervisorScript, "tide-supervisor"}, argv...)...)
	cmd.Dir, cmd.Env = c.WorkingDirectory, cs.Env
	cmd.ExtraFiles = []*os.File{exitFile, gateR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: credential(cs.User)}
	if c.LogDir != "" {
		out, err := openLog(c.LogDir, c.Name)
		if err != nil {
			return err
		}
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap the supervisor if it ends while this process lives; after an
	// agent restart, init does.
	go cmd.Wait()
	pid := cmd.Process.Pid
	p, err := readProc(pid)
	if err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	if r.cg.enabled() {
		cs.Cgroup, err = r.cg.create(taskKey(ts.TaskArn)+"-"+strconv.Itoa(i), c)
		if err == nil {
			err = addProcess(cs.Cgroup, pid)
		}
		if err != nil {
			return err
		}
	}
	if err := setUlimits(pid, c.Ulimits); err != nil {
		return err
	}
	cs.Pid, cs.StartTicks, cs.StartedAt = pid, p.startTicks, time.Now()
	if err := saveTask(dir, *ts); err != nil {
		return err
	}
	if _, err := gateW.Write([]byte("start\n")); err != nil {
		return fmt.Errorf("supervisor: %w", err)
	}
	if !waitExec(pid, cmdline, exitPath(dir, i)) {
		r.log.Warn("container command slow to start", "task", ts.TaskArn, "container", c.Name, "pid", pid)
	}
	return nil
}

// waitExec waits until the command of the supervisor pid runs (its process
// has exec'd, so its cmdline is no longer the supervisor's) or has ended. Until
// then a SIGTERM sent to the group could be lost: the supervisor defers it
// and the forked copy of the supervisor may not have reset it yet. Start
// returns only after this, so a Stop that follows a Start always reaches
// the command.
func waitExec(pid int, cmdline []byte, exitFile string) bool {
	return waitFor(context.Background(), 5*time.Second, func() bool {
		if _, _, ok := readExit(exitFile); ok {
			return true
		}
		if p, err := readProc(pid); err != nil || p.dead() {
			return true
		}
		for _, child := range children(pid) {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/cmdline")
			if err == nil && !bytes.Equal(b, cmdline) {
				return true
			}
		}
		return false
	})
}

// discard kills what a failed Start started and forgets the task.
func (r *Runtime) discard(dir string, ts taskState) {
	for _, cs := range ts.Containers {
		if alive(cs.Pid, cs.StartTicks) {
			syscall.Kill(-cs.Pid, syscall.SIGKILL)
		}
		if cs.Pid > 0 && !waitFor(context.Background(), 5*time.Second, func() bool { return groupMembers(cs.Pid) == 0 }) {
			r.log.Warn("container of a failed start survived SIGKILL", "task", ts.TaskArn, "container", cs.Name)
		}
	}
	r.removeCgroups(ts)
	if err := os.RemoveAll(dir); err != nil {
		r.log.Warn("remove failed task", "task", ts.TaskArn, "err", err)
	}
}

// removeCgroups removes the task's container groups, including any made
// for a container that failed before it was recorded.
func (r *Runtime) removeCgroups(ts taskState) {
	if !r.cg.enabled() {
		return
	}
	for i := range ts.Containers {
		cg := filepath.Join(r.cg.parent, taskKey(ts.TaskArn)+"-"+strconv.Itoa(i))
		if err := removeCgroup(cg); err != nil {
			r.log.Warn("remove cgroup", "cgroup", cg, "err", err)
		}
	}
}

// closeInherited marks every file descriptor of this process above 2
// close-on-exec, so that a container gets only the files the runtime gives
// it. Go opens its own files so; this catches those the agent inherited
// from whatever started it (a shell's redirections, a test harness's
// pipes), which would otherwise leak into every container and keep, say,
// a pipe's reader waiting for an end that never comes.
func closeInherited() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// openLog opens the container's log file for appending.
func openLog(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	return os.OpenFile(filepath.Join(dir, name+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

// releasePorts forgets the host ports given to a task.
func (r *Runtime) releasePorts(arn string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, a := range r.ports {
		if a == arn {
			delete(r.ports, k)
		}
	}
}

// ignoreMissing drops an error that says a file is already gone.
func ignoreMissing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
