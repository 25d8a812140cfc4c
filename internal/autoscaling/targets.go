package autoscaling

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"tide/internal/awsjson"
	"tide/internal/store"
)

// targetRecord is a scalable target as stored, with what scaling
// remembers of it.
type targetRecord struct {
	ScalableTarget
	Tags     map[string]string    `json:"tags,omitempty"`
	Cooldown cooldown             `json:"cooldown"`
	LowSince map[string]time.Time `json:"lowSince,omitempty"` // policy -> its AlarmLow's last invocation
}

func (a *API) target(resource string) (*targetRecord, int64, bool) {
	kv, ok := a.store.Get(targetKey(resource))
	if !ok {
		return nil, 0, false
	}
	var r targetRecord
	if json.Unmarshal(kv.Value, &r) != nil {
		return nil, 0, false
	}
	return &r, kv.ModRev, true
}

// updateTarget applies fn to the stored target under a revision check.
func (a *API) updateTarget(ctx context.Context, resource string, fn func(*targetRecord) error) (*targetRecord, error) {
	var out targetRecord
	_, err := a.store.Update(ctx, targetKey(resource), func(cur store.KV) ([]byte, error) {
		out = targetRecord{}
		if err := json.Unmarshal(cur.Value, &out); err != nil {
			return nil, err
		}
		if err := fn(&out); err != nil {
			return nil, err
		}
		return json.Marshal(&out)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, noTarget(resource)
	}
	return &out, err
}

func (a *API) registerScalableTarget(ctx context.Context, in *RegisterScalableTargetInput) (*RegisterScalableTargetOutput, error) {
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	for _, c := range []*int32{in.MinCapacity, in.MaxCapacity} {
		if c != nil && *c < 0 {
			return nil, validation("1 validation error detected: Value '%d' at 'minCapacity' failed to satisfy constraint: Member must have value greater than or equal to 0", *c)
		}
	}
	resource := *in.ResourceId
	cluster, service, _ := serviceOf(resource)
	if _, err := a.cfg.Services.Capacity(ctx, cluster, service); err != nil {
		return nil, validation("ECS service doesn't exist: %s", resource)
	}
	now := a.now()
	var out targetRecord
	err := a.upsert(ctx, targetKey(resource), func(cur []byte) ([]byte, error) {
		out = targetRecord{}
		if cur != nil {
			if err := json.Unmarshal(cur, &out); err != nil {
				return nil, err
			}
		} else {
			if in.MinCapacity == nil || in.MaxCapacity == nil {
				return nil, validation("MinCapacity and MaxCapacity must be specified when registering a new scalable target")
			}
			out.ScalableTarget = ScalableTarget{ServiceNamespace: namespaceECS, ResourceId: resource, ScalableDimension: dimensionECS,
				RoleARN:           "arn:aws:iam::" + a.cfg.AccountID + ":role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
				CreationTime:      awsjson.At(now),
				ScalableTargetARN: "arn:aws:application-autoscaling:" + a.cfg.Region + ":" + a.cfg.AccountID + ":scalable-target/" + newID()[:8] + newID()[:8],
			}
		}
		if in.MinCapacity != nil {
			out.MinCapacity = *in.MinCapacity
		}
		if in.MaxCapacity != nil {
			out.MaxCapacity = *in.MaxCapacity
		}
		if out.MinCapacity > out.MaxCapacity {
			return nil, validation("Minimum capacity cannot be greater than maximum capacity")
		}
		if in.RoleARN != nil {
			out.RoleARN = *in.RoleARN
		}
		if in.SuspendedState != nil {
			out.SuspendedState = mergeSuspended(out.SuspendedState, in.SuspendedState)
		}
		if in.Tags != nil && cur == nil {
			out.Tags = in.Tags
		}
		return json.Marshal(&out)
	})
	if err != nil {
		return nil, err
	}
	// Registering clamps the desired count into the new range, as AWS does.
	if c, err := a.cfg.Services.Capacity(ctx, cluster, service); err == nil {
		if n := max(int(out.MinCapacity), min(int(out.MaxCapacity), c.Desired)); n != c.Desired {
			a.scaleTo(ctx, resource, c.Desired, n, "registering the scalable target", "")
		}
	}
	return &RegisterScalableTargetOutput{ScalableTargetARN: out.ScalableTargetARN}, nil
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
	f := false
	for _, p := range []**bool{&out.DynamicScalingInSuspended, &out.DynamicScalingOutSuspended, &out.ScheduledScalingSuspended} {
		if *p == nil {
			*p = &f
		}
	}
	return out
}

func suspended(p *bool) bool { return p != nil && *p }

func (a *API) describeScalableTargets(ctx context.Context, in *DescribeScalableTargetsInput) (*DescribeScalableTargetsOutput, error) {
	if in.ServiceNamespace == nil {
		return nil, validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	out := &DescribeScalableTargetsOutput{ScalableTargets: []ScalableTarget{}}
	if *in.ServiceNamespace != namespaceECS {
		return out, nil
	}
	for _, kv := range a.store.List("autoscaling/targets/") {
		var r targetRecord
		if json.Unmarshal(kv.Value, &r) != nil {
			continue
		}
		if len(in.ResourceIds) > 0 && !slices.Contains(in.ResourceIds, r.ResourceId) {
			continue
		}
		if r.SuspendedState == nil {
			r.SuspendedState = mergeSuspended(nil, &SuspendedState{})
		}
		out.ScalableTargets = append(out.ScalableTargets, r.ScalableTarget)
	}
	return out, nil
}

func (a *API) deregisterScalableTarget(ctx context.Context, in *TargetRef) (*Empty, error) {
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	resource := *in.ResourceId
	_, rev, ok := a.target(resource)
	if !ok {
		return nil, noTarget(resource)
	}
	for _, p := range a.policies(resource) {
		if err := a.removePolicy(ctx, p); err != nil {
			return nil, err
		}
	}
	writes := []store.Write{store.Del(targetKey(resource), rev)}
	for _, prefix := range []string{scheduledPrefix(resource), activityPrefix(resource)} {
		for _, kv := range a.store.List(prefix) {
			writes = append(writes, store.Del(kv.Key, kv.ModRev))
		}
	}
	for len(writes) > 0 { // etcd bounds the operations of one transaction
		n := min(len(writes), 100)
		if _, err := a.store.Commit(ctx, writes[:n]...); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		writes = writes[n:]
	}
	return &Empty{}, nil
}
