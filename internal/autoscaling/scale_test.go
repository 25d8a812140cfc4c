package autoscaling

import (
	"testing"
	"time"
)

func TestTargetTrackingCapacity(t *testing.T) {
	for _, tc := range []struct {
		current        int
		metric, target float64
		want           int
	}{
		{4, 85, 70, 5},   // the seed example
		{3, 90, 70, 4},   // 3 × 90 ÷ 70 = 3.86
		{1, 400, 40, 10}, // a busy task at 4× its reservation
		{4, 20, 40, 2},   // scale in to where the metric meets the target
		{4, 0, 40, 0},    // clamped to the minimum by decide
		{2, 40, 40, 2},
		{3, 70.0000000001 * 70 / 70, 70, 3},
	} {
		if got := targetTrackingCapacity(tc.current, tc.metric, tc.target); got != tc.want {
			t.Errorf("%d tasks at %v with target %v: %d, want %d", tc.current, tc.metric, tc.target, got, tc.want)
		}
	}
}

func f(v float64) *float64 { return &v }
func i32(v int32) *int32   { return &v }

func TestStepScaling(t *testing.T) {
	// AWS's documented example: threshold 50; 50-60 → +10%, 60-70 → +20%, 70+ → +30%.
	steps := []StepAdjustment{
		{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(10), ScalingAdjustment: i32(10)},
		{MetricIntervalLowerBound: f(10), MetricIntervalUpperBound: f(20), ScalingAdjustment: i32(20)},
		{MetricIntervalLowerBound: f(20), ScalingAdjustment: i32(30)},
	}
	for _, tc := range []struct {
		breach float64
		adj    int32
		ok     bool
	}{{0, 10, true}, {9.9, 10, true}, {10, 20, true}, {25, 30, true}, {-1, 0, false}} {
		adj, ok := stepAdjustmentFor(steps, tc.breach)
		if adj != tc.adj || ok != tc.ok {
			t.Errorf("breach %v: %d %v, want %d %v", tc.breach, adj, ok, tc.adj, tc.ok)
		}
	}
	for _, tc := range []struct {
		current  int
		typ      string
		adj, min int32
		want     int
	}{
		{10, "ChangeInCapacity", 2, 0, 12},
		{10, "ChangeInCapacity", -3, 0, 7},
		{10, "ExactCapacity", 4, 0, 4},
		{10, "PercentChangeInCapacity", 25, 0, 12}, // 2.5 → 2
		{3, "PercentChangeInCapacity", 10, 0, 4},   // 0.3 → 1
		{3, "PercentChangeInCapacity", -10, 0, 2},  // -0.3 → -1
		{15, "PercentChangeInCapacity", -50, 0, 8}, // -7.5 → -7
		{10, "PercentChangeInCapacity", 10, 3, 13}, // 1 → MinAdjustmentMagnitude 3
	} {
		if got := stepCapacity(tc.current, tc.typ, tc.adj, tc.min); got != tc.want {
			t.Errorf("%d %s %d (min %d): %d, want %d", tc.current, tc.typ, tc.adj, tc.min, got, tc.want)
		}
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cooling := cooldown{InUntil: now.Add(time.Minute)}
	outCooling := cooldown{OutUntil: now.Add(time.Minute)}
	for _, tc := range []struct {
		name      string
		want      int
		c         Capacity
		cd        cooldown
		in, out   bool
		got       int
		notScaled string
	}{
		{"scale out", 5, Capacity{Desired: 2}, cooldown{}, true, true, 5, ""},
		{"clamped to max", 9, Capacity{Desired: 2}, cooldown{}, true, true, 5, ""},
		{"at max", 9, Capacity{Desired: 5}, cooldown{}, true, true, 5, "AlreadyAtMaxCapacity"},
		{"scale out during scale-out cooldown", 4, Capacity{Desired: 3}, outCooling, true, true, 4, ""},
		{"scale in", 2, Capacity{Desired: 4}, cooldown{}, true, true, 2, ""},
		{"clamped to min", 0, Capacity{Desired: 4}, cooldown{}, true, true, 1, ""},
		{"at min", 0, Capacity{Desired: 1}, cooldown{}, true, true, 1, "AlreadyAtMinCapacity"},
		{"scale in during scale-in cooldown", 2, Capacity{Desired: 4}, cooling, true, true, 4, "CooldownInProgress"},
		{"scale in during scale-out cooldown", 2, Capacity{Desired: 4}, outCooling, true, true, 4, "CooldownInProgress"},
		{"scale in during a deployment", 2, Capacity{Desired: 4, Deploying: true}, cooldown{}, true, true, 4, "DeploymentInProgress"},
		{"scale in suspended", 2, Capacity{Desired: 4}, cooldown{}, false, true, 4, "ScaleInSuspended"},
		{"scale out suspended", 5, Capacity{Desired: 4}, cooldown{}, true, false, 4, "ScaleOutSuspended"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := decide(tc.want, tc.c, 1, 5, tc.cd, now, tc.in, tc.out)
			if got != tc.got || why != tc.notScaled {
				t.Errorf("decide: %d %q, want %d %q", got, why, tc.got, tc.notScaled)
			}
		})
	}
}
