package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"tide/internal/awsjson"
	"tide/internal/store"
)

// Run runs the ECS controllers until ctx ends: every pass reconciles hosts,
// services and placement against the store (level-triggered), and a pass
// starts as soon as the store changes, or after every at the latest.
func (a *API) Run(ctx context.Context, every time.Duration) {
	for ctx.Err() == nil {
		rev := a.store.Revision()
		if err := a.Reconcile(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("ecs reconcile", "err", err)
		}
		wctx, cancel := context.WithTimeout(ctx, every)
		// Our own writes bump the revision too: at most one extra pass.
		a.store.WaitFor(wctx, rev+1)
		cancel()
		if wctx.Err() == nil {
			time.Sleep(20 * time.Millisecond) // let a burst of writes land
		}
	}
}

// Reconcile makes one pass of every controller; an error in one does not
// keep the others from running.
func (a *API) Reconcile(ctx context.Context) error {
	return errors.Join(
		a.reconcileHosts(ctx),
		a.reconcileServices(ctx),
		a.placeTasks(ctx),
		a.collectStoppedTasks(ctx),
	)
}

// reconcileServices drives every ACTIVE service towards its desired state
// and every DRAINING one to INACTIVE.
func (a *API) reconcileServices(ctx context.Context) error {
	var errs []error
	for _, kv := range a.store.List("services/") {
		if bytes.Contains(kv.Value, []byte(`"status":"INACTIVE"`)) {
			continue
		}
		var s Service
		if err := json.Unmarshal(kv.Value, &s); err != nil {
			continue
		}
		cluster := strings.Split(kv.Key, "/")[1]
		var err error
		switch s.Status {
		case "ACTIVE":
			if s.DeploymentController == nil || s.DeploymentController.Type == "ECS" {
				err = a.reconcileService(ctx, cluster, &s)
			}
		case "DRAINING":
			err = a.drainService(ctx, cluster, kv.Key, &s)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// drainService stops a deleted service's tasks and, once none is left,
// makes it INACTIVE.
func (a *API) drainService(ctx context.Context, cluster, key string, s *Service) error {
	left := false
	tasks := a.serviceTasks(cluster, s.ServiceName)
	if err := a.reconcileTargets(ctx, cluster, s, tasks); err != nil { // deregister and drain, as for a scale-in
		return err
	}
	for _, t := range tasks {
		if t.LastStatus == "STOPPED" {
			continue
		}
		left = true
		if t.DesiredStatus == "RUNNING" {
			if err := a.stopTask(ctx, cluster, t.TaskArn, "Service deleted", "ServiceSchedulerInitiated"); err != nil {
				return err
			}
		}
	}
	if left {
		return nil
	}
	_, err := updateJSON(ctx, a.store, key, func(s *Service) error {
		if s.Status == "DRAINING" {
			s.Status = "INACTIVE"
			for _, d := range s.Deployments {
				d.Status, d.UpdatedAt = "INACTIVE", awsjson.At(a.now())
			}
		}
		return nil
	})
	return err
}

// serviceTasks decodes the tasks of a service, stopped ones included.
func (a *API) serviceTasks(cluster, service string) []*Task {
	group := `"group":"service:` + service + `"`
	var out []*Task
	for _, kv := range a.store.List("tasks/" + cluster + "/") {
		if !bytes.Contains(kv.Value, []byte(group)) {
			continue
		}
		var t Task
		if json.Unmarshal(kv.Value, &t) == nil && t.Group == "service:"+service {
			out = append(out, &t)
		}
	}
	return out
}

// stopTask asks a task to stop, as StopTask does, with the scheduler's
// reason and stop code.
func (a *API) stopTask(ctx context.Context, cluster, arn, reason, code string) error {
	_, err := updateJSON(ctx, a.store, taskKey(cluster, taskID(arn)), func(t *Task) error {
		if t.DesiredStatus == "STOPPED" {
			return nil
		}
		now := a.now()
		t.TideDrainUntil = drainUntil(t, now) // a load-balanced task drains before it stops
		t.DesiredStatus, t.StoppingAt, t.StopCode, t.StoppedReason = "STOPPED", awsjson.At(now), code, reason
		t.Version++
		if t.TideHost == "" {
			markStopped(t, now)
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// collectStoppedTasks forgets tasks stopped longer ago than the retention,
// as ECS keeps stopped tasks visible for about an hour.
func (a *API) collectStoppedTasks(ctx context.Context) error {
	cutoff := a.now().Add(-a.agentCfg.StoppedTaskRetention)
	var writes []store.Write
	for _, kv := range a.store.List("tasks/") {
		if !bytes.Contains(kv.Value, []byte(`"lastStatus":"STOPPED"`)) {
			continue
		}
		var t Task
		if json.Unmarshal(kv.Value, &t) == nil && t.LastStatus == "STOPPED" && t.StoppedAt != nil && t.StoppedAt.Before(cutoff) {
			writes = append(writes, store.Del(kv.Key, kv.ModRev))
		}
		if len(writes) == 100 {
			break
		}
	}
	if len(writes) == 0 {
		return nil
	}
	_, err := a.store.Commit(ctx, writes...)
	if errors.Is(err, store.ErrConflict) {
		return nil // one changed meanwhile; the next pass looks again
	}
	return err
}
