package autoscaling

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Controller is the leader's reconciler: each step it reads the store and
// does what is due, idempotently. It runs scheduled actions at their
// times, keeps predictive ForecastAndScale policies' capacity ahead of
// their forecasts, retries the clamps of the desired count into [min, max]
// and the alarm deletions that failed, and prunes activities older than
// six weeks. It assumes nothing about what it saw before: a new leader
// picks up where the last one stopped.
type Controller struct {
	api  *API
	log  *slog.Logger
	tick time.Duration

	lastPredict, lastPrune time.Time
}

// NewController returns the controller of api.
func NewController(api *API, log *slog.Logger) *Controller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controller{api: api, log: log, tick: time.Second}
}

// Run steps every second until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	t := time.NewTicker(c.tick)
	defer t.Stop()
	for {
		c.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// How often the slower duties run.
const (
	predictEvery = time.Minute
	pruneEvery   = time.Hour
)

// Step does one round of everything that is due at the API's now.
func (c *Controller) Step(ctx context.Context) {
	a := c.api
	now := a.now()
	c.runScheduled(ctx, now)
	c.retryClamps(ctx, now)
	c.retryAlarmDeletions(ctx)
	if now.Sub(c.lastPredict) >= predictEvery || now.Before(c.lastPredict) {
		c.lastPredict = now
		c.predict(ctx, now)
	}
	if now.Sub(c.lastPrune) >= pruneEvery || now.Before(c.lastPrune) {
		c.lastPrune = now
		if err := a.pruneActivities(ctx, now); err != nil && ctx.Err() == nil {
			c.log.Warn("prune scaling activities", "err", err)
		}
	}
}

func (c *Controller) runScheduled(ctx context.Context, now time.Time) {
	for _, r := range decodeScheduled(c.api.store.List(scheduledPrefix)) {
		next, ok := nextRun(r)
		if !ok || next.After(now) {
			continue
		}
		if err := c.api.runScheduled(ctx, r, next); err != nil && ctx.Err() == nil {
			c.log.Warn("scheduled action", "name", r.ScheduledActionName, "resource", r.ResourceId, "err", err)
		}
	}
}

func (c *Controller) retryClamps(ctx context.Context, now time.Time) {
	for _, kv := range c.api.store.List(targetsPrefix) {
		t, ok := c.api.target(strings.TrimPrefix(kv.Key, targetsPrefix))
		if !ok {
			continue
		}
		if p := t.Pending; p == nil || now.Before(p.Next) {
			continue
		}
		if err := c.api.clamp(ctx, t.ResourceId); err != nil && ctx.Err() == nil {
			c.log.Warn("clamp desired count into the scalable target's range", "resource", t.ResourceId, "err", err)
		}
	}
}

func (c *Controller) retryAlarmDeletions(ctx context.Context) {
	var names []string
	for _, kv := range c.api.store.List(orphansPrefix) {
		names = append(names, string(kv.Value))
	}
	if err := c.api.deleteOrphans(ctx, names...); err != nil && ctx.Err() == nil {
		c.log.Warn("delete alarms of deleted policies", "err", err)
	}
}

// clamp brings the desired count of a target's service into its range if
// a clamp is pending, with the activity AWS records ("minimum capacity was
// set to N", "maximum capacity was set to N"). A service that does not
// exist is left alone: "If the specified resource is not active in the
// target service, this operation does not change the resource's current
// capacity." A failure is retried with backoff.
func (a *API) clamp(ctx context.Context, resource string) error {
	defer a.lock(resource)()
	t, ok := a.target(resource)
	if !ok || t.Pending == nil {
		return nil
	}
	cluster, service, _ := serviceOf(resource)
	c, err := a.cfg.Services.Capacity(ctx, cluster, service)
	switch {
	case err != nil && isNotFound(err):
	case err != nil:
		err = fmt.Errorf("read ECS service %s: %w", resource, err)
	case c.Desired < int(t.MinCapacity):
		err = a.scaleTo(ctx, resource, int(t.MinCapacity), fmt.Sprintf("minimum capacity was set to %d", t.MinCapacity))
	case c.Desired > int(t.MaxCapacity):
		err = a.scaleTo(ctx, resource, int(t.MaxCapacity), fmt.Sprintf("maximum capacity was set to %d", t.MaxCapacity))
	}
	now := a.now()
	_, uerr := a.updateTarget(ctx, resource, func(r *targetRecord) error {
		switch {
		case r.Pending == nil:
		case err == nil:
			r.Pending = nil
		default:
			r.Pending.Attempts++
			r.Pending.Next = now.Add(min(time.Second<<min(r.Pending.Attempts, 6), time.Minute))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return uerr
}
