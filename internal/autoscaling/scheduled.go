package autoscaling

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"tide/internal/awsjson"
	"tide/internal/schedule"
	"tide/internal/store"
)

// scheduledRecord is a scheduled action as stored, with its last run.
type scheduledRecord struct {
	ScheduledAction
	LastRun *time.Time `json:"lastRun,omitempty"`
}

func (a *API) putScheduledAction(ctx context.Context, in *PutScheduledActionInput) (*Empty, error) {
	if in.ScheduledActionName == nil {
		return nil, validation("1 validation error detected: Value null at 'scheduledActionName' failed to satisfy constraint: Member must not be null")
	}
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	resource, name := *in.ResourceId, *in.ScheduledActionName
	if _, _, ok := a.target(resource); !ok {
		return nil, noTarget(resource)
	}
	key := scheduledKey(resource, name)
	var old scheduledRecord
	if kv, ok := a.store.Get(key); ok {
		json.Unmarshal(kv.Value, &old)
	}
	r := old
	if old.ScheduledActionName == "" {
		r = scheduledRecord{ScheduledAction: ScheduledAction{ScheduledActionName: name, ServiceNamespace: namespaceECS, ResourceId: resource,
			ScalableDimension: dimensionECS, CreationTime: awsjson.At(a.now()),
			ScheduledActionARN: "arn:aws:autoscaling:" + a.cfg.Region + ":" + a.cfg.AccountID + ":scheduledAction:" + newID() + ":resource/ecs/" + resource + ":scheduledActionName/" + name}}
	} else {
		r.LastRun = nil // a changed schedule starts over
	}
	if in.Schedule != nil {
		r.Schedule = *in.Schedule
	}
	if r.Schedule == "" {
		return nil, validation("Schedule must be specified for a new scheduled action")
	}
	if _, err := schedule.Parse(r.Schedule); err != nil {
		return nil, err
	}
	if in.Timezone != nil {
		if _, err := schedule.LoadLocation(*in.Timezone); err != nil {
			return nil, err
		}
		r.Timezone = in.Timezone
	}
	if in.StartTime != nil {
		r.StartTime = in.StartTime
	}
	if in.EndTime != nil {
		r.EndTime = in.EndTime
	}
	if r.StartTime != nil && r.EndTime != nil && !r.StartTime.Before(r.EndTime.Time) {
		return nil, validation("The start time must be before the end time")
	}
	if in.ScalableTargetAction != nil {
		r.ScalableTargetAction = in.ScalableTargetAction
	}
	if sta := r.ScalableTargetAction; sta == nil || sta.MinCapacity == nil && sta.MaxCapacity == nil {
		return nil, validation("ScalableTargetAction must specify MinCapacity, MaxCapacity or both")
	} else if sta.MinCapacity != nil && sta.MaxCapacity != nil && *sta.MinCapacity > *sta.MaxCapacity {
		return nil, validation("Minimum capacity cannot be greater than maximum capacity")
	}
	b, _ := json.Marshal(&r)
	_, err := a.store.Commit(ctx, store.Put(key, b, store.Any))
	return &Empty{}, err
}

func (a *API) describeScheduledActions(ctx context.Context, in *DescribeScheduledActionsInput) (*DescribeScheduledActionsOutput, error) {
	if in.ServiceNamespace == nil {
		return nil, validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	out := &DescribeScheduledActionsOutput{ScheduledActions: []ScheduledAction{}}
	if *in.ServiceNamespace != namespaceECS {
		return out, nil
	}
	for _, r := range a.scheduled() {
		if in.ResourceId != nil && r.ResourceId != *in.ResourceId || len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, r.ScheduledActionName) {
			continue
		}
		out.ScheduledActions = append(out.ScheduledActions, r.ScheduledAction)
	}
	return out, nil
}

func (a *API) deleteScheduledAction(ctx context.Context, in *DeleteScheduledActionInput) (*Empty, error) {
	if in.ScheduledActionName == nil {
		return nil, validation("1 validation error detected: Value null at 'scheduledActionName' failed to satisfy constraint: Member must not be null")
	}
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	key := scheduledKey(*in.ResourceId, *in.ScheduledActionName)
	if _, ok := a.store.Get(key); !ok {
		return nil, notFound("No scheduled action found for service namespace: ecs, resource ID: %s, scalable dimension: ecs:service:DesiredCount, scheduled action name: %s", *in.ResourceId, *in.ScheduledActionName)
	}
	_, err := a.store.Commit(ctx, store.Del(key, store.Any))
	return &Empty{}, err
}

func (a *API) scheduled() []*scheduledRecord {
	var out []*scheduledRecord
	for _, kv := range a.store.List("autoscaling/scheduled/") {
		var r scheduledRecord
		if json.Unmarshal(kv.Value, &r) == nil {
			out = append(out, &r)
		}
	}
	return out
}

// due returns when a scheduled action should run next after its last run
// (or its creation), within its start and end times.
func due(r *scheduledRecord) (time.Time, bool) {
	s, err := schedule.Parse(r.Schedule)
	if err != nil {
		return time.Time{}, false
	}
	loc := time.UTC
	if r.Timezone != nil {
		if l, err := schedule.LoadLocation(*r.Timezone); err == nil {
			loc = l
		}
	}
	from := r.CreationTime.Time
	if _, isAt := s.(*schedule.At); isAt {
		from = from.Add(-time.Minute) // an at() of the moment it was written still runs
	}
	if r.StartTime != nil && r.StartTime.After(from) {
		from = r.StartTime.Add(-time.Nanosecond)
	}
	if r.LastRun != nil {
		from = *r.LastRun
	}
	var next time.Time
	var ok bool
	if rate, isRate := s.(*schedule.Rate); isRate {
		start := r.CreationTime.Time
		if r.StartTime != nil {
			start = r.StartTime.Time
		}
		next, ok = rate.NextFrom(start, from), true
		if r.LastRun == nil && r.StartTime != nil {
			next = start // a rate runs at its start time first
		}
	} else {
		next, ok = s.Next(from, loc)
	}
	if !ok || r.EndTime != nil && next.After(r.EndTime.Time) {
		return time.Time{}, false
	}
	return next, true
}

// Controller runs scheduled actions on the leader.
type Controller struct {
	api         *API
	log         *slog.Logger
	tick        time.Duration
	lastPredict time.Time
}

// NewController returns the controller of api's scheduled actions.
func NewController(api *API, log *slog.Logger) *Controller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controller{api: api, log: log, tick: time.Second}
}

// Run runs due scheduled actions every second until ctx ends.
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

// Step runs every scheduled action that is due: it moves the target's
// minimum and maximum and clamps the desired count into them, with an
// activity.
func (c *Controller) Step(ctx context.Context) {
	a := c.api
	now := a.now()
	for _, r := range a.scheduled() {
		next, ok := due(r)
		if !ok || next.After(now) {
			continue
		}
		if err := c.run(ctx, r, next); err != nil && ctx.Err() == nil {
			c.log.Warn("scheduled action", "name", r.ScheduledActionName, "resource", r.ResourceId, "err", err)
		}
	}
	if now.Sub(c.lastPredict) >= time.Minute {
		c.lastPredict = now
		c.predict(ctx, now)
	}
}

func (c *Controller) run(ctx context.Context, r *scheduledRecord, at time.Time) error {
	a := c.api
	t, _, ok := a.target(r.ResourceId)
	if !ok {
		return nil
	}
	r.LastRun = &at
	b, _ := json.Marshal(r)
	if _, err := a.store.Commit(ctx, store.Put(scheduledKey(r.ResourceId, r.ScheduledActionName), b, store.Any)); err != nil {
		return err
	}
	if t.SuspendedState != nil && suspended(t.SuspendedState.ScheduledScalingSuspended) {
		return nil
	}
	sta := r.ScalableTargetAction
	t, err := a.updateTarget(ctx, r.ResourceId, func(x *targetRecord) error {
		if sta.MinCapacity != nil {
			x.MinCapacity = *sta.MinCapacity
		}
		if sta.MaxCapacity != nil {
			x.MaxCapacity = *sta.MaxCapacity
		}
		x.MinCapacity = min(x.MinCapacity, x.MaxCapacity)
		return nil
	})
	if err != nil {
		return err
	}
	cluster, service, _ := serviceOf(r.ResourceId)
	cap, err := a.cfg.Services.Capacity(ctx, cluster, service)
	if err != nil {
		return err
	}
	cause := fmt.Sprintf("scheduled action name %s was triggered", r.ScheduledActionName)
	to := max(int(t.MinCapacity), min(int(t.MaxCapacity), cap.Desired))
	if to == cap.Desired {
		now := a.now()
		return a.record(ctx, ScalingActivity{ActivityId: newID(), ServiceNamespace: namespaceECS, ResourceId: r.ResourceId, ScalableDimension: dimensionECS,
			Description: fmt.Sprintf("Setting min capacity to %d and max capacity to %d", t.MinCapacity, t.MaxCapacity), Cause: cause,
			StartTime: awsjson.At(now), EndTime: awsjson.At(now), StatusCode: "Successful",
			StatusMessage: fmt.Sprintf("Successfully set min capacity to %d and max capacity to %d", t.MinCapacity, t.MaxCapacity)})
	}
	return a.scaleTo(ctx, r.ResourceId, cap.Desired, to, cause, "")
}
