package autoscaling

import (
	"context"
	"testing"
	"time"

	"tide/internal/clocktest"
	"tide/internal/cloudwatch"
	"tide/internal/metrics"
)

// TestInvokeCooldowns: alarms invoke a policy every period while in
// ALARM; a step policy's repeated invocations during its cooldown add only
// what exceeds the scale-out in progress, and target tracking sizes from
// the tasks that run, not those still starting.
func TestInvokeCooldowns(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	clock := clocktest.New(now)
	svcs := &memServices{m: map[string]Capacity{"c/web": {Desired: 1, Running: 1}}}
	a := newPredictiveAPI(t, clock, metrics.New(clock.Now), svcs)
	ctx := context.Background()
	ns, res, dim := "ecs", "service/c/web", "ecs:service:DesiredCount"
	if _, err := a.registerScalableTarget(ctx, &RegisterScalableTargetInput{ServiceNamespace: &ns, ResourceId: &res, ScalableDimension: &dim, MinCapacity: i32(1), MaxCapacity: i32(10)}); err != nil {
		t.Fatal(err)
	}
	typ, name, adjType := "StepScaling", "steps", "ChangeInCapacity"
	out, err := a.putScalingPolicy(ctx, &PutScalingPolicyInput{PolicyName: &name, ServiceNamespace: &ns, ResourceId: &res, ScalableDimension: &dim, PolicyType: &typ,
		StepScalingPolicyConfiguration: &StepScalingPolicyConfiguration{AdjustmentType: &adjType, Cooldown: i32(60), StepAdjustments: []StepAdjustment{
			{MetricIntervalLowerBound: f(0), MetricIntervalUpperBound: f(50), ScalingAdjustment: i32(1)},
			{MetricIntervalLowerBound: f(50), ScalingAdjustment: i32(3)}}}})
	if err != nil {
		t.Fatal(err)
	}
	invoke := func(v float64) int {
		t.Helper()
		if err := a.InvokePolicy(ctx, out.PolicyARN, cloudwatch.Invocation{AlarmName: "q", State: "ALARM", Threshold: 100, Values: []float64{v}}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		return svcs.m["c/web"].Desired
	}
	for i, step := range []struct {
		metric float64
		want   int
	}{
		{120, 2}, // +1
		{120, 2}, // the same alarm again, within the cooldown: nothing more
		{120, 2},
		{170, 4}, // a larger step: 1 + 3, the capacity before the cooldown plus the larger adjustment
	} {
		if got := invoke(step.metric); got != step.want {
			t.Fatalf("invocation %d at %v: desired %d, want %d", i+1, step.metric, got, step.want)
		}
	}
	clock.Advance(time.Minute)
	if got := invoke(120); got != 5 {
		t.Fatalf("after the cooldown: desired %d, want 5", got)
	}

	// Target tracking: 2 tasks run at 60% (2 more are starting) with a 40% target: 2 × 60 ÷ 40 = 3 tasks carry
	// the load, fewer than the 4 desired, so AlarmHigh changes nothing.
	svcs.m["c/web"] = Capacity{Desired: 4, Running: 2, Pending: 2}
	tt, tname := "TargetTrackingScaling", "cpu"
	pol, err := a.putScalingPolicy(ctx, &PutScalingPolicyInput{PolicyName: &tname, ServiceNamespace: &ns, ResourceId: &res, ScalableDimension: &dim, PolicyType: &tt,
		TargetTrackingScalingPolicyConfiguration: &TargetTrackingScalingPolicyConfiguration{TargetValue: f(40),
			PredefinedMetricSpecification: &PredefinedMetricSpecification{PredefinedMetricType: "ECSServiceAverageCPUUtilization"}}})
	if err != nil {
		t.Fatal(err)
	}
	high := pol.Alarms[0].AlarmName
	if err := a.InvokePolicy(ctx, pol.PolicyARN, cloudwatch.Invocation{AlarmName: high, State: "ALARM", Threshold: 40, Values: []float64{60}}); err != nil {
		t.Fatal(err)
	}
	if got := svcs.m["c/web"].Desired; got != 4 {
		t.Errorf("target tracking with 2 of 4 tasks running at 60%%: desired %d, want 4 (3 would carry the load)", got)
	}
	if err := a.InvokePolicy(ctx, pol.PolicyARN, cloudwatch.Invocation{AlarmName: high, State: "ALARM", Threshold: 40, Values: []float64{100}}); err != nil {
		t.Fatal(err)
	}
	if got := svcs.m["c/web"].Desired; got != 5 { // 2 × 100 ÷ 40
		t.Errorf("target tracking with 2 tasks running at 100%%: desired %d, want 5", got)
	}
}
