package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tide/internal/awserr"
	"tide/internal/store"
)

// A target tracking policy's alarms, as AWS creates them for an ECS service
// (describe-alarms on AWS shows these fields):
//
//	TargetTracking-service/CLUSTER/SERVICE-AlarmHigh-<uuid>
//	  metric > target for 3 datapoints of 3, action: the policy
//	TargetTracking-service/CLUSTER/SERVICE-AlarmLow-<uuid>
//	  metric < 0.9 × target for 15 datapoints of 15 (none with DisableScaleIn)
//
// each described "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy
// <action>." where the action is the policy ARN followed by
// ":createdBy/<uuid>", with TreatMissingData "missing", and for the ECS
// CPU and memory metrics the unit Percent. The period and datapoints come
// from the Timing profile.

// lowFraction is AlarmLow's threshold as a fraction of the target: "it
// slows down scaling by removing capacity only when utilization passes a
// threshold that is far enough below the target value (usually more than
// 10% lower)".
const lowFraction = 0.9

// trackingAlarms returns the alarms of a target tracking policy: AlarmHigh,
// and AlarmLow unless scale-in is disabled.
func trackingAlarms(p *policyRecord, t Timing) []AlarmSpec {
	c := p.TargetTrackingScalingPolicyConfiguration
	base := AlarmSpec{
		Description:      "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + p.AlarmAction + ".",
		Period:           t.AlarmPeriod,
		TreatMissingData: "missing",
		AlarmActions:     []string{p.AlarmAction},
	}
	setMetric(&base, p.ResourceId, c)
	high := base
	high.Name, high.ComparisonOperator, high.Threshold = p.HighAlarm, "GreaterThanThreshold", *c.TargetValue
	high.EvaluationPeriods, high.DatapointsToAlarm = t.HighDatapoints, t.HighDatapoints
	out := []AlarmSpec{high}
	if c.DisableScaleIn != nil && *c.DisableScaleIn {
		return out
	}
	low := base
	low.Name, low.ComparisonOperator, low.Threshold = p.LowAlarm, "LessThanThreshold", *c.TargetValue*lowFraction
	low.EvaluationPeriods, low.DatapointsToAlarm = t.LowDatapoints, t.LowDatapoints
	return append(out, low)
}

// setMetric fills in the metric a target tracking policy tracks: for
// ECSServiceAverageCPUUtilization and ECSServiceAverageMemoryUtilization,
// AWS/ECS CPUUtilization or MemoryUtilization of the service (ClusterName,
// ServiceName; Average, Percent); for ALBRequestCountPerTarget,
// AWS/ApplicationELB RequestCountPerTarget of the target group the
// ResourceLabel names (TargetGroup targetgroup/NAME/ID; Sum); otherwise the
// customized metric or metric math.
func setMetric(s *AlarmSpec, resource string, c *TargetTrackingScalingPolicyConfiguration) {
	cluster, service, _ := serviceOf(resource)
	if pm := c.PredefinedMetricSpecification; pm != nil {
		switch pm.PredefinedMetricType {
		case "ALBRequestCountPerTarget":
			_, tg, _ := strings.Cut(*pm.ResourceLabel, "/targetgroup/")
			s.Namespace, s.MetricName, s.Statistic = "AWS/ApplicationELB", "RequestCountPerTarget", "Sum"
			s.Dimensions = []Dimension{{"TargetGroup", "targetgroup/" + tg}}
		case "ECSServiceAverageMemoryUtilization":
			s.Namespace, s.MetricName, s.Statistic, s.Unit = "AWS/ECS", "MemoryUtilization", "Average", "Percent"
			s.Dimensions = []Dimension{{"ClusterName", cluster}, {"ServiceName", service}}
		default:
			s.Namespace, s.MetricName, s.Statistic, s.Unit = "AWS/ECS", "CPUUtilization", "Average", "Percent"
			s.Dimensions = []Dimension{{"ClusterName", cluster}, {"ServiceName", service}}
		}
		return
	}
	cm := c.CustomizedMetricSpecification
	if len(cm.Metrics) == 0 {
		s.Namespace, s.MetricName, s.Statistic, s.Unit = deref(cm.Namespace), deref(cm.MetricName), deref(cm.Statistic), deref(cm.Unit)
		s.Dimensions = dimensions(cm.Dimensions)
		return
	}
	for _, q := range cm.Metrics {
		aq := AlarmQuery{ID: deref(q.Id), Label: deref(q.Label), Expression: deref(q.Expression),
			ReturnData: q.ReturnData == nil && len(cm.Metrics) == 1 || q.ReturnData != nil && *q.ReturnData}
		if ms := q.MetricStat; ms != nil {
			aq.Namespace, aq.MetricName = deref(ms.Metric.Namespace), deref(ms.Metric.MetricName)
			aq.Dimensions, aq.Stat, aq.Unit = dimensions(ms.Metric.Dimensions), deref(ms.Stat), deref(ms.Unit)
		}
		s.Metrics = append(s.Metrics, aq)
	}
}

func dimensions(in []MetricDimension) []Dimension {
	var out []Dimension
	for _, d := range in {
		out = append(out, Dimension{d.Name, d.Value})
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// putAlarms creates or updates a target tracking policy's alarms and sets
// its Alarms list; with DisableScaleIn it deletes the AlarmLow an earlier
// version of the policy had. A failure is AWS's
// FailedResourceAccessException: the policy cannot be put without them.
func (a *API) putAlarms(ctx context.Context, p *policyRecord) error {
	specs := trackingAlarms(p, a.cfg.Timing)
	p.Alarms = []Alarm{}
	for _, s := range specs {
		if err := a.cfg.Alarms.PutAlarm(ctx, s); err != nil {
			return failedAccess(s.Name, err)
		}
		p.Alarms = append(p.Alarms, Alarm{AlarmName: s.Name, AlarmARN: a.alarmARN(s.Name)})
	}
	if len(specs) == 1 && p.LowAlarm != "" {
		if err := a.cfg.Alarms.DeleteAlarms(ctx, p.LowAlarm); err != nil {
			return failedAccess(p.LowAlarm, err)
		}
	}
	return nil
}

func failedAccess(alarm string, err error) error {
	if ae := awserr.As(err); ae != nil && ae.Status < 500 {
		return awserr.Client("FailedResourceAccessException", "Failed to create or update the CloudWatch alarm %s: %s", alarm, ae.Message)
	}
	return awserr.Client("FailedResourceAccessException", "Failed to create or update the CloudWatch alarm %s: %v", alarm, err)
}

// alarmNames returns the alarms a policy owns.
func (p *policyRecord) alarmNames() []string {
	var names []string
	for _, n := range []string{p.HighAlarm, p.LowAlarm} {
		if n != "" {
			names = append(names, n)
		}
	}
	return names
}

// orphanWrites marks a policy's alarms for deletion, in the transaction
// that deletes the policy: the controller deletes what a failed
// DeleteAlarms left behind.
func orphanWrites(p *policyRecord) []store.Write {
	var ws []store.Write
	for _, n := range p.alarmNames() {
		ws = append(ws, store.Put(orphansPrefix+esc(n), []byte(n), store.Any))
	}
	return ws
}

// deleteOrphans deletes the alarms marked for deletion, then their marks.
func (a *API) deleteOrphans(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	if err := a.cfg.Alarms.DeleteAlarms(ctx, names...); err != nil {
		return fmt.Errorf("delete alarms %v: %w", names, err)
	}
	var ws []store.Write
	for _, n := range names {
		ws = append(ws, store.Del(orphansPrefix+esc(n), store.Any))
	}
	return a.commitAll(ctx, ws)
}

// commitAll commits writes in transactions of at most 100 (etcd bounds a
// transaction's operations); unconditional writes do not conflict.
func (a *API) commitAll(ctx context.Context, writes []store.Write) error {
	for len(writes) > 0 {
		n := min(len(writes), 100)
		if _, err := a.store.Commit(ctx, writes[:n]...); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		writes = writes[n:]
	}
	return nil
}
