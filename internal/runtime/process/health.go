package process

import (
	"cmp"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"tide/internal/runtime"
)

// Health statuses, as ECS names them.
const (
	healthHealthy   = "HEALTHY"
	healthUnhealthy = "UNHEALTHY"
	healthUnknown   = "UNKNOWN"
)

// healthDefaults fills in ECS's defaults for the fields a health check
// leaves zero: a check every 30 s, 5 s to answer, 3 retries.
func healthDefaults(hc runtime.HealthCheck) runtime.HealthCheck {
	hc.Interval = cmp.Or(hc.Interval, 30*time.Second)
	hc.Timeout = cmp.Or(hc.Timeout, 5*time.Second)
	hc.Retries = cmp.Or(hc.Retries, 3)
	return hc
}

// healthOf is the container's current health status.
func (r *Runtime) healthOf(arn string, cs containerState) string {
	if cs.HealthCheck == nil {
		return healthUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return cmp.Or(r.health[[2]string{arn, cs.Name}], healthUnknown)
}

// watch starts checking the health of a running container, until it
// exits or the runtime closes.
func (r *Runtime) watch(arn string, cs containerState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.wg.Go(func() { r.checkHealth(arn, cs) })
}

// checkHealth runs the container's health check every Interval, as ECS
// does: one success makes it HEALTHY; Retries failures in a row make it
// UNHEALTHY, except that failures within StartPeriod of the start do not
// count until a check has succeeded.
func (r *Runtime) checkHealth(arn string, cs containerState) {
	hc := healthDefaults(*cs.HealthCheck)
	argv, err := healthCommand(hc.Command, cs)
	if err != nil {
		r.log.Warn("container health check cannot run", "task", arn, "container", cs.Name, "err", err)
		return
	}
	key := [2]string{arn, cs.Name}
	failures, succeeded := 0, false
	timer := time.NewTimer(hc.Interval)
	defer timer.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-timer.C:
		}
		if !alive(cs.Pid, cs.StartTicks) {
			return
		}
		err := r.probe(argv, hc.Timeout, cs)
		if r.ctx.Err() != nil {
			return
		}
		status := ""
		switch {
		case err == nil:
			failures, succeeded = 0, true
			status = healthHealthy
		case !succeeded && time.Since(cs.StartedAt) < hc.StartPeriod:
			// Still starting: the failure does not count.
		default:
			if failures++; failures >= hc.Retries {
				status = healthUnhealthy
			}
		}
		if status != "" {
			r.mu.Lock()
			r.health[key] = status
			r.mu.Unlock()
		}
		timer.Reset(hc.Interval)
	}
}

// healthCommand is the command line of a health check: CMD runs its words
// in exec form, CMD-SHELL runs them with /bin/sh -c.
func healthCommand(command []string, cs containerState) ([]string, error) {
	if len(command) < 2 {
		return nil, errors.New("health check command needs CMD or CMD-SHELL and a command")
	}
	switch command[0] {
	case "CMD":
		prog, err := lookPath(command[1], envValue(cs.Env, "PATH"), cs.Dir)
		if err != nil {
			return nil, err
		}
		return append([]string{prog}, command[2:]...), nil
	case "CMD-SHELL":
		return []string{shell, "-c", strings.Join(command[1:], " ")}, nil
	}
	return nil, errors.New("health check command must start with CMD or CMD-SHELL")
}

// probe runs one check like the container runs (its environment, directory
// and user) in a process group of its own, killed when timeout passes.
func (r *Runtime) probe(argv []string, timeout time.Duration, cs containerState) error {
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	closeInherited()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = cs.Env, cs.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: credential(cs.User)}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	return cmd.Run()
}
