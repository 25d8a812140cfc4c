package autoscaling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"tide/internal/awsjson"
	"tide/internal/store"
)

// targetRecord is a scalable target as stored, with what scaling
// remembers of it.
type targetRecord struct {
	ScalableTarget
	Tags map[string]string `json:"tags,omitempty"`
	// ActionID is the ID in the ARNs of the target's scheduled actions.
	ActionID string   `json:"actionId"`
	Cooldown cooldown `json:"cooldown"`
	// Low holds each target tracking policy's latest scale-in request.
	Low map[string]proposal `json:"low,omitempty"`
	// NotScaled is when each not-scaled reason was last recorded.
	NotScaled  map[string]time.Time `json:"notScaled,omitempty"`
	Prediction *prediction          `json:"prediction,omitempty"`
	// Pending is a clamp of the desired count into [min, max] that
	// registering or a scheduled action asked for and that has not
	// happened yet; the controller retries it.
	Pending *pending `json:"pending,omitempty"`
}

// pending is a clamp still to do.
type pending struct {
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"`
}

// maxTargets is AWS's quota of ECS scalable targets per account and
// region: "500 scalable targets each for all other resource types".
const maxTargets = 500

// maxConflicts bounds the retries of a write that keeps losing to
// concurrent writers before it answers ConcurrentUpdateException.
const maxConflicts = 20

func (a *API) target(resource string) (*targetRecord, bool) {
	kv, ok := a.store.Get(targetKey(resource))
	if !ok {
		return nil, false
	}
	var r targetRecord
	if json.Unmarshal(kv.Value, &r) != nil {
		return nil, false
	}
	return &r, true
}

// updateTarget applies fn to the stored target under a revision check,
// retrying on conflicts; fn may be called several times.
func (a *API) updateTarget(ctx context.Context, resource string, fn func(*targetRecord) error) (*targetRecord, error) {
	for range maxConflicts {
		kv, ok := a.store.Get(targetKey(resource))
		if !ok {
			return nil, noTarget(resource)
		}
		var r targetRecord
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return nil, fmt.Errorf("decode scalable target %s: %w", resource, err)
		}
		if err := fn(&r); err != nil {
			return nil, err
		}
		b, err := json.Marshal(&r)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(b, kv.Value) {
			return &r, nil
		}
		if _, err := a.store.Commit(ctx, store.Put(kv.Key, b, kv.ModRev)); !errors.Is(err, store.ErrConflict) {
			return &r, err
		}
	}
	return nil, concurrentUpdate(resource)
}

func (a *API) registerScalableTarget(ctx context.Context, in *RegisterScalableTargetInput) (*RegisterScalableTargetOutput, error) {
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	var v violations
	if in.MinCapacity != nil {
		v.atLeast("minCapacity", int64(*in.MinCapacity), 0)
	}
	if in.MaxCapacity != nil {
		v.atLeast("maxCapacity", int64(*in.MaxCapacity), 0)
	}
	if in.RoleARN != nil {
		v.length("roleARN", *in.RoleARN, 1, 1600)
	}
	checkTags(&v, "tags", in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if !r.ecs() {
		return nil, elsewhere(r)
	}
	cluster, service, _ := serviceOf(r.resource)
	if _, err := a.cfg.Services.Capacity(ctx, cluster, service); err != nil {
		if isNotFound(err) {
			return nil, validation("ECS service doesn't exist: %s", r.resource)
		}
		return nil, fmt.Errorf("read ECS service %s: %w", r.resource, err)
	}
	t, err := a.putTarget(ctx, r.resource, in)
	if err != nil {
		return nil, err
	}
	// "it changes the resource's current capacity to a value that is
	// inside of this range": now if it can, else the controller retries.
	if err := a.clamp(ctx, r.resource); err != nil {
		a.log.Warn("clamp desired count", "resource", r.resource, "err", err)
	}
	return &RegisterScalableTargetOutput{ScalableTargetARN: t.ScalableTargetARN}, nil
}

// putTarget creates or updates the stored target with what the request
// sets, leaving the rest as it was, and marks its clamp pending.
func (a *API) putTarget(ctx context.Context, resource string, in *RegisterScalableTargetInput) (*targetRecord, error) {
	now := a.now()
	for range maxConflicts {
		rev, t := store.MustBeNew, &targetRecord{}
		if kv, ok := a.store.Get(targetKey(resource)); ok {
			if err := json.Unmarshal(kv.Value, t); err != nil {
				return nil, fmt.Errorf("decode scalable target %s: %w", resource, err)
			}
			rev = kv.ModRev
		} else if err := a.newTarget(t, resource, in, now); err != nil {
			return nil, err
		}
		if in.MinCapacity != nil {
			t.MinCapacity = *in.MinCapacity
		}
		if in.MaxCapacity != nil {
			t.MaxCapacity = *in.MaxCapacity
		}
		if t.MinCapacity > t.MaxCapacity {
			return nil, validation("Minimum capacity cannot be greater than maximum capacity")
		}
		if in.RoleARN != nil {
			t.RoleARN = *in.RoleARN
		}
		if in.SuspendedState != nil {
			t.SuspendedState = mergeSuspended(t.SuspendedState, in.SuspendedState)
		}
		t.Pending = &pending{Next: now}
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		if _, err := a.store.Commit(ctx, store.Put(targetKey(resource), b, rev)); !errors.Is(err, store.ErrConflict) {
			return t, err
		}
	}
	return nil, concurrentUpdate(resource)
}

// newTarget fills in a target that does not exist yet.
func (a *API) newTarget(t *targetRecord, resource string, in *RegisterScalableTargetInput, now time.Time) error {
	if in.MinCapacity == nil || in.MaxCapacity == nil {
		return validation("MinCapacity and MaxCapacity must be specified when registering a new scalable target")
	}
	if len(a.store.List(targetsPrefix)) >= maxTargets {
		return limitExceeded("The maximum number of scalable targets (%d) for ECS services has been reached", maxTargets)
	}
	t.ScalableTarget = ScalableTarget{ServiceNamespace: namespaceECS, ResourceId: resource, ScalableDimension: dimensionECS,
		RoleARN:           "arn:aws:iam::" + a.cfg.AccountID + ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
		CreationTime:      awsjson.At(now),
		ScalableTargetARN: a.targetARN(),
		SuspendedState:    mergeSuspended(nil, &SuspendedState{}),
	}
	t.ActionID, t.Tags = newID(), in.Tags
	return nil
}

func mergeSuspended(cur, in *SuspendedState) *SuspendedState {
	out := &SuspendedState{}
	if cur != nil {
		*out = *cur
	}
	if in.DynamicScalingInSuspended != nil {
		out.DynamicScalingInSuspended = in.DynamicScalingInSuspended
	}
	if in.DynamicScalingOutSuspended != nil {
		out.DynamicScalingOutSuspended = in.DynamicScalingOutSuspended
	}
	if in.ScheduledScalingSuspended != nil {
		out.ScheduledScalingSuspended = in.ScheduledScalingSuspended
	}
	for _, p := range []**bool{&out.DynamicScalingInSuspended, &out.DynamicScalingOutSuspended, &out.ScheduledScalingSuspended} {
		if *p == nil {
			f := false
			*p = &f
		}
	}
	return out
}

func (t *targetRecord) suspended() (in, out, scheduled bool) {
	s := t.SuspendedState
	if s == nil {
		return false, false, false
	}
	is := func(p *bool) bool { return p != nil && *p }
	return is(s.DynamicScalingInSuspended), is(s.DynamicScalingOutSuspended), is(s.ScheduledScalingSuspended)
}

func (a *API) describeScalableTargets(ctx context.Context, in *DescribeScalableTargetsInput) (*DescribeScalableTargetsOutput, error) {
	if err := checkListing(in.ServiceNamespace, in.ScalableDimension, in.MaxResults); err != nil {
		return nil, err
	}
	out := &DescribeScalableTargetsOutput{ScalableTargets: []ScalableTarget{}}
	if *in.ServiceNamespace != namespaceECS || in.ScalableDimension != nil && *in.ScalableDimension != dimensionECS {
		return out, nil
	}
	now := a.now()
	var all []ScalableTarget
	for _, kv := range a.store.List(targetsPrefix) {
		var t targetRecord
		if json.Unmarshal(kv.Value, &t) != nil || len(in.ResourceIds) > 0 && !contains(in.ResourceIds, t.ResourceId) {
			continue
		}
		st := t.ScalableTarget
		if p := t.Prediction; p != nil && p.active(now) {
			c := int32(p.Capacity)
			st.PredictedCapacity = &c
		}
		all = append(all, st)
	}
	page, next, err := paginate(all, func(t ScalableTarget) string { return t.ResourceId }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out.ScalableTargets, out.NextToken = append(out.ScalableTargets, page...), next
	return out, nil
}

func (a *API) deregisterScalableTarget(ctx context.Context, in *TargetRef) (*Empty, error) {
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	kv, ok := a.store.Get(targetKey(r.resource))
	if !r.ecs() || !ok {
		return nil, refNotFound(r)
	}
	// Everything that belongs to the target goes with it: its policies
	// (their alarms marked for deletion), its scheduled actions, then the
	// target. Its activities stay until they age out, as on AWS.
	var writes []store.Write
	var alarms []string
	for _, p := range a.policies(r.resource) {
		writes = append(writes, orphanWrites(p)...)
		writes = append(writes, store.Del(policyKey(r.resource, p.PolicyName), store.Any))
		alarms = append(alarms, p.alarmNames()...)
	}
	for _, s := range a.store.List(scheduledPrefixOf(r.resource)) {
		writes = append(writes, store.Del(s.Key, store.Any))
	}
	if err := a.commitAll(ctx, writes); err != nil {
		return nil, err
	}
	if _, err := a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev)); errors.Is(err, store.ErrConflict) {
		return nil, concurrentUpdate(r.resource)
	} else if err != nil {
		return nil, err
	}
	if err := a.deleteOrphans(ctx, alarms...); err != nil {
		a.log.Warn("delete alarms of a deregistered target; the controller retries", "resource", r.resource, "err", err)
	}
	return &Empty{}, nil
}

// refNotFound is ObjectNotFoundException for a target that is not
// registered, in any namespace.
func refNotFound(r ref) error {
	return notFound("No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", r.namespace, r.resource, r.dimension)
}
