// Package cwalarms connects Application Auto Scaling to Tide's CloudWatch
// alarms, for the server to wire the two: Alarms creates and deletes target
// tracking alarms through the CloudWatch API (marked as managed by
// Application Auto Scaling), and Invoker lets the CloudWatch alarm
// controller execute scaling policies. It translates shapes and nothing
// else; it depends on internal/autoscaling and internal/cloudwatch only.
package cwalarms

import (
	"context"

	"tide/internal/autoscaling"
	"tide/internal/cloudwatch"
)

// Alarms is autoscaling.Alarms over the CloudWatch API.
type Alarms struct{ API *cloudwatch.API }

var _ autoscaling.Alarms = Alarms{}

// PutAlarm creates or replaces the alarm, as PutMetricAlarm would.
func (a Alarms) PutAlarm(ctx context.Context, s autoscaling.AlarmSpec) error {
	return a.API.PutAlarm(ctx, Input(s), cloudwatch.ManagedByAutoScaling)
}

// DeleteAlarms deletes the named alarms.
func (a Alarms) DeleteAlarms(ctx context.Context, names ...string) error {
	return a.API.DeleteAlarms(ctx, names...)
}

// Input is the PutMetricAlarm request of an alarm spec.
func Input(s autoscaling.AlarmSpec) *cloudwatch.PutMetricAlarmInput {
	period := int32(s.Period.Seconds())
	eval, dta := int32(s.EvaluationPeriods), int32(s.DatapointsToAlarm)
	in := &cloudwatch.PutMetricAlarmInput{AlarmName: &s.Name, AlarmDescription: &s.Description, AlarmActions: s.AlarmActions,
		EvaluationPeriods: &eval, DatapointsToAlarm: &dta, Threshold: &s.Threshold, ComparisonOperator: &s.ComparisonOperator,
		TreatMissingData: opt(s.TreatMissingData)}
	if len(s.Metrics) > 0 {
		for _, q := range s.Metrics {
			mq := cloudwatch.MetricDataQuery{Id: opt(q.ID), Label: opt(q.Label), Expression: opt(q.Expression), ReturnData: &q.ReturnData}
			if q.Expression == "" {
				mq.MetricStat = &cloudwatch.MetricStat{Period: &period, Stat: opt(q.Stat), Unit: opt(q.Unit),
					Metric: &cloudwatch.Metric{Namespace: opt(q.Namespace), MetricName: opt(q.MetricName), Dimensions: dimensions(q.Dimensions)}}
			}
			in.Metrics = append(in.Metrics, mq)
		}
		return in
	}
	in.Namespace, in.MetricName, in.Dimensions, in.Period, in.Unit = &s.Namespace, &s.MetricName, dimensions(s.Dimensions), &period, opt(s.Unit)
	switch s.Statistic {
	case "Average", "Sum", "Minimum", "Maximum", "SampleCount":
		in.Statistic = &s.Statistic
	default:
		in.ExtendedStatistic = &s.Statistic
	}
	return in
}

func dimensions(ds []autoscaling.Dimension) []cloudwatch.Dimension {
	var out []cloudwatch.Dimension
	for _, d := range ds {
		out = append(out, cloudwatch.Dimension{Name: &d.Name, Value: &d.Value})
	}
	return out
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Invoker is the CloudWatch alarm controller's cloudwatch.PolicyInvoker
// over the Application Auto Scaling API.
type Invoker struct{ API *autoscaling.API }

var _ cloudwatch.PolicyInvoker = Invoker{}

// InvokePolicy executes the policy for the alarm's invocation.
func (i Invoker) InvokePolicy(ctx context.Context, policyARN string, inv cloudwatch.Invocation) error {
	return i.API.ExecutePolicy(ctx, policyARN, autoscaling.AlarmEvent{AlarmName: inv.AlarmName, AlarmARN: inv.AlarmARN,
		Threshold: inv.Threshold, Comparison: inv.ComparisonOperator, Values: inv.Values, Time: inv.Time})
}
