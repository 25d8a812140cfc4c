package autoscaling

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"tide/internal/awsjson"
	"tide/internal/clocktest"
	"tide/internal/cloudwatch"
	"tide/internal/metrics"
	"tide/internal/store"
)

// memServices is a map of services whose desired counts SetDesiredCount sets.
type memServices struct {
	mu sync.Mutex
	m  map[string]Capacity
}

func (s *memServices) Capacity(ctx context.Context, cluster, service string) (Capacity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[cluster+"/"+service], nil
}

func (s *memServices) SetDesiredCount(ctx context.Context, cluster, service string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.m[cluster+"/"+service]
	c.Desired = n
	s.m[cluster+"/"+service] = c
	return nil
}

func newPredictiveAPI(t *testing.T, clock *clocktest.Clock, ms *metrics.Store, svcs *memServices) *API {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st, err := store.Open(ctx, e.Client(), "/tide/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	cw := cloudwatch.New(st, quiet, cloudwatch.Config{Region: "us-east-1", AccountID: "000000000000", Now: clock.Now})
	return New(st, quiet, Config{Region: "us-east-1", AccountID: "000000000000", Now: clock.Now, Alarms: cw, Services: svcs, Metrics: ms})
}

// TestPredictiveScaling: three days of a daily CPU cycle (peak 2,048 units
// used at 14:00, 256 at night) give a forecast whose capacity at a 50%
// target of 256-unit tasks follows the cycle, and ForecastAndScale raises
// the desired count ahead of the peak hour.
func TestPredictiveScaling(t *testing.T) {
	now := time.Date(2026, 11, 22, 13, 50, 0, 0, time.UTC)
	clock := clocktest.New(now)
	ms := metrics.New(clock.Now)
	svc := []metrics.Dimension{{Name: "ClusterName", Value: "c"}, {Name: "ServiceName", Value: "web"}}
	used := func(ts time.Time) float64 {
		h := float64(ts.Hour()) + float64(ts.Minute())/60
		return 1152 + 896*math.Cos((h-14)/24*2*math.Pi)
	}
	for ts := now.Add(-72 * time.Hour).Truncate(time.Minute); ts.Before(now); ts = ts.Add(time.Minute) {
		ms.Put(metrics.Datum{Namespace: "ECS/ContainerInsights", MetricName: "CpuUtilized", Dimensions: svc, Time: ts, Value: used(ts)},
			metrics.Datum{Namespace: "ECS/ContainerInsights", MetricName: "CpuReserved", Dimensions: svc, Time: ts, Value: 256 * 4},
			metrics.Datum{Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: svc, Time: ts, Value: 4})
	}
	svcs := &memServices{m: map[string]Capacity{"c/web": {Desired: 4, Running: 4}}}
	a := newPredictiveAPI(t, clock, ms, svcs)
	ctx := context.Background()
	ns, res, dim := "ecs", "service/c/web", "ecs:service:DesiredCount"
	if _, err := a.registerScalableTarget(ctx, &RegisterScalableTargetInput{ServiceNamespace: &ns, ResourceId: &res, ScalableDimension: &dim, MinCapacity: i32(1), MaxCapacity: i32(20)}); err != nil {
		t.Fatal(err)
	}
	typ, name, mode := "PredictiveScaling", "predict", "ForecastAndScale"
	_, err := a.putScalingPolicy(ctx, &PutScalingPolicyInput{PolicyName: &name, ServiceNamespace: &ns, ResourceId: &res, ScalableDimension: &dim, PolicyType: &typ,
		PredictiveScalingPolicyConfiguration: &PredictiveScalingPolicyConfiguration{Mode: &mode, MetricSpecifications: []PredictiveScalingMetricSpecification{{
			TargetValue: f(50), PredefinedMetricPairSpecification: &PredictivePredefinedMetric{PredefinedMetricType: "ECSServiceCPUUtilization"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.getPredictiveScalingForecast(ctx, &GetPredictiveScalingForecastInput{ServiceNamespace: &ns, ResourceId: &res, ScalableDimension: &dim, PolicyName: &name,
		StartTime: ptrTime(now.Truncate(time.Hour)), EndTime: ptrTime(now.Truncate(time.Hour).Add(24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	caps := out.CapacityForecast.Values
	if len(caps) != 24 {
		t.Fatalf("capacity forecast of %d hours, want 24: %+v", len(caps), out)
	}
	// 2,048 units at 50% of 256-unit tasks: 16 tasks at the peak; 256 at night: 2.
	peak, trough := caps[0], caps[12] // 13:00 and 01:00
	if peak < 14 || peak > 17 || trough > 4 {
		t.Errorf("capacity forecast at 13:00 %v (want about 16) and at 01:00 %v (want about 2): %v", peak, trough, caps)
	}
	NewController(a, nil).Step(ctx) // 13:50 + 5 min buffer: the 13:00 hour's forecast
	if got := svcs.m["c/web"].Desired; got < 14 {
		t.Errorf("ForecastAndScale left the desired count at %d, want the forecast's %v", got, peak)
	}
	acts := a.activities(res)
	if len(acts) == 0 || acts[0].StatusCode != "Successful" {
		t.Errorf("activities %+v", acts)
	}
}

func ptrTime(t time.Time) *awsjson.Time { return &awsjson.Time{Time: t} }
