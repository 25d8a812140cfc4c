package autoscaling

import (
	"context"
	"errors"
	"time"

	"tide/internal/metrics"
)

// The package's boundaries: what it needs of ECS, CloudWatch alarms and the
// metric store, as small interfaces the server adapts its components to,
// and what the alarm controller passes when it invokes a policy.

// Capacity is what the scaling decisions read of an ECS service.
type Capacity struct {
	Desired, Running, Pending int
	// Deploying is true while a deployment rolls out: Application Auto
	// Scaling does not scale in then.
	Deploying bool
}

// Services reads and sets ECS services' desired counts. Capacity of a
// service that does not exist returns an error that wraps
// ErrServiceNotFound or is ECS's ServiceNotFoundException or
// ClusterNotFoundException (an *awserr.Error).
type Services interface {
	Capacity(ctx context.Context, cluster, service string) (Capacity, error)
	SetDesiredCount(ctx context.Context, cluster, service string, n int) error
}

// ErrServiceNotFound is what a Services implementation may wrap when the
// service does not exist.
var ErrServiceNotFound = errors.New("ECS service not found")

// Alarms creates and deletes the CloudWatch alarms of target tracking
// policies. PutAlarm creates or replaces the alarm spec.Name; DeleteAlarms
// deletes the named alarms, ignoring those that do not exist.
type Alarms interface {
	PutAlarm(ctx context.Context, spec AlarmSpec) error
	DeleteAlarms(ctx context.Context, names ...string) error
}

// AlarmSpec is one target tracking alarm, in PutMetricAlarm's terms: a
// single metric (Namespace, MetricName, Dimensions, Statistic, Unit) or,
// when Metrics is set, a metric math query whose one ReturnData entry is
// the alarm's value.
type AlarmSpec struct {
	Name, Description string

	Namespace, MetricName string
	Dimensions            []Dimension
	// Statistic is Average, Sum, Minimum, Maximum or SampleCount, or an
	// extended statistic such as p99.
	Statistic string
	Unit      string // "" for none
	Metrics   []AlarmQuery

	Period                               time.Duration
	EvaluationPeriods, DatapointsToAlarm int
	Threshold                            float64
	ComparisonOperator                   string // GreaterThanThreshold or LessThanThreshold
	TreatMissingData                     string // "missing", as AWS creates them
	// AlarmActions is the policy to invoke: its ARN with AWS's
	// ":createdBy/<uuid>" suffix, which ExecutePolicy accepts.
	AlarmActions []string
}

// Dimension is a metric dimension.
type Dimension struct{ Name, Value string }

// AlarmQuery is one entry of a metric math alarm: a metric (Namespace,
// MetricName, Dimensions, Stat, Unit) or an Expression over the others'
// IDs.
type AlarmQuery struct {
	ID, Label, Expression string
	Namespace, MetricName string
	Dimensions            []Dimension
	Stat, Unit            string
	ReturnData            bool
}

// AlarmEvent is what an alarm tells the policy it invokes: the alarm
// controller calls ExecutePolicy on the alarm's transition to ALARM and
// again every period while it stays there.
type AlarmEvent struct {
	AlarmName, AlarmARN string
	Threshold           float64
	Comparison          string // the alarm's ComparisonOperator
	// Values are the evaluated datapoints, most recent last; empty when the
	// state was set by hand (SetAlarmState).
	Values []float64
	Time   time.Time
}

// Metrics reads metric history (predictive scaling forecasts from it): the
// metric store's Get.
type Metrics interface {
	Get(q metrics.Query) []metrics.Point
}

// Timing is what a timing profile sets: the period and datapoints of target
// tracking alarms and the cooldown of a policy that gives none.
type Timing struct {
	// AlarmPeriod is the period of target tracking alarms.
	AlarmPeriod time.Duration
	// HighDatapoints and LowDatapoints are how many periods in a row the
	// metric must be above the target (AlarmHigh) or below 90% of it
	// (AlarmLow).
	HighDatapoints, LowDatapoints int
	// DefaultCooldown is the ScaleOutCooldown, ScaleInCooldown or Cooldown
	// of a policy that gives none.
	DefaultCooldown time.Duration
}

// Fast is Tide's default timing: one-second alarm periods with AWS's
// datapoint counts (AlarmHigh 3 of 3, AlarmLow 15 of 15) and 30-second
// default cooldowns instead of ECS's 300, so that a service reacts to load
// within seconds and a demo scales while you watch.
func Fast() Timing {
	return Timing{AlarmPeriod: time.Second, HighDatapoints: 3, LowDatapoints: 15, DefaultCooldown: 30 * time.Second}
}

// AWS is AWS's timing: 60-second alarm periods, AlarmHigh 3 of 3 and
// AlarmLow 15 of 15, and ECS's 300-second default cooldowns.
func AWS() Timing {
	return Timing{AlarmPeriod: time.Minute, HighDatapoints: 3, LowDatapoints: 15, DefaultCooldown: 300 * time.Second}
}

// FastTiming is Fast.
//
// Deprecated: use Fast.
func FastTiming() Timing { return Fast() }

// AWSTiming is AWS.
//
// Deprecated: use AWS.
func AWSTiming() Timing { return AWS() }
