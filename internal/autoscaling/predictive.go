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
// raises the target's minimum to the forecast capacity for each hour,
// SchedulingBufferTime before it starts, and scales the service out to it
// if it has less; DescribeScalableTargets shows it as PredictedCapacity. It
// never scales in: when the hour ends, the registered minimum applies again
// and target tracking scales in as the load allows.

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

// prediction is the capacity a ForecastAndScale policy holds the target
// at from From until Until.
type prediction struct {
	Policy   string    `json:"policy"`
	Capacity int       `json:"capacity"`
	Max      int       `json:"max"` // the maximum in effect (MaxCapacityBreachBehavior)
	From     time.Time `json:"from"`
	Until    time.Time `json:"until"`
}

func (p *prediction) active(now time.Time) bool { return !now.Before(p.From) && now.Before(p.Until) }

const (
	forecastStep    = time.Hour
	forecastHorizon = 48 * time.Hour
	// defaultBuffer is SchedulingBufferTime's default: "Defaults to 300
	// seconds if not specified."
	defaultBuffer = 300 * time.Second
)

var predictiveMetricTypes = []string{"ECSServiceCPUUtilization", "ECSServiceMemoryUtilization", "ALBRequestCount"}

func checkPredictive(c *PredictiveScalingPolicyConfiguration) error {
	const m = "predictiveScalingPolicyConfiguration"
	if c == nil {
		return validation("PredictiveScalingPolicyConfiguration must be specified for a PredictiveScaling policy")
	}
	var v violations
	if c.Mode != nil {
		v.enum(m+".mode", *c.Mode, []string{"ForecastOnly", "ForecastAndScale"})
	}
	if c.MaxCapacityBreachBehavior != nil {
		v.enum(m+".maxCapacityBreachBehavior", *c.MaxCapacityBreachBehavior, []string{"HonorMaxCapacity", "IncreaseMaxCapacity"})
	}
	if b := c.SchedulingBufferTime; b != nil {
		v.atLeast(m+".schedulingBufferTime", int64(*b), 0)
		v.atMost(m+".schedulingBufferTime", int64(*b), 3600)
	}
	if b := c.MaxCapacityBuffer; b != nil {
		v.atLeast(m+".maxCapacityBuffer", int64(*b), 0)
		v.atMost(m+".maxCapacityBuffer", int64(*b), 100)
	}
	for i, s := range c.MetricSpecifications {
		if s.TargetValue == nil {
			v.null(fmt.Sprintf("%s.metricSpecifications.%d.member.targetValue", m, i+1))
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	increase := c.MaxCapacityBreachBehavior != nil && *c.MaxCapacityBreachBehavior == "IncreaseMaxCapacity"
	switch {
	case len(c.MetricSpecifications) != 1:
		return validation("MetricSpecifications must contain exactly one metric specification")
	case c.MaxCapacityBuffer != nil && !increase:
		// "Required if the MaxCapacityBreachBehavior property is set to
		// IncreaseMaxCapacity, and cannot be used otherwise."
		return validation("MaxCapacityBuffer can only be specified when MaxCapacityBreachBehavior is IncreaseMaxCapacity")
	case increase && c.MaxCapacityBuffer == nil:
		return validation("MaxCapacityBuffer must be specified when MaxCapacityBreachBehavior is IncreaseMaxCapacity")
	}
	s := c.MetricSpecifications[0]
	if t := *s.TargetValue; t <= 0 || math.IsNaN(t) || math.IsInf(t, 0) {
		return validation("The target value must be greater than 0")
	}
	pm := predictiveMetric(s)
	switch {
	case pm == nil:
		return validation("A predefined metric pair, or a predefined load metric, must be specified: ECSServiceCPUUtilization, ECSServiceMemoryUtilization or ALBRequestCount")
	case !contains(predictiveMetricTypes, pm.PredefinedMetricType):
		return validation("Unsupported predefined metric type %s for scalable dimension ecs:service:DesiredCount", pm.PredefinedMetricType)
	case pm.PredefinedMetricType == "ALBRequestCount" && (pm.ResourceLabel == nil || !albLabel.MatchString(*pm.ResourceLabel)):
		return validation("Resource label should be specified for predefined metric type ALBRequestCount, as app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>")
	}
	return nil
}

func predictiveMetric(s PredictiveScalingMetricSpecification) *PredictivePredefinedMetric {
	if s.PredefinedMetricPairSpecification != nil {
		return s.PredefinedMetricPairSpecification
	}
	return s.PredefinedLoadMetricSpecification
}

// loadHistory reads a policy's load metric, hour by hour, over the 14 days
// before now, and the load one task carries at the target: for CPU and
// memory, the service's units in use (ECS/ContainerInsights CpuUtilized,
// MemoryUtilized) and the target share of one task's reservation; for
// ALBRequestCount, the target group's requests per minute and the target
// requests per task per minute.
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
	if m.PredefinedMetricType == "ALBRequestCount" {
		_, tg, _ := strings.Cut(*m.ResourceLabel, "/targetgroup/")
		load = get("AWS/ApplicationELB", "RequestCount", "Sum", metrics.Dimension{Name: "TargetGroup", Value: "targetgroup/" + tg})
		for t, v := range load {
			load[t] = v / 60 // per minute
		}
		perTask = *s.TargetValue
	} else {
		used, reserved := "CpuUtilized", "CpuReserved"
		if m.PredefinedMetricType == "ECSServiceMemoryUtilization" {
			used, reserved = "MemoryUtilized", "MemoryReserved"
		}
		load = get("ECS/ContainerInsights", used, "Average", svc...)
		res, tasks := get("ECS/ContainerInsights", reserved, "Average", svc...), get("ECS/ContainerInsights", "RunningTaskCount", "Average", svc...)
		var sum, n float64
		for t, r := range res {
			if c := tasks[t]; c > 0 {
				sum, n = sum+r/c, n+1
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
// from the hour of now over the next 48 hours, and the maximum in effect
// for each capacity; none with less than a day of history. The capacity is
// ceil(load ÷ load per task) within [min, max], or with
// MaxCapacityBreachBehavior IncreaseMaxCapacity above the maximum, which
// rises to the forecast plus MaxCapacityBuffer percent ("if the forecast
// capacity is 50, and the maximum capacity is 40, then the effective
// maximum capacity is 55").
func (a *API) forecastFor(p *policyRecord, t *targetRecord, now time.Time) (load, capacity []forecast.Sample, maxes []int) {
	if a.cfg.Metrics == nil {
		return nil, nil, nil
	}
	cfg := p.PredictiveScalingPolicyConfiguration
	hist, perTask := a.loadHistory(p.ResourceId, cfg.MetricSpecifications[0], now)
	from := now.Truncate(forecastStep)
	if !forecast.Sufficient(hist, from) || perTask <= 0 {
		return nil, nil, nil
	}
	load = forecast.Forecast(hist, from, forecastStep, forecastHorizon)
	increase := cfg.MaxCapacityBreachBehavior != nil && *cfg.MaxCapacityBreachBehavior == "IncreaseMaxCapacity"
	hi := int(t.MaxCapacity)
	if increase {
		hi = math.MaxInt32
	}
	capacity = forecast.Capacity(load, perTask, int(t.MinCapacity), hi)
	for _, c := range capacity {
		m := int(t.MaxCapacity)
		if increase && c.Value > float64(m) {
			m = int(math.Ceil(c.Value * float64(100+deref32(cfg.MaxCapacityBuffer)) / 100))
		}
		maxes = append(maxes, m)
	}
	return load, capacity, maxes
}

func deref32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func (a *API) getPredictiveScalingForecast(ctx context.Context, in *GetPredictiveScalingForecastInput) (*GetPredictiveScalingForecastOutput, error) {
	var v violations
	checkPolicyName(&v, in.PolicyName)
	if in.StartTime == nil {
		v.null("startTime")
	}
	if in.EndTime == nil {
		v.null("endTime")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	p, ok := a.policy(r.resource, *in.PolicyName)
	if !r.ecs() || !ok || p.PolicyType != "PredictiveScaling" {
		return nil, validation("No predictive scaling policy %s found for service namespace: %s, resource ID: %s, scalable dimension: %s",
			*in.PolicyName, r.namespace, r.resource, r.dimension)
	}
	if !in.StartTime.Before(in.EndTime.Time) {
		return nil, validation("The start time must be before the end time")
	}
	t, ok := a.target(r.resource)
	if !ok {
		return nil, refNotFound(r)
	}
	now := a.now()
	load, capacity, _ := a.forecastFor(p, t, now)
	within := func(ts time.Time) bool { return !ts.Before(in.StartTime.Time) && ts.Before(in.EndTime.Time) }
	lf := LoadForecast{Timestamps: []awsjson.Time{}, Values: []float64{}, MetricSpecification: p.PredictiveScalingPolicyConfiguration.MetricSpecifications[0]}
	for _, s := range load {
		if within(s.Time) && !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
			lf.Timestamps, lf.Values = append(lf.Timestamps, awsjson.Time{Time: s.Time}), append(lf.Values, s.Value)
		}
	}
	cf := &CapacityForecast{Timestamps: []awsjson.Time{}, Values: []float64{}}
	for _, s := range capacity {
		if within(s.Time) {
			cf.Timestamps, cf.Values = append(cf.Timestamps, awsjson.Time{Time: s.Time}), append(cf.Values, s.Value)
		}
	}
	return &GetPredictiveScalingForecastOutput{LoadForecast: []LoadForecast{lf}, CapacityForecast: cf, UpdateTime: awsjson.At(now)}, nil
}
