package autoscaling

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"tide/internal/awsjson"
	"tide/internal/forecast"
	"tide/internal/metrics"
)

// Predictive scaling forecasts a service's load from its own history (the
// package forecast: daily and weekly patterns from up to 14 days, at
// least 24 hours needed, as AWS) and the capacity that load needs at the
// policy's target, hour by hour for the next 48 hours. ForecastAndScale
// raises the desired count to the forecast capacity at the start of each
// hour (SchedulingBufferTime earlier); it never scales in: target
// tracking does that.

type PredictiveScalingPolicyConfiguration struct {
	MetricSpecifications      []PredictiveScalingMetricSpecification `json:"MetricSpecifications"`
	Mode                      *string                                `json:"Mode,omitempty"`
	SchedulingBufferTime      *int32                                 `json:"SchedulingBufferTime,omitempty"`
	MaxCapacityBreachBehavior *string                                `json:"MaxCapacityBreachBehavior,omitempty"`
	MaxCapacityBuffer         *int32                                 `json:"MaxCapacityBuffer,omitempty"`
}

type PredictiveScalingMetricSpecification struct {
	TargetValue                          *float64                    `json:"TargetValue"`
	PredefinedMetricPairSpecification    *PredictivePredefinedMetric `json:"PredefinedMetricPairSpecification,omitempty"`
	PredefinedScalingMetricSpecification *PredictivePredefinedMetric `json:"PredefinedScalingMetricSpecification,omitempty"`
	PredefinedLoadMetricSpecification    *PredictivePredefinedMetric `json:"PredefinedLoadMetricSpecification,omitempty"`
}

type PredictivePredefinedMetric struct {
	PredefinedMetricType string  `json:"PredefinedMetricType"`
	ResourceLabel        *string `json:"ResourceLabel,omitempty"`
}

type GetPredictiveScalingForecastInput struct {
	ServiceNamespace  *string       `json:"ServiceNamespace"`
	ResourceId        *string       `json:"ResourceId"`
	ScalableDimension *string       `json:"ScalableDimension"`
	PolicyName        *string       `json:"PolicyName"`
	StartTime         *awsjson.Time `json:"StartTime"`
	EndTime           *awsjson.Time `json:"EndTime"`
}

type LoadForecast struct {
	Timestamps          []awsjson.Time                       `json:"Timestamps"`
	Values              []float64                            `json:"Values"`
	MetricSpecification PredictiveScalingMetricSpecification `json:"MetricSpecification"`
}

type CapacityForecast struct {
	Timestamps []awsjson.Time `json:"Timestamps"`
	Values     []float64      `json:"Values"`
}

type GetPredictiveScalingForecastOutput struct {
	LoadForecast     []LoadForecast    `json:"LoadForecast"`
	CapacityForecast *CapacityForecast `json:"CapacityForecast,omitempty"`
	UpdateTime       *awsjson.Time     `json:"UpdateTime,omitempty"`
}

// Metrics reads the metric history predictive scaling forecasts from.
type Metrics interface {
	Get(q metrics.Query) []metrics.Point
}

const forecastStep = time.Hour

func checkPredictive(c *PredictiveScalingPolicyConfiguration) error {
	if c == nil || len(c.MetricSpecifications) != 1 {
		return validation("PredictiveScalingPolicyConfiguration must have exactly one MetricSpecifications item")
	}
	if c.Mode != nil && *c.Mode != "ForecastOnly" && *c.Mode != "ForecastAndScale" {
		return validation("Mode must be ForecastOnly or ForecastAndScale")
	}
	if b := c.SchedulingBufferTime; b != nil && (*b < 0 || *b > 3600) {
		return validation("SchedulingBufferTime must be between 0 and 3600 seconds")
	}
	s := c.MetricSpecifications[0]
	if s.TargetValue == nil || *s.TargetValue <= 0 {
		return validation("TargetValue must be greater than 0")
	}
	m := predictiveMetric(s)
	if m == nil {
		return validation("Tide supports predefined metric pairs (or load metrics) for predictive scaling: ECSServiceCPUUtilization, ECSServiceMemoryUtilization, ALBRequestCount")
	}
	switch m.PredefinedMetricType {
	case "ECSServiceCPUUtilization", "ECSServiceMemoryUtilization":
	case "ALBRequestCount":
		if m.ResourceLabel == nil {
			return validation("ResourceLabel must be specified for metric type ALBRequestCount")
		}
	default:
		return validation("Unsupported metric type %s for service namespace ecs", m.PredefinedMetricType)
	}
	return nil
}

func predictiveMetric(s PredictiveScalingMetricSpecification) *PredictivePredefinedMetric {
	if s.PredefinedMetricPairSpecification != nil {
		return s.PredefinedMetricPairSpecification
	}
	return s.PredefinedLoadMetricSpecification
}

// loadHistory reads a policy's load metric, hour by hour, over the 14
// days before now, and the load one task carries at the target: for CPU
// and memory, the service's units in use (ECS/ContainerInsights
// CpuUtilized, MemoryUtilized) and the target share of one task's
// reservation; for ALBRequestCount, the target group's requests per
// minute and the target requests per task per minute.
func (a *API) loadHistory(resource string, s PredictiveScalingMetricSpecification, now time.Time) (hist []forecast.Sample, perTask float64) {
	cluster, service, _ := serviceOf(resource)
	m := predictiveMetric(s)
	start := now.Add(-forecast.MaxHistory).Truncate(forecastStep)
	end := now.Truncate(forecastStep)
	get := func(ns, name, stat string, dims ...metrics.Dimension) map[int64]float64 {
		out := map[int64]float64{}
		for _, p := range a.cfg.Metrics.Get(metrics.Query{Namespace: ns, MetricName: name, Dimensions: dims, Stat: stat, Period: forecastStep, Start: start, End: end}) {
			out[p.Time.Unix()] = p.Value
		}
		return out
	}
	svc := []metrics.Dimension{{Name: "ClusterName", Value: cluster}, {Name: "ServiceName", Value: service}}
	var load map[int64]float64
	switch m.PredefinedMetricType {
	case "ALBRequestCount":
		_, tg, _ := strings.Cut(*m.ResourceLabel, "/targetgroup/")
		load = get("AWS/ApplicationELB", "RequestCount", "Sum", metrics.Dimension{Name: "TargetGroup", Value: "targetgroup/" + tg})
		for t, v := range load {
			load[t] = v / 60 // per minute
		}
		perTask = *s.TargetValue
	default:
		used, reserved := "CpuUtilized", "CpuReserved"
		if m.PredefinedMetricType == "ECSServiceMemoryUtilization" {
			used, reserved = "MemoryUtilized", "MemoryReserved"
		}
		load = get("ECS/ContainerInsights", used, "Average", svc...)
		res, tasks := get("ECS/ContainerInsights", reserved, "Average", svc...), get("ECS/ContainerInsights", "RunningTaskCount", "Average", svc...)
		var sum, n float64
		for t, r := range res {
			if c := tasks[t]; c > 0 {
				sum += r / c
				n++
			}
		}
		if n > 0 {
			perTask = sum / n * *s.TargetValue / 100
		}
	}
	for t := start; t.Before(end); t = t.Add(forecastStep) {
		v, ok := load[t.Unix()]
		if !ok {
			v = math.NaN()
		}
		hist = append(hist, forecast.Sample{Time: t, Value: v})
	}
	return hist, perTask
}

// forecastFor returns a predictive policy's load and capacity forecasts
// from the current hour over the next 48 hours; none with less than a day
// of history.
func (a *API) forecastFor(p *policyRecord, t *targetRecord, now time.Time) (load, capacity []forecast.Sample) {
	if a.cfg.Metrics == nil {
		return nil, nil
	}
	s := p.PredictiveScalingPolicyConfiguration.MetricSpecifications[0]
	hist, perTask := a.loadHistory(p.ResourceId, s, now)
	from := now.Truncate(forecastStep)
	if !forecast.Sufficient(hist, from) || perTask <= 0 {
		return nil, nil
	}
	load = forecast.Forecast(hist, from, forecastStep, 48*time.Hour)
	maxCap := int(t.MaxCapacity)
	if c := p.PredictiveScalingPolicyConfiguration; c.MaxCapacityBreachBehavior != nil && *c.MaxCapacityBreachBehavior == "IncreaseMaxCapacity" {
		buf := int32(0)
		if c.MaxCapacityBuffer != nil {
			buf = *c.MaxCapacityBuffer
		}
		maxCap = int(t.MaxCapacity) * (100 + int(buf)) / 100
	}
	return load, forecast.Capacity(load, perTask, int(t.MinCapacity), maxCap)
}

func (a *API) getPredictiveScalingForecast(ctx context.Context, in *GetPredictiveScalingForecastInput) (*GetPredictiveScalingForecastOutput, error) {
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	if in.PolicyName == nil || in.StartTime == nil || in.EndTime == nil {
		return nil, validation("PolicyName, StartTime and EndTime must be specified")
	}
	p, ok := a.policy(*in.ResourceId, *in.PolicyName)
	if !ok || p.PolicyType != "PredictiveScaling" {
		return nil, validation("No predictive scaling policy %s for %s", *in.PolicyName, *in.ResourceId)
	}
	t, _, ok := a.target(*in.ResourceId)
	if !ok {
		return nil, noTarget(*in.ResourceId)
	}
	now := a.now()
	load, capacity := a.forecastFor(p, t, now)
	spec := p.PredictiveScalingPolicyConfiguration.MetricSpecifications[0]
	out := &GetPredictiveScalingForecastOutput{UpdateTime: awsjson.At(now), CapacityForecast: &CapacityForecast{Timestamps: []awsjson.Time{}, Values: []float64{}}}
	lf := LoadForecast{Timestamps: []awsjson.Time{}, Values: []float64{}, MetricSpecification: spec}
	within := func(ts time.Time) bool { return !ts.Before(in.StartTime.Time) && ts.Before(in.EndTime.Time) }
	for _, s := range load {
		if within(s.Time) {
			lf.Timestamps, lf.Values = append(lf.Timestamps, awsjson.Time{Time: s.Time}), append(lf.Values, s.Value)
		}
	}
	for _, s := range capacity {
		if within(s.Time) {
			out.CapacityForecast.Timestamps = append(out.CapacityForecast.Timestamps, awsjson.Time{Time: s.Time})
			out.CapacityForecast.Values = append(out.CapacityForecast.Values, s.Value)
		}
	}
	out.LoadForecast = []LoadForecast{lf}
	return out, nil
}

// predict raises the desired counts of targets whose ForecastAndScale
// policies forecast more capacity for the coming hour (SchedulingBufferTime
// ahead of it) than they have.
func (c *Controller) predict(ctx context.Context, now time.Time) {
	a := c.api
	for _, p := range a.allPolicies() {
		cfg := p.PredictiveScalingPolicyConfiguration
		if p.PolicyType != "PredictiveScaling" || cfg == nil || cfg.Mode == nil || *cfg.Mode != "ForecastAndScale" {
			continue
		}
		t, _, ok := a.target(p.ResourceId)
		if !ok || t.SuspendedState != nil && suspended(t.SuspendedState.DynamicScalingOutSuspended) {
			continue
		}
		buffer := 5 * time.Minute // AWS's default SchedulingBufferTime is 300 s
		if cfg.SchedulingBufferTime != nil {
			buffer = time.Duration(*cfg.SchedulingBufferTime) * time.Second
		}
		_, capacity := a.forecastFor(p, t, now.Add(buffer))
		if len(capacity) == 0 {
			continue
		}
		want := int(capacity[0].Value)
		cluster, service, _ := serviceOf(p.ResourceId)
		cur, err := a.cfg.Services.Capacity(ctx, cluster, service)
		if err != nil || want <= cur.Desired {
			continue
		}
		cause := fmt.Sprintf("predictive scaling policy %s forecasts %d tasks for %s", p.PolicyName, want, capacity[0].Time.Format(time.RFC3339))
		if err := a.scaleTo(ctx, p.ResourceId, cur.Desired, want, cause, ""); err != nil {
			c.log.Warn("predictive scaling", "policy", p.PolicyName, "err", err)
		}
	}
}

func (a *API) allPolicies() []*policyRecord {
	var out []*policyRecord
	for _, kv := range a.store.List("autoscaling/policies/") {
		if p, ok := decodePolicy(kv.Value); ok {
			out = append(out, p)
		}
	}
	return out
}
