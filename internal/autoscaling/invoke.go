package autoscaling

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"tide/internal/awsjson"
	"tide/internal/cloudwatch"
	"tide/internal/store"
)

// maxActivities is how many activities a target keeps (AWS keeps six
// weeks of them).
const maxActivities = 200

// InvokePolicy executes a scaling policy for the alarm that invoked it:
// the CloudWatch alarm controller calls it on the alarm's transition to
// ALARM and every period while the alarm stays there. It sets the
// service's desired count as the policy decides and records a scaling
// activity (a not-scaled one when nothing changes for a reason worth
// telling).
func (a *API) InvokePolicy(ctx context.Context, policyARN string, inv cloudwatch.Invocation) error {
	resource, name, ok := parsePolicyARN(policyARN)
	if !ok {
		return fmt.Errorf("not a scaling policy ARN: %s", policyARN)
	}
	p, ok := a.policy(resource, name)
	if !ok || p.PolicyARN != policyARN {
		return fmt.Errorf("scaling policy %s does not exist", policyARN)
	}
	t, _, ok := a.target(resource)
	if !ok {
		return noTarget(resource)
	}
	cluster, service, _ := serviceOf(resource)
	c, err := a.cfg.Services.Capacity(ctx, cluster, service)
	if err != nil {
		return err
	}
	now := a.now()
	want, inAllowed := c.Desired, !suspended(t.suspendedIn())
	var cd time.Duration
	scaleIn := false
	switch p.PolicyType {
	case "TargetTrackingScaling":
		cfg := p.TargetTrackingScalingPolicyConfiguration
		scaleIn = inv.AlarmName == p.LowAlarm
		if len(inv.Values) > 0 {
			// The metric averages over the tasks that run: the load is
			// running × metric, whatever is still starting. Sizing from the
			// desired count would count tasks that carry no load yet and,
			// with one-second alarms invoking every second while they
			// start, run away to the maximum.
			metric := inv.Values[len(inv.Values)-1] // the newest datapoint
			base := c.Running
			if base == 0 {
				base = c.Desired
			}
			want = targetTrackingCapacity(base, metric, *cfg.TargetValue)
		} else if scaleIn { // no datapoint (SetAlarmState): one task at a time
			want = c.Desired - 1
		} else {
			want = c.Desired + 1
		}
		if scaleIn {
			want = min(want, c.Desired) // AlarmLow never scales out
			if err := a.markLow(ctx, resource, name, now); err != nil {
				return err
			}
			inAllowed = inAllowed && a.othersAgree(resource, name, now)
		} else {
			want = max(want, c.Desired) // AlarmHigh never scales in
		}
		cd = a.cooldownOf(cfg.ScaleOutCooldown)
		if scaleIn {
			cd = a.cooldownOf(cfg.ScaleInCooldown)
		}
	case "StepScaling":
		cfg := p.StepScalingPolicyConfiguration
		how := ""
		if cfg.MetricAggregationType != nil {
			how = *cfg.MetricAggregationType
		}
		breach := 0.0 // no datapoint (SetAlarmState): the threshold just crossed
		if len(inv.Values) > 0 {
			breach = aggregate(inv.Values, how) - inv.Threshold
		}
		adj, ok := stepAdjustmentFor(cfg.StepAdjustments, breach)
		if !ok {
			return nil // no step covers the breach: nothing to do, as AWS
		}
		minMag := int32(0)
		if cfg.MinAdjustmentMagnitude != nil {
			minMag = *cfg.MinAdjustmentMagnitude
		}
		base := c.Desired
		if now.Before(t.Cooldown.OutUntil) && t.Cooldown.OutFrom > 0 {
			// During a cooldown the adjustment counts from the capacity
			// before the scale-out in progress: a repeated alarm adds only
			// what exceeds it (AWS's step scaling cooldown).
			base = t.Cooldown.OutFrom
		}
		want = stepCapacity(base, *cfg.AdjustmentType, adj, minMag)
		scaleIn = want < c.Desired
		cd = a.cooldownOf(cfg.Cooldown)
	default:
		return nil
	}
	got, why := decide(want, c, int(t.MinCapacity), int(t.MaxCapacity), t.Cooldown, now, inAllowed, !suspended(t.suspendedOut()))
	cause := fmt.Sprintf("monitor alarm %s in state %s triggered policy %s", inv.AlarmName, inv.State, name)
	if got == c.Desired {
		if why == "AlreadyAtMaxCapacity" || why == "AlreadyAtMinCapacity" {
			return a.notScaled(ctx, t, c, cause, why, now)
		}
		return nil
	}
	if err := a.scaleTo(ctx, resource, c.Desired, got, cause, ""); err != nil {
		return err
	}
	_, err = a.updateTarget(ctx, resource, func(r *targetRecord) error {
		if got > c.Desired {
			if !now.Before(r.Cooldown.OutUntil) {
				r.Cooldown.OutFrom = c.Desired // the capacity before this run of scale-outs
			}
			r.Cooldown.LastOut, r.Cooldown.OutUntil = now, now.Add(cd)
			r.Cooldown.InUntil = time.Time{} // a scale-out ends a scale-in cooldown
		} else {
			r.Cooldown.LastIn, r.Cooldown.InUntil = now, now.Add(cd)
		}
		return nil
	})
	return err
}

func (t *targetRecord) suspendedIn() *bool {
	if t.SuspendedState == nil {
		return nil
	}
	return t.SuspendedState.DynamicScalingInSuspended
}

func (t *targetRecord) suspendedOut() *bool {
	if t.SuspendedState == nil {
		return nil
	}
	return t.SuspendedState.DynamicScalingOutSuspended
}

// cooldownOf is a policy's cooldown, or the timing profile's default.
func (a *API) cooldownOf(s *int32) time.Duration {
	if s == nil {
		return a.cfg.Timing.DefaultCooldown
	}
	return time.Duration(*s) * time.Second
}

// markLow records that a policy's AlarmLow asked to scale in.
func (a *API) markLow(ctx context.Context, resource, policy string, now time.Time) error {
	_, err := a.updateTarget(ctx, resource, func(r *targetRecord) error {
		if r.LowSince == nil {
			r.LowSince = map[string]time.Time{}
		}
		r.LowSince[policy] = now
		return nil
	})
	return err
}

// othersAgree reports whether every other target tracking policy of the
// target that may scale in asked to within the last few periods: with
// several policies, "scale in only if all of them agree".
func (a *API) othersAgree(resource, policy string, now time.Time) bool {
	t, _, ok := a.target(resource)
	if !ok {
		return false
	}
	for _, p := range a.policies(resource) {
		if p.PolicyName == policy || p.PolicyType != "TargetTrackingScaling" {
			continue
		}
		if c := p.TargetTrackingScalingPolicyConfiguration; c.DisableScaleIn != nil && *c.DisableScaleIn {
			continue
		}
		if now.Sub(t.LowSince[p.PolicyName]) > 3*a.cfg.Timing.AlarmPeriod {
			return false
		}
	}
	return true
}

// scaleTo sets the desired count and records the activity.
func (a *API) scaleTo(ctx context.Context, resource string, from, to int, cause, details string) error {
	cluster, service, _ := serviceOf(resource)
	now := a.now()
	act := ScalingActivity{ActivityId: newID(), ServiceNamespace: namespaceECS, ResourceId: resource, ScalableDimension: dimensionECS,
		Description: fmt.Sprintf("Setting desired count to %d.", to), Cause: cause, StartTime: awsjson.At(now), Details: details}
	if err := a.cfg.Services.SetDesiredCount(ctx, cluster, service, to); err != nil {
		act.StatusCode, act.StatusMessage = "Failed", fmt.Sprintf("Failed to set desired count to %d. Reason: %v", to, err)
	} else {
		act.StatusCode, act.StatusMessage = "Successful", fmt.Sprintf("Successfully set desired count to %d. Change successfully fulfilled by ecs.", to)
	}
	act.EndTime = awsjson.At(a.now())
	a.log.Info("scaling", "resource", resource, "from", from, "to", to, "cause", cause, "status", act.StatusCode)
	return a.record(ctx, act)
}

// notScaled records that a policy asked for capacity the target's limits
// deny, at most once a minute per reason.
func (a *API) notScaled(ctx context.Context, t *targetRecord, c Capacity, cause, code string, now time.Time) error {
	for _, act := range a.activities(t.ResourceId) {
		if len(act.NotScaledReasons) > 0 && act.NotScaledReasons[0].Code == code && now.Sub(act.StartTime.Time) < time.Minute {
			return nil
		}
	}
	cur, lo, hi := int32(c.Desired), t.MinCapacity, t.MaxCapacity
	dir := "out"
	if code == "AlreadyAtMinCapacity" {
		dir = "in"
	}
	act := ScalingActivity{ActivityId: newID(), ServiceNamespace: namespaceECS, ResourceId: t.ResourceId, ScalableDimension: dimensionECS,
		Description: fmt.Sprintf("Attempting to scale-%s ecs service %s.", dir, t.ResourceId), Cause: cause,
		StartTime: awsjson.At(now), EndTime: awsjson.At(now), StatusCode: "Failed", StatusMessage: "Failed to scale: " + code,
		NotScaledReasons: []NotScaledReason{{Code: code, CurrentCapacity: &cur, MinCapacity: &lo, MaxCapacity: &hi}}}
	return a.record(ctx, act)
}

// record stores an activity and trims the oldest beyond maxActivities.
func (a *API) record(ctx context.Context, act ScalingActivity) error {
	b, _ := json.Marshal(&act)
	key := activityPrefix(act.ResourceId) + fmt.Sprintf("%020d", act.StartTime.UnixNano()) + "-" + act.ActivityId
	writes := []store.Write{store.Put(key, b, store.Any)}
	if old := a.store.List(activityPrefix(act.ResourceId)); len(old) >= maxActivities {
		for _, kv := range old[:len(old)-maxActivities+1] {
			writes = append(writes, store.Del(kv.Key, store.Any))
		}
	}
	_, err := a.store.Commit(ctx, writes...)
	return err
}

// activities returns a target's activities, newest first.
func (a *API) activities(resource string) []ScalingActivity {
	var out []ScalingActivity
	for _, kv := range a.store.List(activityPrefix(resource)) {
		var act ScalingActivity
		if json.Unmarshal(kv.Value, &act) == nil {
			out = append(out, act)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTime.After(out[j].StartTime.Time) })
	return out
}

func (a *API) describeScalingActivities(ctx context.Context, in *DescribeScalingActivitiesInput) (*DescribeScalingActivitiesOutput, error) {
	if in.ServiceNamespace == nil {
		return nil, validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	out := &DescribeScalingActivitiesOutput{ScalingActivities: []ScalingActivity{}}
	if *in.ServiceNamespace != namespaceECS {
		return out, nil
	}
	var resources []string
	if in.ResourceId != nil {
		resources = []string{*in.ResourceId}
	} else {
		for _, kv := range a.store.List("autoscaling/targets/") {
			var r targetRecord
			if json.Unmarshal(kv.Value, &r) == nil {
				resources = append(resources, r.ResourceId)
			}
		}
	}
	notScaled := in.IncludeNotScaledActivities != nil && *in.IncludeNotScaledActivities
	var all []ScalingActivity
	for _, r := range resources {
		for _, act := range a.activities(r) {
			if len(act.NotScaledReasons) > 0 && !notScaled {
				continue
			}
			all = append(all, act)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].StartTime.After(all[j].StartTime.Time) })
	limit, offset := 50, 0
	if in.MaxResults != nil && *in.MaxResults > 0 {
		limit = int(*in.MaxResults)
	}
	if in.NextToken != nil {
		n, err := strconv.Atoi(*in.NextToken)
		if err != nil || n < 0 {
			return nil, awserrInvalidToken()
		}
		offset = n
	}
	for i := offset; i < len(all) && i < offset+limit; i++ {
		out.ScalingActivities = append(out.ScalingActivities, all[i])
	}
	if offset+limit < len(all) {
		tok := strconv.Itoa(offset + limit)
		out.NextToken = &tok
	}
	return out, nil
}
