package autoscaling

import (
	"math"
)

// The scaling arithmetic, as pure functions of what a policy was told and
// what the service looks like. The texts quoted are from the Application
// Auto Scaling User Guide: "Target tracking scaling policies" and "Step
// scaling policies" (sections "Cooldown period", "Step adjustments",
// "Scaling adjustment types") and "Scaling activities".

// Why a decision left the desired count alone. The first three are AWS's
// not-scaled reason codes (DescribeScalingActivities'
// NotScaledReasons); the others are Tide's and are not recorded.
const (
	atMax     = "AlreadyAtMaxCapacity"
	atMin     = "AlreadyAtMinCapacity"
	atDesired = "AlreadyAtDesiredCapacity"

	outSuspended = "scale-out suspended"
	inSuspended  = "scale-in suspended"
	deploying    = "deployment in progress"
	coolingDown  = "cooldown in progress"
)

// trackingCapacity is target tracking's capacity for a metric value:
// proportional to metric ÷ target, rounded up, because "Application Auto
// Scaling always acts conservatively by rounding up or down when it
// determines how much capacity to add or remove. This prevents it from
// adding insufficient capacity or removing too much capacity." Rounding up
// serves both: a scale-out adds enough to bring the metric to or under the
// target, and a scale-in removes no more than keeps it there. 4 tasks at
// 85% with a 70% target: ceil(4 × 85 ÷ 70) = ceil(4.86) = 5.
//
// The metric averages over the tasks that run, so the load is running ×
// metric whatever is still starting: the capacity counts from the running
// tasks (the desired count when none runs). Counting from the desired count
// would count tasks that carry no load yet and, with alarms invoking every
// period while they start, run away to the maximum.
//
// AlarmHigh (out) never asks for less than the desired count and AlarmLow
// never for more.
func trackingCapacity(c Capacity, metric, target float64, out bool) int {
	if target <= 0 || math.IsNaN(metric) || math.IsInf(metric, 0) || metric < 0 {
		return c.Desired
	}
	base := c.Running
	if base <= 0 {
		base = c.Desired
	}
	var n int
	if base <= 0 { // nothing runs: one task if the metric asks for more, none otherwise
		if out && metric > target {
			n = 1
		}
	} else {
		n = int(min(math.Ceil(float64(base)*metric/target-1e-9), 1e6))
	}
	if out {
		return max(n, c.Desired)
	}
	return min(n, c.Desired)
}

// trackingMetric is the value a target tracking decision sizes from: the
// newest datapoint for a scale-out, which reacts to the load as it is now;
// the highest of the evaluated datapoints for a scale-in, so that capacity
// goes only when the whole window no longer needs it ("scales out
// proportionally to the metric as fast as it can, but scales in more
// gradually").
func trackingMetric(values []float64, out bool) (float64, bool) {
	if len(values) == 0 {
		return 0, false
	}
	if out {
		return values[len(values)-1], true
	}
	m := values[0]
	for _, v := range values[1:] {
		m = max(m, v)
	}
	return m, true
}

// stepAdjustmentFor returns the adjustment of the step whose interval,
// relative to the alarm threshold, holds breach (the aggregated metric
// minus the threshold). "If the metric value is above the breach
// threshold, the lower bound is inclusive and the upper bound is
// exclusive. If the metric value is below the breach threshold, the lower
// bound is exclusive and the upper bound is inclusive." above says which
// side of the threshold the alarm watches (its comparison operator): a
// breach of exactly 0 is above for GreaterThan alarms, below for LessThan.
func stepAdjustmentFor(steps []StepAdjustment, breach float64, above bool) (int32, bool) {
	if math.IsNaN(breach) {
		return 0, false
	}
	for _, s := range steps {
		if s.ScalingAdjustment == nil {
			continue
		}
		lo, hi := lowerBound(s), upperBound(s)
		if above && lo <= breach && breach < hi || !above && lo < breach && breach <= hi {
			return *s.ScalingAdjustment, true
		}
	}
	return 0, false
}

func lowerBound(s StepAdjustment) float64 {
	if s.MetricIntervalLowerBound == nil {
		return math.Inf(-1)
	}
	return *s.MetricIntervalLowerBound
}

func upperBound(s StepAdjustment) float64 {
	if s.MetricIntervalUpperBound == nil {
		return math.Inf(1)
	}
	return *s.MetricIntervalUpperBound
}

// stepCapacity applies a step adjustment of the given type to current.
// PercentChangeInCapacity is rounded as AWS documents: "Values greater than
// 1 are rounded down. Values between 0 and 1 are rounded to 1. Values
// between 0 and -1 are rounded to -1. Values less than -1 are rounded up"
// (toward zero: 12.7 → 12, −6.67 → −6), and "MinAdjustmentMagnitude" raises
// a smaller change to it (25% of 4 is 1; with a minimum of 2, 2).
func stepCapacity(current int, adjType string, adj int32, minMagnitude int32) int {
	switch adjType {
	case "ExactCapacity":
		return int(adj)
	case "PercentChangeInCapacity":
		d := float64(current) * float64(adj) / 100
		var delta int
		switch {
		case d > 0 && d < 1:
			delta = 1
		case d < 0 && d > -1:
			delta = -1
		default:
			delta = int(d) // toward zero
		}
		if m := int(minMagnitude); m > 0 && delta != 0 && abs(delta) < m {
			delta = m * sign(delta)
		}
		return current + delta
	}
	return current + int(adj) // ChangeInCapacity
}

func abs(n int) int { return n * sign(n) }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// aggregate reduces an alarm's evaluated datapoints by the step policy's
// MetricAggregationType: "Application Auto Scaling applies your specified
// aggregation type to the most recent metric data points"; Average when
// none is given.
func aggregate(values []float64, how string) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	acc := values[0]
	for _, v := range values[1:] {
		switch how {
		case "Minimum":
			acc = min(acc, v)
		case "Maximum":
			acc = max(acc, v)
		default:
			acc += v
		}
	}
	if how != "Minimum" && how != "Maximum" {
		acc /= float64(len(values))
	}
	return acc
}
