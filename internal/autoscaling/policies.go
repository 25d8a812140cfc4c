package autoscaling

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"tide/internal/awsjson"
	"tide/internal/cloudwatch"
	"tide/internal/store"
)

// policyRecord is a scaling policy as stored.
type policyRecord struct {
	ScalingPolicy
	ID        string `json:"id"`
	HighAlarm string `json:"highAlarm,omitempty"`
	LowAlarm  string `json:"lowAlarm,omitempty"`
}

func (a *API) policies(resource string) []*policyRecord {
	var out []*policyRecord
	for _, kv := range a.store.List(policyPrefix(resource)) {
		var p policyRecord
		if json.Unmarshal(kv.Value, &p) == nil {
			out = append(out, &p)
		}
	}
	return out
}

func (a *API) policy(resource, name string) (*policyRecord, bool) {
	kv, ok := a.store.Get(policyKey(resource, name))
	if !ok {
		return nil, false
	}
	return decodePolicy(kv.Value)
}

func decodePolicy(b []byte) (*policyRecord, bool) {
	var p policyRecord
	return &p, json.Unmarshal(b, &p) == nil
}

func (a *API) putScalingPolicy(ctx context.Context, in *PutScalingPolicyInput) (*PutScalingPolicyOutput, error) {
	if in.PolicyName == nil {
		return nil, validation("1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null")
	}
	if n := len(*in.PolicyName); n < 1 || n > 256 {
		return nil, validation("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 256", *in.PolicyName)
	}
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	resource, name := *in.ResourceId, *in.PolicyName
	if _, _, ok := a.target(resource); !ok {
		return nil, noTarget(resource)
	}
	typ := "StepScaling"
	if in.PolicyType != nil {
		typ = *in.PolicyType
	}
	p := &policyRecord{ScalingPolicy: ScalingPolicy{PolicyName: name, ServiceNamespace: namespaceECS, ResourceId: resource,
		ScalableDimension: dimensionECS, PolicyType: typ, CreationTime: awsjson.At(a.now()), Alarms: []Alarm{}}}
	if old, ok := a.policy(resource, name); ok {
		p.ID, p.CreationTime = old.ID, old.CreationTime
		if old.PolicyType != typ {
			if err := a.deleteAlarms(ctx, old); err != nil {
				return nil, err
			}
		} else {
			p.HighAlarm, p.LowAlarm = old.HighAlarm, old.LowAlarm
		}
	} else {
		p.ID = newID()
	}
	p.PolicyARN = a.policyARN(p.ID, resource, name)
	switch typ {
	case "TargetTrackingScaling":
		if err := checkTargetTracking(in.TargetTrackingScalingPolicyConfiguration); err != nil {
			return nil, err
		}
		p.TargetTrackingScalingPolicyConfiguration = in.TargetTrackingScalingPolicyConfiguration
		if err := a.putTargetTrackingAlarms(ctx, p); err != nil {
			return nil, err
		}
	case "StepScaling":
		if err := checkStepScaling(in.StepScalingPolicyConfiguration); err != nil {
			return nil, err
		}
		p.StepScalingPolicyConfiguration = in.StepScalingPolicyConfiguration
	case "PredictiveScaling":
		if err := checkPredictive(in.PredictiveScalingPolicyConfiguration); err != nil {
			return nil, err
		}
		p.PredictiveScalingPolicyConfiguration = in.PredictiveScalingPolicyConfiguration
		if p.PredictiveScalingPolicyConfiguration.Mode == nil {
			mode := "ForecastOnly"
			p.PredictiveScalingPolicyConfiguration.Mode = &mode
		}
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'policyType' failed to satisfy constraint: Member must satisfy enum value set: [TargetTrackingScaling, StepScaling, PredictiveScaling]", typ)
	}
	b, _ := json.Marshal(p)
	if _, err := a.store.Commit(ctx, store.Put(policyKey(resource, name), b, store.Any)); err != nil {
		return nil, err
	}
	return &PutScalingPolicyOutput{PolicyARN: p.PolicyARN, Alarms: p.Alarms}, nil
}

// checkTargetTracking validates a target tracking configuration.
func checkTargetTracking(c *TargetTrackingScalingPolicyConfiguration) error {
	switch {
	case c == nil:
		return validation("TargetTrackingScalingPolicyConfiguration must be specified for a TargetTrackingScaling policy")
	case c.TargetValue == nil:
		return validation("1 validation error detected: Value null at 'targetTrackingScalingPolicyConfiguration.targetValue' failed to satisfy constraint: Member must not be null")
	case *c.TargetValue <= 0 || math.IsNaN(*c.TargetValue) || math.IsInf(*c.TargetValue, 0):
		return validation("The target value must be greater than 0")
	case (c.PredefinedMetricSpecification == nil) == (c.CustomizedMetricSpecification == nil):
		return validation("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified")
	}
	for _, cd := range []*int32{c.ScaleInCooldown, c.ScaleOutCooldown} {
		if cd != nil && (*cd < 0 || *cd > 86400) {
			return validation("Cooldown must be between 0 and 86400 seconds")
		}
	}
	if pm := c.PredefinedMetricSpecification; pm != nil {
		switch pm.PredefinedMetricType {
		case "ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization":
		case "ALBRequestCountPerTarget":
			if pm.ResourceLabel == nil || !strings.Contains(*pm.ResourceLabel, "/targetgroup/") {
				return validation("ResourceLabel must be specified for metric type ALBRequestCountPerTarget, as app/LOAD-BALANCER/ID/targetgroup/TARGET-GROUP/ID")
			}
		default:
			return validation("Unsupported metric type %s for service namespace ecs", pm.PredefinedMetricType)
		}
	}
	if cm := c.CustomizedMetricSpecification; cm != nil && (cm.MetricName == nil || cm.Namespace == nil || cm.Statistic == nil) {
		return validation("CustomizedMetricSpecification needs MetricName, Namespace and Statistic")
	}
	return nil
}

// checkStepScaling validates a step scaling configuration as AWS does:
// steps that neither overlap nor leave gaps, at most one open lower bound
// and one open upper bound.
func checkStepScaling(c *StepScalingPolicyConfiguration) error {
	if c == nil {
		return validation("StepScalingPolicyConfiguration must be specified for a StepScaling policy")
	}
	if c.AdjustmentType == nil || !slices.Contains([]string{"ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"}, *c.AdjustmentType) {
		return validation("AdjustmentType must be one of ChangeInCapacity, PercentChangeInCapacity and ExactCapacity")
	}
	if len(c.StepAdjustments) == 0 {
		return validation("StepAdjustments must be specified for a StepScaling policy")
	}
	if c.MinAdjustmentMagnitude != nil && *c.AdjustmentType != "PercentChangeInCapacity" {
		return validation("MinAdjustmentMagnitude is only valid with the adjustment type PercentChangeInCapacity")
	}
	if c.MetricAggregationType != nil && !slices.Contains([]string{"Average", "Minimum", "Maximum"}, *c.MetricAggregationType) {
		return validation("MetricAggregationType must be one of Average, Minimum and Maximum")
	}
	steps := slices.Clone(c.StepAdjustments)
	lower := func(s StepAdjustment) float64 {
		if s.MetricIntervalLowerBound == nil {
			return math.Inf(-1)
		}
		return *s.MetricIntervalLowerBound
	}
	upper := func(s StepAdjustment) float64 {
		if s.MetricIntervalUpperBound == nil {
			return math.Inf(1)
		}
		return *s.MetricIntervalUpperBound
	}
	for _, s := range steps {
		if s.ScalingAdjustment == nil {
			return validation("ScalingAdjustment must be specified for every step adjustment")
		}
		if s.MetricIntervalLowerBound == nil && s.MetricIntervalUpperBound == nil && len(steps) > 1 {
			return validation("Only one step adjustment may have neither a lower nor an upper bound")
		}
		if !(lower(s) < upper(s)) {
			return validation("The lower bound of a step adjustment must be less than its upper bound")
		}
	}
	slices.SortFunc(steps, func(x, y StepAdjustment) int { return cmpFloat(lower(x), lower(y)) })
	for i := 1; i < len(steps); i++ {
		switch prev, cur := upper(steps[i-1]), lower(steps[i]); {
		case cur < prev:
			return validation("Step adjustments must not overlap: the intervals [%s, %s) and [%s, %s) do", bound(lower(steps[i-1])), bound(prev), bound(cur), bound(upper(steps[i])))
		case cur > prev:
			return validation("Step adjustments must not have gaps: nothing covers [%s, %s)", bound(prev), bound(cur))
		}
	}
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func bound(v float64) string {
	if math.IsInf(v, 0) {
		return "null"
	}
	return fmt.Sprint(v)
}

// alarmMetric is the metric a target tracking policy's alarms watch.
func alarmMetric(resource string, c *TargetTrackingScalingPolicyConfiguration) (ns, name, stat string, dims []cloudwatch.Dimension, unit *string) {
	cluster, service, _ := serviceOf(resource)
	d := func(k, v string) cloudwatch.Dimension { return cloudwatch.Dimension{Name: &k, Value: &v} }
	if pm := c.PredefinedMetricSpecification; pm != nil {
		switch pm.PredefinedMetricType {
		case "ECSServiceAverageMemoryUtilization":
			return "AWS/ECS", "MemoryUtilization", "Average", []cloudwatch.Dimension{d("ClusterName", cluster), d("ServiceName", service)}, nil
		case "ALBRequestCountPerTarget":
			_, tg, _ := strings.Cut(*pm.ResourceLabel, "/targetgroup/")
			return "AWS/ApplicationELB", "RequestCountPerTarget", "Sum", []cloudwatch.Dimension{d("TargetGroup", "targetgroup/"+tg)}, nil
		}
		return "AWS/ECS", "CPUUtilization", "Average", []cloudwatch.Dimension{d("ClusterName", cluster), d("ServiceName", service)}, nil
	}
	cm := c.CustomizedMetricSpecification
	for _, md := range cm.Dimensions {
		dims = append(dims, d(md.Name, md.Value))
	}
	return *cm.Namespace, *cm.MetricName, *cm.Statistic, dims, cm.Unit
}

// putTargetTrackingAlarms creates or updates a target tracking policy's
// AlarmHigh and AlarmLow, named and described as AWS does.
func (a *API) putTargetTrackingAlarms(ctx context.Context, p *policyRecord) error {
	c := p.TargetTrackingScalingPolicyConfiguration
	id := p.ID
	if p.HighAlarm == "" {
		p.HighAlarm = "TargetTracking-" + p.ResourceId + "-AlarmHigh-" + id
		p.LowAlarm = "TargetTracking-" + p.ResourceId + "-AlarmLow-" + id
	}
	ns, name, stat, dims, unit := alarmMetric(p.ResourceId, c)
	t := a.cfg.Timing
	period := int32(t.AlarmPeriod.Seconds())
	desc := "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + p.PolicyARN + "."
	put := func(alarm, cmp string, threshold float64, points int) error {
		n := int32(points)
		in := &cloudwatch.PutMetricAlarmInput{AlarmName: &alarm, AlarmDescription: &desc, AlarmActions: []string{p.PolicyARN},
			Namespace: &ns, MetricName: &name, Dimensions: dims, Unit: unit, Period: &period,
			EvaluationPeriods: &n, DatapointsToAlarm: &n, Threshold: &threshold, ComparisonOperator: &cmp}
		if strings.HasPrefix(stat, "p") {
			in.ExtendedStatistic = &stat
		} else {
			in.Statistic = &stat
		}
		return a.cfg.Alarms.PutAlarm(ctx, in, cloudwatch.ManagedByAutoScaling)
	}
	if err := put(p.HighAlarm, "GreaterThanThreshold", *c.TargetValue, t.HighDatapoints); err != nil {
		return fmt.Errorf("alarm %s: %w", p.HighAlarm, err)
	}
	p.Alarms = []Alarm{{AlarmName: p.HighAlarm, AlarmARN: a.cfg.Alarms.AlarmARN(p.HighAlarm)}}
	if c.DisableScaleIn != nil && *c.DisableScaleIn {
		return a.cfg.Alarms.DeleteAlarms(ctx, p.LowAlarm)
	}
	if err := put(p.LowAlarm, "LessThanThreshold", *c.TargetValue*0.9, t.LowDatapoints); err != nil {
		return fmt.Errorf("alarm %s: %w", p.LowAlarm, err)
	}
	p.Alarms = append(p.Alarms, Alarm{AlarmName: p.LowAlarm, AlarmARN: a.cfg.Alarms.AlarmARN(p.LowAlarm)})
	return nil
}

func (a *API) deleteAlarms(ctx context.Context, p *policyRecord) error {
	var names []string
	for _, n := range []string{p.HighAlarm, p.LowAlarm} {
		if n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return a.cfg.Alarms.DeleteAlarms(ctx, names...)
}

func (a *API) removePolicy(ctx context.Context, p *policyRecord) error {
	if err := a.deleteAlarms(ctx, p); err != nil {
		return err
	}
	_, err := a.store.Commit(ctx, store.Del(policyKey(p.ResourceId, p.PolicyName), store.Any))
	return err
}

func (a *API) describeScalingPolicies(ctx context.Context, in *DescribeScalingPoliciesInput) (*DescribeScalingPoliciesOutput, error) {
	if in.ServiceNamespace == nil {
		return nil, validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	}
	out := &DescribeScalingPoliciesOutput{ScalingPolicies: []ScalingPolicy{}}
	if *in.ServiceNamespace != namespaceECS {
		return out, nil
	}
	for _, kv := range a.store.List("autoscaling/policies/") {
		var p policyRecord
		if json.Unmarshal(kv.Value, &p) != nil {
			continue
		}
		if in.ResourceId != nil && p.ResourceId != *in.ResourceId || len(in.PolicyNames) > 0 && !slices.Contains(in.PolicyNames, p.PolicyName) {
			continue
		}
		out.ScalingPolicies = append(out.ScalingPolicies, p.ScalingPolicy)
	}
	return out, nil
}

func (a *API) deleteScalingPolicy(ctx context.Context, in *DeleteScalingPolicyInput) (*Empty, error) {
	if in.PolicyName == nil {
		return nil, validation("1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null")
	}
	if err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension); err != nil {
		return nil, err
	}
	p, ok := a.policy(*in.ResourceId, *in.PolicyName)
	if !ok {
		return nil, notFound("No scaling policy found for service namespace: ecs, resource ID: %s, scalable dimension: ecs:service:DesiredCount, policy name: %s", *in.ResourceId, *in.PolicyName)
	}
	return &Empty{}, a.removePolicy(ctx, p)
}
