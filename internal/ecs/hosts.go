package ecs

import (
	"context"
	"encoding/json"
	"errors"

	"tide/internal/awsjson"
)

// reconcileHosts marks hosts whose agent stopped polling as disconnected and
// stops the tasks they held, so that services replace them elsewhere. If the
// agent comes back, its assignments no longer include those tasks and it
// stops them: a task never runs twice.
func (a *API) reconcileHosts(ctx context.Context) error {
	now := a.now()
	timeout := a.agentCfg.HeartbeatTimeout
	var errs []error
	for _, kv := range a.store.List("fargatehosts/") {
		var h fargateHost
		if json.Unmarshal(kv.Value, &h) != nil || !h.Connected || h.LastHeartbeat == nil || now.Sub(h.LastHeartbeat.Time) < timeout {
			continue
		}
		a.log.Warn("agent disconnected", "host", h.HostID)
		_, err := updateJSON(ctx, a.store, kv.Key, func(h *fargateHost) error { h.Connected = false; return nil })
		errs = append(errs, err, a.stopHostTasks(ctx, h.HostID))
	}
	for _, kv := range a.store.List("instances/") {
		if !bytesContains(kv.Value, `"agentConnected":true`) {
			continue
		}
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) != nil || ci.TideHostID == "" || ci.TideLastHeartbeat == nil || now.Sub(ci.TideLastHeartbeat.Time) < timeout {
			continue
		}
		a.log.Warn("agent disconnected", "host", ci.TideHostID, "instance", ci.ContainerInstanceArn)
		_, err := updateJSON(ctx, a.store, kv.Key, func(ci *ContainerInstance) error {
			ci.AgentConnected = false
			ci.Version++
			return nil
		})
		errs = append(errs, err, a.stopHostTasks(ctx, ci.TideHostID))
	}
	return errors.Join(errs...)
}

// stopHostTasks records every unstopped task of a lost host as stopped.
func (a *API) stopHostTasks(ctx context.Context, host string) error {
	needle := `"tideHost":"` + host + `"`
	for _, kv := range a.store.List("tasks/") {
		if !bytesContains(kv.Value, needle) || bytesContains(kv.Value, `"lastStatus":"STOPPED"`) {
			continue
		}
		_, err := updateJSON(ctx, a.store, kv.Key, func(t *Task) error {
			if t.TideHost != host || t.LastStatus == "STOPPED" {
				return nil
			}
			now := a.now()
			if t.DesiredStatus == "RUNNING" {
				t.DesiredStatus, t.StoppingAt = "STOPPED", awsjson.At(now)
				t.StopCode = "ServiceSchedulerInitiated"
				t.StoppedReason = "Host " + host + " stopped reporting: its agent is disconnected"
			}
			markStopped(t, now)
			t.Version++
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
