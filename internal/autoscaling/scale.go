package autoscaling

import (
	"math"
	"time"
)

// targetTrackingCapacity is target tracking's capacity for a metric value:
// proportional to metric ÷ target, rounded up so that the metric ends at
// or under the target ("the scaling policy adds or removes capacity as
// required to keep the metric at, or close to, the specified target
// value", Application Auto Scaling docs, "Target tracking scaling
// policies"). 4 tasks at 85% with a 70% target: ceil(4 × 85 ÷ 70) = 5.
func targetTrackingCapacity(current int, metric, target float64) int {
	if target <= 0 || current <= 0 || math.IsNaN(metric) {
		return current
	}
	n := math.Ceil(float64(current)*metric/target - 1e-9)
	return int(min(n, 1e6))
}

// stepAdjustmentFor returns the adjustment of the step whose interval,
// relative to the alarm threshold, holds breach (the aggregated metric
// minus the threshold): lower bound inclusive, upper exclusive, as AWS
// documents ("Step adjustments for step scaling").
func stepAdjustmentFor(steps []StepAdjustment, breach float64) (int32, bool) {
	for _, s := range steps {
		lo, hi := math.Inf(-1), math.Inf(1)
		if s.MetricIntervalLowerBound != nil {
			lo = *s.MetricIntervalLowerBound
		}
		if s.MetricIntervalUpperBound != nil {
			hi = *s.MetricIntervalUpperBound
		}
		if breach >= lo && breach < hi || (breach == hi && math.IsInf(lo, -1)) {
			return *s.ScalingAdjustment, true
		}
	}
	return 0, false
}

// stepCapacity applies a step adjustment of the given type to current,
// with AWS's rounding for PercentChangeInCapacity ("values greater than 1
// are rounded down, values between 0 and 1 are rounded to 1, values
// between 0 and -1 are rounded to -1, values less than -1 are rounded up",
// i.e. toward zero) and MinAdjustmentMagnitude.
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
			if delta > 0 {
				delta = m
			} else {
				delta = -m
			}
		}
		return current + delta
	}
	return current + int(adj) // ChangeInCapacity
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// aggregate is the alarm's evaluated datapoints by MetricAggregationType
// (Average by default).
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

// cooldown is what a target remembers of its last scaling.
type cooldown struct {
	LastOut, LastIn   time.Time
	OutUntil, InUntil time.Time
	OutFrom           int // the desired count before the scale-outs of the current cooldown
}

// decide turns a wanted capacity into the one to set and, when nothing is
// set, the reason, following AWS's cooldown rules for ECS ("Cooldown
// period" in the target tracking and step scaling docs): a scale-out is
// never held back by a cooldown, because its capacity counts the earlier
// scale-out's (it must be larger than the current desired count to happen
// at all); a scale-in waits for the scale-in cooldown of the last
// scale-in and for the scale-out cooldown of the last scale-out; no
// scale-in while a deployment rolls out or when scale-in is suspended or
// disabled. The result is clamped to [min, max].
func decide(want int, c Capacity, minCap, maxCap int, cd cooldown, now time.Time, inAllowed, outAllowed bool) (int, string) {
	want = max(minCap, min(maxCap, want))
	switch {
	case want > c.Desired:
		if !outAllowed {
			return c.Desired, "ScaleOutSuspended"
		}
		return want, ""
	case want < c.Desired:
		switch {
		case !inAllowed:
			return c.Desired, "ScaleInSuspended"
		case c.Deploying:
			return c.Desired, "DeploymentInProgress"
		case now.Before(cd.InUntil) || now.Before(cd.OutUntil):
			return c.Desired, "CooldownInProgress"
		}
		return want, ""
	}
	switch {
	case want == maxCap && c.Desired == maxCap:
		return c.Desired, "AlreadyAtMaxCapacity"
	case want == minCap && c.Desired == minCap:
		return c.Desired, "AlreadyAtMinCapacity"
	}
	return c.Desired, "AlreadyAtDesiredCapacity"
}
