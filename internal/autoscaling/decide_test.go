package autoscaling

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func f(v float64) *float64 { return &v }
func i32(v int32) *int32   { return &v }
func str(s string) *string { return &s }

func TestTrackingCapacity(t *testing.T) {
	for _, tc := range []struct {
		name           string
		c              Capacity
		metric, target float64
		out            bool
		want           int
	}{
		{"4 tasks at 85% with target 70", Capacity{Desired: 4, Running: 4}, 85, 70, true, 5},
		{"3 tasks at 90% with target 70", Capacity{Desired: 3, Running: 3}, 90, 70, true, 4},
		{"a busy task at 4x its reservation", Capacity{Desired: 1, Running: 1}, 400, 40, true, 10},
		{"at the target", Capacity{Desired: 2, Running: 2}, 40, 40, true, 2},
		{"a hair over the target is float rounding", Capacity{Desired: 3, Running: 3}, 70.0000000001, 70, true, 3},
		{"AlarmHigh never scales in", Capacity{Desired: 4, Running: 4}, 10, 40, true, 4},
		{"tasks starting carry no load yet", Capacity{Desired: 4, Running: 2, Pending: 2}, 60, 40, true, 4},
		{"sized from the running tasks", Capacity{Desired: 4, Running: 2, Pending: 2}, 100, 40, true, 5},
		{"nothing runs: one task", Capacity{}, 100, 40, true, 1},
		{"scale in to where the metric meets the target", Capacity{Desired: 4, Running: 4}, 20, 40, false, 2},
		{"scale in removes no more than keeps the metric under the target", Capacity{Desired: 10, Running: 10}, 30, 50, false, 6},
		{"AlarmLow never scales out", Capacity{Desired: 4, Running: 4}, 39, 30, false, 4},
		{"an idle service scales in to zero", Capacity{Desired: 3, Running: 3}, 0, 40, false, 0},
		{"NaN changes nothing", Capacity{Desired: 3, Running: 3}, math.NaN(), 40, true, 3},
		{"a negative metric changes nothing", Capacity{Desired: 3, Running: 3}, -5, 40, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := trackingCapacity(tc.c, tc.metric, tc.target, tc.out); got != tc.want {
				t.Errorf("trackingCapacity(%+v, %v, %v, out=%v) = %d, want %d", tc.c, tc.metric, tc.target, tc.out, got, tc.want)
			}
		})
	}
}

func TestTrackingMetric(t *testing.T) {
	if v, _ := trackingMetric([]float64{90, 80, 85}, true); v != 85 {
		t.Errorf("scale-out sizes from the newest datapoint: %v, want 85", v)
	}
	if v, _ := trackingMetric([]float64{20, 31, 25}, false); v != 31 {
		t.Errorf("scale-in sizes from the highest datapoint: %v, want 31", v)
	}
	if _, ok := trackingMetric(nil, true); ok {
		t.Error("no datapoints gave a metric")
	}
}

// The step adjustments of AWS's example ("Step adjustments"): threshold 50,
// scale-out steps [0,10) 0, [10,20) +10%, [20,∞) +30% and scale-in steps
// (-10,0] 0, (-20,-10] -10%, (-∞,-20] -30%.
var (
	scaleOutSteps = []StepAdjustment{
		{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: i32(0)},
		{MetricIntervalLowerBound: f(10), MetricIntervalUpperBound: f(20), ScalingAdjustment: i32(10)},
		{MetricIntervalLowerBound: f(20), ScalingAdjustment: i32(30)},
	}
	scaleInSteps = []StepAdjustment{
		{MetricIntervalLowerBound: f(-10), MetricIntervalUpperBound: f(0), ScalingAdjustment: i32(0)},
		{MetricIntervalLowerBound: f(-20), MetricIntervalUpperBound: f(-10), ScalingAdjustment: i32(-10)},
		{MetricIntervalUpperBound: f(-20), ScalingAdjustment: i32(-30)},
	}
)

func TestStepAdjustmentFor(t *testing.T) {
	type result struct {
		Adj int32
		OK  bool
	}
	for _, tc := range []struct {
		name   string
		steps  []StepAdjustment
		breach float64
		above  bool
		want   result
	}{
		{"at the threshold", scaleOutSteps, 0, true, result{0, true}},
		{"metric 60: lower bound inclusive above the threshold", scaleOutSteps, 10, true, result{10, true}},
		{"metric 69.9", scaleOutSteps, 19.9, true, result{10, true}},
		{"metric 70", scaleOutSteps, 20, true, result{30, true}},
		{"metric 40.1", scaleInSteps, -9.9, false, result{0, true}},
		{"metric 40: upper bound inclusive below the threshold", scaleInSteps, -10, false, result{-10, true}},
		{"metric 30.1", scaleInSteps, -19.9, false, result{-10, true}},
		{"metric 30", scaleInSteps, -20, false, result{-30, true}},
		{"at the threshold, below", scaleInSteps, 0, false, result{0, true}},
		{"no step covers it", scaleOutSteps, -1, true, result{0, false}},
		{"NaN", scaleOutSteps, math.NaN(), true, result{0, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adj, ok := stepAdjustmentFor(tc.steps, tc.breach, tc.above)
			if d := cmp.Diff(tc.want, result{adj, ok}); d != "" {
				t.Errorf("stepAdjustmentFor(%v, above=%v) (-want +got):\n%s", tc.breach, tc.above, d)
			}
		})
	}
}

func TestStepCapacity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		current  int
		typ      string
		adj, min int32
		want     int
	}{
		{"ChangeInCapacity: 3 and 5 make 8", 3, "ChangeInCapacity", 5, 0, 8},
		{"ChangeInCapacity down", 10, "ChangeInCapacity", -3, 0, 7},
		{"ExactCapacity: 3 becomes 5", 3, "ExactCapacity", 5, 0, 5},
		{"10% of 10 is 1", 10, "PercentChangeInCapacity", 10, 0, 11},
		{"30% of 11 is 3.3, rounded down to 3", 11, "PercentChangeInCapacity", 30, 0, 14},
		{"-10% of 14 is -1.4, rounded to -1", 14, "PercentChangeInCapacity", -10, 0, 13},
		{"-30% of 13 is -3.9, rounded to -3", 13, "PercentChangeInCapacity", -30, 0, 10},
		{".67 rounds to 1", 3, "PercentChangeInCapacity", 22, 0, 4},
		{"-.58 rounds to -1", 2, "PercentChangeInCapacity", -29, 0, 1},
		{"12.7 rounds to 12", 10, "PercentChangeInCapacity", 127, 0, 22},
		{"-6.67 rounds to -6", 23, "PercentChangeInCapacity", -29, 0, 17},
		{"25% of 4 is 1; MinAdjustmentMagnitude 2 makes it 2", 4, "PercentChangeInCapacity", 25, 2, 6},
		{"MinAdjustmentMagnitude applies to scale-in too", 4, "PercentChangeInCapacity", -25, 2, 2},
		{"0% is no change, whatever the minimum", 4, "PercentChangeInCapacity", 0, 2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stepCapacity(tc.current, tc.typ, tc.adj, tc.min); got != tc.want {
				t.Errorf("stepCapacity(%d, %s, %d, %d) = %d, want %d", tc.current, tc.typ, tc.adj, tc.min, got, tc.want)
			}
		})
	}
}

func TestAggregate(t *testing.T) {
	vals := []float64{60, 80, 70}
	got := []float64{aggregate(vals, ""), aggregate(vals, "Average"), aggregate(vals, "Minimum"), aggregate(vals, "Maximum")}
	if d := cmp.Diff([]float64{70, 70, 60, 80}, got); d != "" {
		t.Errorf("aggregate (-want +got):\n%s", d)
	}
	if !math.IsNaN(aggregate(nil, "Average")) {
		t.Error("aggregate of nothing is not NaN")
	}
}

func TestCheckIntervals(t *testing.T) {
	step := func(lo, hi *float64) StepAdjustment {
		return StepAdjustment{MetricIntervalLowerBound: lo, MetricIntervalUpperBound: hi, ScalingAdjustment: i32(1)}
	}
	for _, tc := range []struct {
		name  string
		steps []StepAdjustment
		want  string // the ValidationException's message; "" for valid
	}{
		{"AWS's scale-out example", scaleOutSteps, ""},
		{"AWS's scale-in example", scaleInSteps, ""},
		{"one open step above", []StepAdjustment{step(f(0), nil)}, ""},
		{"one open step below", []StepAdjustment{step(nil, f(0))}, ""},
		{"the whole line", []StepAdjustment{step(nil, f(0)), step(f(0), nil)}, ""},
		{"both bounds null", []StepAdjustment{step(nil, nil)}, "Both lower and upper bounds of a step adjustment cannot be left unspecified"},
		{"overlap", []StepAdjustment{step(f(0), f(20)), step(f(10), nil)}, "Step adjustment intervals cannot overlap"},
		{"gap", []StepAdjustment{step(f(0), f(10)), step(f(20), nil)}, "Step adjustment intervals cannot have gaps between them"},
		{"positive upper bound without an open step",
			[]StepAdjustment{step(f(0), f(10))},
			"There must be a step adjustment with an unspecified upper bound when one step adjustment has a positive upper bound"},
		{"negative lower bound without an open step",
			[]StepAdjustment{step(f(-10), f(0))},
			"There must be a step adjustment with an unspecified lower bound when one step adjustment has a negative lower bound"},
		{"two open upper bounds", []StepAdjustment{step(f(0), nil), step(f(10), nil)}, "At most one step adjustment may have an unspecified upper bound"},
		{"lower above upper", []StepAdjustment{step(f(10), f(5)), step(f(5), nil)}, "The lower bound of a step adjustment must be less than its upper bound: lower bound 10, upper bound 5"},
		{"infinite bound", []StepAdjustment{step(f(math.Inf(1)), nil)}, "The bounds of a step adjustment must be finite numbers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if err := checkIntervals(tc.steps); err != nil {
				got = errMessage(err)
			}
			if got != tc.want {
				t.Errorf("checkIntervals: %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	now := start
	inCooling := cooldown{InUntil: now.Add(time.Minute)}
	outCooling := cooldown{OutUntil: now.Add(time.Minute), OutFrom: 2}
	s := func(desired int, cd cooldown) situation {
		return situation{Capacity: Capacity{Desired: desired, Running: desired}, Min: 1, Max: 5, Cooldown: cd, Now: now}
	}
	type result struct {
		Desired int
		Why     string
	}
	for _, tc := range []struct {
		name string
		want int
		s    situation
		got  result
	}{
		{"scale out", 4, s(2, cooldown{}), result{4, ""}},
		{"clamped to the maximum", 9, s(2, cooldown{}), result{5, ""}},
		{"at the maximum", 9, s(5, cooldown{}), result{5, atMax}},
		{"above the maximum already", 9, s(7, cooldown{}), result{7, atMax}},
		{"a larger scale-out during the scale-out cooldown", 4, s(3, outCooling), result{4, ""}},
		{"a scale-out during the scale-in cooldown", 4, s(3, inCooling), result{4, ""}},
		{"scale in", 2, s(4, cooldown{}), result{2, ""}},
		{"clamped to the minimum", 0, s(4, cooldown{}), result{1, ""}},
		{"at the minimum", 0, s(1, cooldown{}), result{1, atMin}},
		{"scale in during the scale-in cooldown", 2, s(4, inCooling), result{4, coolingDown}},
		{"scale in during the scale-out cooldown", 2, s(4, outCooling), result{4, coolingDown}},
		{"scale in once the cooldown ended", 2, situation{Capacity: Capacity{Desired: 4}, Min: 1, Max: 5, Cooldown: inCooling, Now: now.Add(time.Minute)}, result{2, ""}},
		{"scale in during a deployment", 2, situation{Capacity: Capacity{Desired: 4, Deploying: true}, Min: 1, Max: 5, Now: now}, result{4, deploying}},
		{"scale in suspended", 2, situation{Capacity: Capacity{Desired: 4}, Min: 1, Max: 5, Now: now, InSuspended: true}, result{4, inSuspended}},
		{"scale out suspended", 5, situation{Capacity: Capacity{Desired: 4}, Min: 1, Max: 5, Now: now, OutSuspended: true}, result{4, outSuspended}},
		{"no change", 3, s(3, cooldown{}), result{3, atDesired}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, why := decide(tc.want, tc.s)
			if diff := cmp.Diff(tc.got, result{d, why}); diff != "" {
				t.Errorf("decide(%d) (-want +got):\n%s", tc.want, diff)
			}
		})
	}
}

// TestStepCooldown replays AWS's example: "when an alarm triggers a step
// scaling policy to increase the capacity by 2, the scaling activity
// completes successfully, and a cooldown period starts. If the alarm
// triggers again during the cooldown period but at a more aggressive step
// adjustment of 3, the previous increase of 2 is considered part of the
// current capacity. Therefore, only 1 is added to the capacity."
func TestStepCooldown(t *testing.T) {
	now, cd, desired := start, cooldown{}, 4
	sit := func() situation {
		return situation{Capacity: Capacity{Desired: desired}, Min: 1, Max: 20, Cooldown: cd, Now: now}
	}
	step := func(adj int32) int {
		want := stepCapacity(stepBase(cd, desired, now), "ChangeInCapacity", adj, 0)
		got, _ := decide(want, sit())
		cd = afterScaling(cd, desired, got, now, 5*time.Minute, 5*time.Minute)
		desired = got
		return got
	}
	var got []int
	got = append(got, step(2)) // 4 + 2
	now = now.Add(time.Minute)
	got = append(got, step(2)) // the same step again: 4 + 2, no more
	now = now.Add(time.Minute)
	got = append(got, step(3)) // a larger step: 4 + 3, one more
	now = now.Add(10 * time.Minute)
	got = append(got, step(2)) // the cooldown is over: 7 + 2
	if d := cmp.Diff([]int{6, 6, 7, 9}, got); d != "" {
		t.Errorf("desired counts (-want +got):\n%s", d)
	}
}

func TestAfterScaling(t *testing.T) {
	now := start
	cd := afterScaling(cooldown{}, 4, 2, now, time.Minute, 2*time.Minute)
	if d := cmp.Diff(cooldown{InUntil: now.Add(2 * time.Minute)}, cd); d != "" {
		t.Errorf("after a scale-in (-want +got):\n%s", d)
	}
	cd = afterScaling(cd, 2, 3, now.Add(time.Second), time.Minute, 2*time.Minute)
	if d := cmp.Diff(cooldown{OutUntil: now.Add(time.Minute + time.Second), OutFrom: 2}, cd); d != "" {
		t.Errorf("a scale-out ends the scale-in cooldown (-want +got):\n%s", d)
	}
	cd = afterScaling(cd, 3, 5, now.Add(2*time.Second), time.Minute, 2*time.Minute)
	if d := cmp.Diff(cooldown{OutUntil: now.Add(time.Minute + 2*time.Second), OutFrom: 2}, cd); d != "" {
		t.Errorf("a scale-out within the cooldown keeps counting from before it (-want +got):\n%s", d)
	}
}

func TestScaleInConsensus(t *testing.T) {
	now := start
	props := map[string]proposal{
		"cpu":    {Capacity: 2, At: now.Add(-time.Second)},
		"memory": {Capacity: 3, At: now},
		"stale":  {Capacity: 1, At: now.Add(-time.Minute)},
	}
	type result struct {
		Want int
		OK   bool
	}
	for _, tc := range []struct {
		name     string
		policies []string
		want     result
	}{
		{"one policy", []string{"cpu"}, result{2, true}},
		{"all agree: the largest capacity", []string{"cpu", "memory"}, result{3, true}},
		{"one has not asked", []string{"cpu", "requests"}, result{0, false}},
		{"one asked too long ago", []string{"cpu", "stale"}, result{0, false}},
		{"none can scale in", nil, result{0, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := scaleInConsensus(props, tc.policies, now, 3*time.Second)
			if d := cmp.Diff(tc.want, result{w, ok}); d != "" {
				t.Errorf("scaleInConsensus (-want +got):\n%s", d)
			}
		})
	}
}
