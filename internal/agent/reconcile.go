package agent

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"tide/internal/agentapi"
	"tide/internal/runtime"
)

// reconcile starts, stops and removes tasks so that the runtime converges
// on the desired state. Slow work (pulls, stop timeouts) runs in goroutines,
// one at a time per task, so that polling goes on meanwhile.
func (a *Agent) reconcile(ctx context.Context, desired []agentapi.Assignment, observed []runtime.TaskStatus) {
	have := make(map[string]runtime.TaskStatus, len(observed))
	for _, t := range observed {
		have[t.TaskArn] = t
	}
	want := make(map[string]bool, len(desired))
	for _, as := range desired {
		want[as.TaskArn] = true
		st, ok := have[as.TaskArn]
		switch {
		case as.DesiredStatus == "RUNNING" && !ok:
			spec := as.Spec
			logDir := filepath.Join(a.cfg.StateDir, "logs", taskID(spec.TaskArn))
			for i := range spec.Containers {
				spec.Containers[i].LogDir = logDir
			}
			if a.failedStart(as.TaskArn) {
				continue // reported as failed; the server will stop it
			}
			a.async(ctx, as.TaskArn, func(ctx context.Context) error {
				err := a.cfg.Runtime.Start(ctx, spec)
				if err != nil {
					a.recordFailure(spec, err)
				}
				return err
			})
		case as.DesiredStatus == "RUNNING" && essentialExited(st, as.Spec) && anyRunning(st):
			// An essential container exited: the task is over; stop the rest.
			a.async(ctx, as.TaskArn, func(ctx context.Context) error { return a.cfg.Runtime.Stop(ctx, as.TaskArn) })
		case as.DesiredStatus == "STOPPED" && ok && anyRunning(st):
			a.async(ctx, as.TaskArn, func(ctx context.Context) error { return a.cfg.Runtime.Stop(ctx, as.TaskArn) })
		}
	}
	a.mu.Lock()
	for arn := range a.failed {
		if !want[arn] {
			delete(a.failed, arn)
		}
	}
	a.mu.Unlock()
	for arn, st := range have {
		if want[arn] {
			continue
		}
		// The server no longer wants the task (its stop is recorded, or it
		// was never this host's): stop what runs, then forget it.
		if anyRunning(st) {
			a.async(ctx, arn, func(ctx context.Context) error { return a.cfg.Runtime.Stop(ctx, arn) })
		} else {
			a.async(ctx, arn, func(ctx context.Context) error { return a.cfg.Runtime.Remove(ctx, arn) })
		}
	}
}

// async runs fn for a task unless something already runs for it. A start
// that fails is reported by the runtime's List as exited containers with a
// reason, or retried at the next poll.
func (a *Agent) async(ctx context.Context, arn string, fn func(context.Context) error) {
	a.mu.Lock()
	if a.inflight[arn] {
		a.mu.Unlock()
		return
	}
	a.inflight[arn] = true
	a.mu.Unlock()
	a.wg.Go(func() {
		defer func() {
			a.mu.Lock()
			delete(a.inflight, arn)
			a.mu.Unlock()
			select {
			case a.kick <- struct{}{}:
			default:
			}
		}()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		defer cancel()
		if err := fn(ctx); err != nil {
			a.log.Warn("agent task action", "task", arn, "err", err)
		}
	})
}

func anyRunning(t runtime.TaskStatus) bool {
	for _, c := range t.Containers {
		if c.State != runtime.StateExited {
			return true
		}
	}
	return false
}

func essentialExited(t runtime.TaskStatus, spec runtime.TaskSpec) bool {
	for _, c := range t.Containers {
		if c.State != runtime.StateExited {
			continue
		}
		for _, cs := range spec.Containers {
			if cs.Name == c.Name && cs.Essential {
				return true
			}
		}
	}
	return false
}

func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// recordFailure remembers that a task could not be started, so that the
// next polls report its containers as exited with the reason, as ECS reports
// CannotPullContainerError and friends, instead of retrying forever.
func (a *Agent) recordFailure(spec runtime.TaskSpec, err error) {
	st := runtime.TaskStatus{TaskArn: spec.TaskArn}
	reason := "CannotStartContainerError: " + err.Error()
	if strings.Contains(err.Error(), "pull") || strings.Contains(err.Error(), "No such image") {
		reason = "CannotPullContainerError: " + err.Error()
	}
	now := a.now()
	for _, c := range spec.Containers {
		st.Containers = append(st.Containers, runtime.ContainerStatus{Name: c.Name, State: runtime.StateExited, Reason: reason, FinishedAt: now, Health: "UNKNOWN"})
	}
	a.mu.Lock()
	a.failed[spec.TaskArn] = st
	a.mu.Unlock()
}

func (a *Agent) failedStart(arn string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.failed[arn]
	return ok
}

// withFailures adds the failed starts the runtime does not know to observed.
func (a *Agent) withFailures(observed []runtime.TaskStatus) []runtime.TaskStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	for arn, st := range a.failed {
		known := false
		for _, t := range observed {
			known = known || t.TaskArn == arn
		}
		if !known {
			observed = append(observed, st)
		}
	}
	return observed
}
