package autoscaling

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ExecutePolicy executes the scaling policy an alarm invoked: the alarm
// controller calls it when an alarm whose action is policyARN (with or
// without AWS's ":createdBy/<uuid>" suffix) is in ALARM, on the transition
// and again every period while it stays there. It decides the desired
// count as the policy's type does, sets it through Services and records a
// scaling activity, or, when the target's range stops it, a not-scaled
// activity. Cooldowns, suspended states, deployments in progress and other
// target tracking policies can also hold a change back; those leave no
// activity. A policy or target that no longer exists is
// ObjectNotFoundException.
func (a *API) ExecutePolicy(ctx context.Context, policyARN string, ev AlarmEvent) error {
	resource, name, ok := parsePolicyARN(policyARN)
	if !ok {
		return notFound("No scaling policy found for ARN %s", policyARN)
	}
	defer a.lock(resource)()
	base, _, _ := strings.Cut(policyARN, ":createdBy/")
	p, ok := a.policy(resource, name)
	if !ok || p.PolicyARN != base {
		return notFound("No scaling policy found for ARN %s", base)
	}
	t, ok := a.target(resource)
	if !ok {
		return noTarget(resource)
	}
	cluster, service, _ := serviceOf(resource)
	c, err := a.cfg.Services.Capacity(ctx, cluster, service)
	if err != nil {
		if isNotFound(err) {
			return validation("ECS service doesn't exist: %s", resource)
		}
		return fmt.Errorf("read ECS service %s: %w", resource, err)
	}
	now := a.now()
	var plan scalingPlan
	switch p.PolicyType {
	case "TargetTrackingScaling":
		plan, err = a.planTracking(ctx, p, t, c, ev, now)
	case "StepScaling":
		plan = a.planStep(p, t, c, ev, now)
	default:
		return nil // predictive policies are not invoked by alarms
	}
	if err != nil || !plan.act {
		return err
	}
	return a.apply(ctx, t, c, p, ev, plan, now)
}

// scalingPlan is what a policy asks for.
type scalingPlan struct {
	act         bool // false: the policy asks for nothing
	want        int
	outCD, inCD time.Duration
	reportEqual bool // record AlreadyAtDesiredCapacity
}

// apply decides and, when the desired count changes, sets it and starts
// the cooldown.
func (a *API) apply(ctx context.Context, t *targetRecord, c Capacity, p *policyRecord, ev AlarmEvent, plan scalingPlan, now time.Time) error {
	lo, hi := t.bounds(now)
	in, out, _ := t.suspended()
	got, why := decide(plan.want, situation{Capacity: c, Min: lo, Max: hi, Cooldown: t.Cooldown, Now: now, InSuspended: in, OutSuspended: out})
	cause := fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", ev.AlarmName, p.PolicyName)
	if got == c.Desired {
		if why == atMax || why == atMin || why == atDesired && plan.reportEqual {
			return a.notScaled(ctx, t, c.Desired, cause, why, now)
		}
		a.log.Debug("not scaled", "policy", p.PolicyARN, "want", plan.want, "desired", c.Desired, "reason", why)
		return nil
	}
	if err := a.scaleTo(ctx, t.ResourceId, got, cause); err != nil {
		return err
	}
	_, err := a.updateTarget(ctx, t.ResourceId, func(r *targetRecord) error {
		r.Cooldown = afterScaling(r.Cooldown, c.Desired, got, now, plan.outCD, plan.inCD)
		return nil
	})
	return err
}

// planTracking is a target tracking policy's request: AlarmHigh scales
// out, AlarmLow scales in once every target tracking policy that can scale
// in agrees.
func (a *API) planTracking(ctx context.Context, p *policyRecord, t *targetRecord, c Capacity, ev AlarmEvent, now time.Time) (scalingPlan, error) {
	cfg := p.TargetTrackingScalingPolicyConfiguration
	out := ev.AlarmName == p.HighAlarm || ev.AlarmName != p.LowAlarm && !strings.HasPrefix(ev.Comparison, "LessThan")
	plan := scalingPlan{act: true, reportEqual: true, outCD: a.cooldownOf(cfg.ScaleOutCooldown), inCD: a.cooldownOf(cfg.ScaleInCooldown)}
	if metric, ok := trackingMetric(ev.Values, out); ok {
		plan.want = trackingCapacity(c, metric, *cfg.TargetValue, out)
	} else if out { // no datapoints (SetAlarmState): one task at a time
		plan.want = c.Desired + 1
	} else {
		plan.want = max(c.Desired-1, 0)
	}
	if out {
		return plan, nil
	}
	if cfg.DisableScaleIn != nil && *cfg.DisableScaleIn {
		return scalingPlan{}, nil
	}
	want, err := a.consensus(ctx, t.ResourceId, p.PolicyName, proposal{Capacity: plan.want, At: now}, now)
	if err != nil || want < 0 {
		return scalingPlan{}, err
	}
	plan.want = want
	return plan, nil
}

// consensus records a target tracking policy's scale-in request and
// returns the capacity to scale in to, or -1 while another policy that can
// scale in has not asked to within three alarm periods.
func (a *API) consensus(ctx context.Context, resource, policy string, req proposal, now time.Time) (int, error) {
	var enabled []string
	for _, q := range a.policies(resource) {
		if c := q.TargetTrackingScalingPolicyConfiguration; q.PolicyType == "TargetTrackingScaling" && c != nil && (c.DisableScaleIn == nil || !*c.DisableScaleIn) {
			enabled = append(enabled, q.PolicyName)
		}
	}
	t, err := a.updateTarget(ctx, resource, func(r *targetRecord) error {
		low := map[string]proposal{policy: req}
		for name, prev := range r.Low {
			if name != policy && contains(enabled, name) {
				low[name] = prev
			}
		}
		r.Low = low
		return nil
	})
	if err != nil {
		return -1, err
	}
	want, ok := scaleInConsensus(t.Low, enabled, now, 3*a.cfg.Timing.AlarmPeriod)
	if !ok {
		return -1, nil
	}
	return want, nil
}

// planStep is a step scaling policy's request: the step adjustment for the
// size of the breach, counted from the capacity before a scale-out
// cooldown in progress.
func (a *API) planStep(p *policyRecord, t *targetRecord, c Capacity, ev AlarmEvent, now time.Time) scalingPlan {
	cfg := p.StepScalingPolicyConfiguration
	above := !strings.HasPrefix(ev.Comparison, "LessThan")
	breach := 0.0 // no datapoints (SetAlarmState): as if the threshold were just crossed
	if len(ev.Values) > 0 {
		breach = aggregate(ev.Values, deref(cfg.MetricAggregationType)) - ev.Threshold
	}
	adj, ok := stepAdjustmentFor(cfg.StepAdjustments, breach, above)
	if !ok {
		return scalingPlan{} // no step covers the breach
	}
	minMag := int32(0)
	if cfg.MinAdjustmentMagnitude != nil {
		minMag = *cfg.MinAdjustmentMagnitude
	}
	cd := a.cooldownOf(cfg.Cooldown)
	want := stepCapacity(stepBase(t.Cooldown, c.Desired, now), deref(cfg.AdjustmentType), adj, minMag)
	return scalingPlan{act: true, want: max(want, 0), outCD: cd, inCD: cd}
}

// cooldownOf is a policy's cooldown, or the timing profile's default.
func (a *API) cooldownOf(s *int32) time.Duration {
	if s == nil {
		return a.cfg.Timing.DefaultCooldown
	}
	return time.Duration(*s) * time.Second
}

// bounds is the range policies scale within at now: the registered
// minimum and maximum, the minimum raised to the capacity predictive
// scaling forecasts for the hour and, with IncreaseMaxCapacity, the
// maximum to its buffered forecast.
func (t *targetRecord) bounds(now time.Time) (lo, hi int) {
	lo, hi = int(t.MinCapacity), int(t.MaxCapacity)
	if p := t.Prediction; p != nil && p.active(now) {
		hi = max(hi, p.Max)
		lo = max(lo, min(p.Capacity, hi))
	}
	return lo, hi
}
