package autoscaling

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"tide/internal/metrics"
)

// dailyCycle puts three days of a daily CPU cycle into the metric store:
// 2,048 CPU units used at 14:00, 256 at 02:00, by 4 tasks of 256 units.
func dailyCycle(h *harness, until time.Time) {
	svc := []metrics.Dimension{{Name: "ClusterName", Value: "c"}, {Name: "ServiceName", Value: "web"}}
	used := func(ts time.Time) float64 {
		hour := float64(ts.Hour()) + float64(ts.Minute())/60
		return 1152 + 896*math.Cos((hour-14)/24*2*math.Pi)
	}
	for ts := until.Add(-72 * time.Hour).Truncate(time.Minute); ts.Before(until); ts = ts.Add(time.Minute) {
		h.metrics.Put(metrics.Datum{Namespace: "ECS/ContainerInsights", MetricName: "CpuUtilized", Dimensions: svc, Time: ts, Value: used(ts)},
			metrics.Datum{Namespace: "ECS/ContainerInsights", MetricName: "CpuReserved", Dimensions: svc, Time: ts, Value: 256 * 4},
			metrics.Datum{Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: svc, Time: ts, Value: 4})
	}
}

// TestPredictiveScaling: from three days of a daily cycle, the forecast's
// capacity at a 50% CPU target follows the cycle (16 tasks at the 14:00
// peak, 2 at night), and ForecastAndScale holds the target at the coming
// hour's forecast from SchedulingBufferTime before it: PredictedCapacity
// shows, the service scales out, and target tracking cannot scale in below
// it.
func TestPredictiveScaling(t *testing.T) {
	h := newHarness(t, Fast())
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 56, 0, 0, time.UTC)
	h.clock.Set(now)
	dailyCycle(h, now)
	res := h.register(t, "web", 4, 1, 20)
	mode := types.PredictiveScalingModeForecastAndScale
	must(h.sdk.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{PolicyName: aws.String("predict"), ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(res), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, PolicyType: types.PolicyTypePredictiveScaling,
		PredictiveScalingPolicyConfiguration: &types.PredictiveScalingPolicyConfiguration{Mode: mode, MetricSpecifications: []types.PredictiveScalingMetricSpecification{{
			TargetValue: aws.Float64(50), PredefinedMetricPairSpecification: &types.PredictiveScalingPredefinedMetricPairSpecification{PredefinedMetricType: aws.String("ECSServiceCPUUtilization")}}}}}))(t)
	out := must(h.sdk.GetPredictiveScalingForecast(ctx, &aas.GetPredictiveScalingForecastInput{ServiceNamespace: types.ServiceNamespaceEcs,
		ResourceId: aws.String(res), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount, PolicyName: aws.String("predict"),
		StartTime: aws.Time(now.Truncate(time.Hour)), EndTime: aws.Time(now.Truncate(time.Hour).Add(24 * time.Hour))}))(t)
	caps := out.CapacityForecast.Values
	if len(caps) != 24 || len(out.LoadForecast) != 1 || len(out.LoadForecast[0].Values) != 24 {
		t.Fatalf("forecast of %d hours of capacity and %d load forecasts, want 24 and 1", len(caps), len(out.LoadForecast))
	}
	if peak, night := caps[2], caps[14]; peak < 14 || peak > 17 || night > 4 { // 14:00 and 02:00
		t.Errorf("capacity forecast at 14:00 %v (want about 16) and at 02:00 %v (want about 2): %v", peak, night, caps)
	}

	// 12:56 + 300 s is in the 13:00 hour: its forecast applies from 12:55.
	h.ctrl.Step(ctx)
	targets := must(h.sdk.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: types.ServiceNamespaceEcs}))(t)
	predicted := aws.ToInt32(targets.ScalableTargets[0].PredictedCapacity)
	if predicted < 12 || targets.ScalableTargets[0].MinCapacity == nil || *targets.ScalableTargets[0].MinCapacity != 1 {
		t.Fatalf("PredictedCapacity %d (want the 13:00 forecast, about 14), MinCapacity %v (want 1, unchanged)", predicted, targets.ScalableTargets[0].MinCapacity)
	}
	if got := h.svcs.get("web").Desired; got != int(predicted) {
		t.Errorf("ForecastAndScale left the desired count at %d, want the forecast %d", got, predicted)
	}
	if acts := h.activities(t, res, false); len(acts) == 0 || acts[0].StatusCode != types.ScalingActivityStatusCodeSuccessful {
		t.Errorf("activities %+v", acts)
	}

	// Target tracking scales in no lower than the forecast while it holds.
	h.svcs.run("web")
	pol := h.cpuPolicy(t, res, "cpu", 50)
	h.clock.Advance(time.Hour) // past the scale-out cooldown
	low := h.alarms.get(*pol.Alarms[1].AlarmName)
	for range 2 {
		h.fire(t, low, 1, 1, 1)
	}
	if got := h.svcs.get("web").Desired; got != int(predicted) {
		t.Errorf("AlarmLow while the forecast holds: desired %d, want %d", got, predicted)
	}
}
