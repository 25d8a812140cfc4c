package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"tide/internal/awsjson"
)

// Run reconciles the lifecycle states this package owns until ctx ends:
// a DRAINING service becomes INACTIVE once none of its tasks is left
// running. It is level-triggered: every pass looks at all services.
func (a *API) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := a.Reconcile(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("ecs reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reconcile makes one pass.
func (a *API) Reconcile(ctx context.Context) error {
	for _, kv := range a.store.List("services/") {
		if !bytes.Contains(kv.Value, []byte(`"status":"DRAINING"`)) {
			continue
		}
		var s Service
		if err := json.Unmarshal(kv.Value, &s); err != nil || s.Status != "DRAINING" {
			continue
		}
		cluster := strings.Split(kv.Key, "/")[1]
		if a.serviceHasTasks(cluster, s.ServiceName) {
			continue
		}
		_, err := updateJSON(ctx, a.store, kv.Key, func(s *Service) error {
			if s.Status == "DRAINING" {
				s.Status = "INACTIVE"
				for _, d := range s.Deployments {
					d.Status, d.UpdatedAt = "INACTIVE", awsjson.At(a.now())
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *API) serviceHasTasks(cluster, service string) bool {
	for _, t := range a.tasksOf(cluster) {
		if t.Group == "service:"+service && t.LastStatus != "STOPPED" {
			return true
		}
	}
	return false
}

func bytesContains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func isARN(s string) bool { return strings.HasPrefix(s, "arn:") }
