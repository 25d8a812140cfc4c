package autoscaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// maxScheduled is AWS's quota: "Maximum number of scheduled actions per
// scalable target: 200".
const maxScheduled = 200

func checkActionName(v *violations, name *string) {
	if name == nil {
		v.null("scheduledActionName")
		return
	}
	v.length("scheduledActionName", *name, 1, 256)
	n := *name
	if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.ContainsAny(n, ":/|") || strings.ContainsFunc(n, func(r rune) bool {
		return r < 0x20 || r >= 0x7f && r <= 0x9f
	}) {
		*v = append(*v, fmt.Sprintf("Value '%s' at 'scheduledActionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!((^[ ]+.*)|(.*([\\u0000-\\u001f]|[\\u007f-\\u009f]|[:/|])+.*)|(.*[ ]+$))).+", n))
	}
}

func (a *API) putScheduledAction(ctx context.Context, in *PutScheduledActionInput) (*Empty, error) {
	var v violations
	checkActionName(&v, in.ScheduledActionName)
	if sta := in.ScalableTargetAction; sta != nil {
		if sta.MinCapacity != nil {
			v.atLeast("scalableTargetAction.minCapacity", int64(*sta.MinCapacity), 0)
		}
		if sta.MaxCapacity != nil {
			v.atLeast("scalableTargetAction.maxCapacity", int64(*sta.MaxCapacity), 0)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	t, ok := a.target(r.resource)
	if !r.ecs() || !ok {
		return nil, refNotFound(r)
	}
	key := scheduledKey(r.resource, *in.ScheduledActionName)
	rev, rec := store.MustBeNew, &scheduledRecord{}
	if kv, ok := a.store.Get(key); ok {
		if err := json.Unmarshal(kv.Value, rec); err != nil {
			return nil, fmt.Errorf("decode scheduled action %s: %w", key, err)
		}
		rev = kv.ModRev
	} else {
		if len(a.store.List(scheduledPrefixOf(r.resource))) >= maxScheduled {
			return nil, limitExceeded("The maximum number of scheduled actions (%d) for the scalable target %s has been reached", maxScheduled, r.resource)
		}
		rec.ScheduledAction = ScheduledAction{ScheduledActionName: *in.ScheduledActionName, ServiceNamespace: namespaceECS,
			ResourceId: r.resource, ScalableDimension: dimensionECS, CreationTime: awsjson.At(a.now()),
			ScheduledActionARN: a.scheduledActionARN(t.ActionID, r.resource, *in.ScheduledActionName)}
	}
	if err := setSchedule(rec, in); err != nil {
		return nil, err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Commit(ctx, store.Put(key, b, rev)); errors.Is(err, store.ErrConflict) {
		return nil, concurrentUpdate(r.resource)
	} else if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// setSchedule applies a PutScheduledAction request to the action: what it
// gives changes, the rest stays ("Any parameters that you don't specify are
// not changed by this update request"). A changed schedule starts over.
func setSchedule(rec *scheduledRecord, in *PutScheduledActionInput) error {
	if in.Schedule != nil {
		rec.Schedule = *in.Schedule
	}
	if rec.Schedule == "" {
		return validation("Schedule must be specified when creating a scheduled action")
	}
	if _, err := schedule.Parse(rec.Schedule); err != nil {
		return err
	}
	if in.Timezone != nil {
		if _, err := schedule.LoadLocation(*in.Timezone); err != nil {
			return err
		}
		rec.Timezone = in.Timezone
	}
	if in.StartTime != nil {
		rec.StartTime = in.StartTime
	}
	if in.EndTime != nil {
		rec.EndTime = in.EndTime
	}
	if rec.StartTime != nil && rec.EndTime != nil && !rec.StartTime.Before(rec.EndTime.Time) {
		return validation("The start time must be before the end time")
	}
	if in.ScalableTargetAction != nil {
		rec.ScalableTargetAction = in.ScalableTargetAction
	}
	switch sta := rec.ScalableTargetAction; {
	case sta == nil || sta.MinCapacity == nil && sta.MaxCapacity == nil:
		return validation("ScalableTargetAction must specify MinCapacity, MaxCapacity or both")
	case sta.MinCapacity != nil && sta.MaxCapacity != nil && *sta.MinCapacity > *sta.MaxCapacity:
		return validation("Minimum capacity cannot be greater than maximum capacity")
	}
	if in.Schedule != nil || in.Timezone != nil || in.StartTime != nil {
		rec.LastRun = nil
	}
	return nil
}

func (a *API) describeScheduledActions(ctx context.Context, in *DescribeScheduledActionsInput) (*DescribeScheduledActionsOutput, error) {
	if err := checkListing(in.ServiceNamespace, in.ScalableDimension, in.MaxResults); err != nil {
		return nil, err
	}
	out := &DescribeScheduledActionsOutput{ScheduledActions: []ScheduledAction{}}
	if *in.ServiceNamespace != namespaceECS || in.ScalableDimension != nil && *in.ScalableDimension != dimensionECS {
		return out, nil
	}
	prefix := scheduledPrefix
	if in.ResourceId != nil {
		prefix = scheduledPrefixOf(*in.ResourceId)
	}
	var all []ScheduledAction
	for _, r := range decodeScheduled(a.store.List(prefix)) {
		if len(in.ScheduledActionNames) == 0 || contains(in.ScheduledActionNames, r.ScheduledActionName) {
			all = append(all, r.ScheduledAction)
		}
	}
	key := func(s ScheduledAction) string { return s.ResourceId + "\x00" + s.ScheduledActionName }
	page, next, err := paginate(all, key, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out.ScheduledActions, out.NextToken = append(out.ScheduledActions, page...), next
	return out, nil
}

func (a *API) deleteScheduledAction(ctx context.Context, in *DeleteScheduledActionInput) (*Empty, error) {
	var v violations
	checkActionName(&v, in.ScheduledActionName)
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	kv, ok := a.store.Get(scheduledKey(r.resource, *in.ScheduledActionName))
	if !r.ecs() || !ok {
		return nil, notFound("No scheduled action found for service namespace: %s, resource ID: %s, scalable dimension: %s, scheduled action name: %s",
			r.namespace, r.resource, r.dimension, *in.ScheduledActionName)
	}
	if _, err := a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev)); errors.Is(err, store.ErrConflict) {
		return nil, concurrentUpdate(r.resource)
	} else if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func decodeScheduled(kvs []store.KV) []*scheduledRecord {
	var out []*scheduledRecord
	for _, kv := range kvs {
		var r scheduledRecord
		if json.Unmarshal(kv.Value, &r) == nil {
			out = append(out, &r)
		}
	}
	return out
}

// nextRun returns when a scheduled action runs next after its last run
// (or, before its first, its creation), within its start and end times.
// rate() runs at its StartTime (its creation time when it has none) and
// then every interval; at() and cron() at their wall-clock times in the
// action's time zone. An at() time up to a minute before the action was
// written still runs once: at(now) is how one says "now".
func nextRun(r *scheduledRecord) (time.Time, bool) {
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
		from = from.Add(-time.Minute)
	}
	if r.StartTime != nil && r.StartTime.After(from) {
		from = r.StartTime.Add(-time.Nanosecond)
	}
	if r.LastRun != nil {
		from = *r.LastRun
	}
	var next time.Time
	ok := true
	if rate, isRate := s.(*schedule.Rate); isRate {
		start := r.CreationTime.Time
		if r.StartTime != nil {
			start = r.StartTime.Time
		}
		next = rate.NextFrom(start, from)
	} else {
		next, ok = s.Next(from, loc)
	}
	if !ok || r.EndTime != nil && next.After(r.EndTime.Time) {
		return time.Time{}, false
	}
	return next, true
}

// runScheduled runs a due scheduled action: it records the run, then,
// unless scheduled scaling is suspended ("Application Auto Scaling does not
// initiate the scaling actions that are scheduled to run during the
// suspension period"), sets the target's range with an activity and
// clamps the desired count into it.
func (a *API) runScheduled(ctx context.Context, r *scheduledRecord, at time.Time) error {
	key := scheduledKey(r.ResourceId, r.ScheduledActionName)
	kv, ok := a.store.Get(key)
	if !ok {
		return nil
	}
	r.LastRun = &at
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := a.store.Commit(ctx, store.Put(key, b, kv.ModRev)); err != nil {
		return err // a conflict: the action changed; the next step sees the new one
	}
	t, ok := a.target(r.ResourceId)
	if !ok {
		return nil
	}
	if _, _, sched := t.suspended(); sched {
		return nil
	}
	return a.setRange(ctx, r)
}

// setRange applies a scheduled action's ScalableTargetAction.
func (a *API) setRange(ctx context.Context, r *scheduledRecord) error {
	sta, now := r.ScalableTargetAction, a.now()
	act := ScalingActivity{ActivityId: newID(), ServiceNamespace: namespaceECS, ResourceId: r.ResourceId, ScalableDimension: dimensionECS,
		Cause: fmt.Sprintf("scheduled action name %s was triggered", r.ScheduledActionName), StartTime: awsjson.At(now)}
	var lo, hi int32
	_, err := a.updateTarget(ctx, r.ResourceId, func(t *targetRecord) error {
		lo, hi = t.MinCapacity, t.MaxCapacity
		if sta.MinCapacity != nil {
			lo = *sta.MinCapacity
		}
		if sta.MaxCapacity != nil {
			hi = *sta.MaxCapacity
		}
		if lo > hi {
			return errRange
		}
		t.MinCapacity, t.MaxCapacity, t.Pending = lo, hi, &pending{Next: now}
		return nil
	})
	act.Description = fmt.Sprintf("Setting min capacity to %d and max capacity to %d", lo, hi)
	switch {
	case errors.Is(err, errRange):
		act.StatusCode = "Failed"
		act.StatusMessage = fmt.Sprintf("Failed to set min capacity to %d and max capacity to %d. Reason: Minimum capacity cannot be greater than maximum capacity", lo, hi)
		return a.record(ctx, act)
	case err != nil:
		return err
	}
	act.StatusCode, act.StatusMessage = "Successful", fmt.Sprintf("Successfully set min capacity to %d and max capacity to %d", lo, hi)
	if err := a.record(ctx, act); err != nil {
		return err
	}
	return a.clamp(ctx, r.ResourceId)
}

var errRange = errors.New("minimum capacity above maximum capacity")
