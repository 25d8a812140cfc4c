package autoscaling

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// predict holds every target with a ForecastAndScale policy at the
// capacity forecast for the coming hour, SchedulingBufferTime ahead of it;
// with several such policies on one target, at the largest. Targets whose
// policies are gone lose their prediction.
func (c *Controller) predict(ctx context.Context, now time.Time) {
	a := c.api
	best := map[string]*prediction{}
	for _, p := range decodePolicies(a.store.List(policiesPrefix)) {
		cfg := p.PredictiveScalingPolicyConfiguration
		if p.PolicyType != "PredictiveScaling" || cfg == nil || deref(cfg.Mode) != "ForecastAndScale" {
			continue
		}
		if pr := a.nextPrediction(p, now); pr != nil && (best[p.ResourceId] == nil || pr.Capacity > best[p.ResourceId].Capacity) {
			best[p.ResourceId] = pr
		}
	}
	for _, kv := range a.store.List(targetsPrefix) {
		var t targetRecord
		if json.Unmarshal(kv.Value, &t) != nil || t.Prediction == nil && best[t.ResourceId] == nil {
			continue
		}
		if err := a.hold(ctx, t.ResourceId, best[t.ResourceId], now); err != nil && ctx.Err() == nil {
			c.log.Warn("predictive scaling", "resource", t.ResourceId, "err", err)
		}
	}
}

// nextPrediction is what a ForecastAndScale policy forecasts for the hour
// that starts within SchedulingBufferTime of now (the current hour when
// none does), or nil without a forecast.
func (a *API) nextPrediction(p *policyRecord, now time.Time) *prediction {
	t, ok := a.target(p.ResourceId)
	if !ok {
		return nil
	}
	buffer := defaultBuffer
	if b := p.PredictiveScalingPolicyConfiguration.SchedulingBufferTime; b != nil {
		buffer = time.Duration(*b) * time.Second
	}
	at := now.Add(buffer)
	_, capacity, maxes := a.forecastFor(p, t, at)
	hour := at.Truncate(forecastStep)
	if len(capacity) == 0 || !capacity[0].Time.Equal(hour) {
		return nil
	}
	return &prediction{Policy: p.PolicyName, Capacity: int(capacity[0].Value), Max: maxes[0],
		From: hour.Add(-buffer), Until: hour.Add(forecastStep)}
}

// hold stores a target's prediction (nil clears it) and scales the
// service out to it if it has less, unless scale-out is suspended.
func (a *API) hold(ctx context.Context, resource string, pr *prediction, now time.Time) error {
	defer a.lock(resource)()
	t, err := a.updateTarget(ctx, resource, func(r *targetRecord) error {
		r.Prediction = pr
		return nil
	})
	if err != nil || pr == nil || !pr.active(now) {
		return err
	}
	if _, out, _ := t.suspended(); out {
		return nil
	}
	cluster, service, _ := serviceOf(resource)
	c, err := a.cfg.Services.Capacity(ctx, cluster, service)
	if err != nil {
		return fmt.Errorf("read ECS service %s: %w", resource, err)
	}
	lo, _ := t.bounds(now)
	if c.Desired >= lo {
		return nil
	}
	cause := fmt.Sprintf("predictive scaling policy %s forecast capacity %d for %s", pr.Policy, lo, pr.Until.Add(-forecastStep).UTC().Format(time.RFC3339))
	return a.scaleTo(ctx, resource, lo, cause)
}
