package cwalarms

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"tide/internal/autoscaling"
	tidecw "tide/internal/cloudwatch"
	"tide/internal/edge"
	"tide/internal/store"
)

// services is one ECS service whose desired count the policies set.
type services struct{ c autoscaling.Capacity }

func (s *services) Capacity(context.Context, string, string) (autoscaling.Capacity, error) {
	return s.c, nil
}
func (s *services) SetDesiredCount(_ context.Context, _, _ string, n int) error {
	s.c.Desired = n
	return nil
}

// TestTargetTrackingThroughCloudWatch: a target tracking policy's alarms
// appear in CloudWatch's DescribeAlarms as AWS shows them, and the
// controller's invocation of AlarmHigh scales the service through Invoker.
func TestTargetTrackingThroughCloudWatch(t *testing.T) {
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
	now := func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	cw := tidecw.New(st, quiet, tidecw.Config{Region: "us-east-1", AccountID: "000000000000", Now: now})
	svc := &services{c: autoscaling.Capacity{Desired: 4, Running: 4}}
	api := autoscaling.New(st, quiet, autoscaling.Config{Region: "us-east-1", AccountID: "000000000000", Now: now,
		Alarms: Alarms{API: cw}, Services: svc})
	ed := edge.New(quiet, nil)
	ed.Register(api.Service())
	ed.RegisterAPI(cw.EdgeAPI())
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)

	call := func(op string, body string) {
		t.Helper()
		h := api.Service().Ops[op]
		if _, err := h(ctx, []byte(body)); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}
	call("RegisterScalableTarget", `{"ServiceNamespace":"ecs","ResourceId":"service/c/web","ScalableDimension":"ecs:service:DesiredCount","MinCapacity":1,"MaxCapacity":10}`)
	call("PutScalingPolicy", `{"PolicyName":"cpu70","ServiceNamespace":"ecs","ResourceId":"service/c/web","ScalableDimension":"ecs:service:DesiredCount",
		"PolicyType":"TargetTrackingScaling","TargetTrackingScalingPolicyConfiguration":{"TargetValue":70,
		"PredefinedMetricSpecification":{"PredefinedMetricType":"ECSServiceAverageCPUUtilization"}}}`)

	client := cloudwatch.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} }}, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	out, err := client.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-service/c/web-")})
	if err != nil {
		t.Fatal(err)
	}
	type alarm struct {
		Kind, Metric, Stat, Unit, Cmp, Missing string
		Threshold                              float64
		Period, Eval, DTA                      int32
	}
	var got []alarm
	var high cwtypes.MetricAlarm
	for _, a := range out.MetricAlarms {
		kind := "AlarmLow"
		if cmp.Equal(a.ComparisonOperator, cwtypes.ComparisonOperatorGreaterThanThreshold) {
			kind, high = "AlarmHigh", a
		}
		got = append(got, alarm{kind, aws.ToString(a.Namespace) + " " + aws.ToString(a.MetricName), string(a.Statistic), string(a.Unit),
			string(a.ComparisonOperator), aws.ToString(a.TreatMissingData), aws.ToFloat64(a.Threshold),
			aws.ToInt32(a.Period), aws.ToInt32(a.EvaluationPeriods), aws.ToInt32(a.DatapointsToAlarm)})
	}
	want := []alarm{
		{"AlarmHigh", "AWS/ECS CPUUtilization", "Average", "Percent", "GreaterThanThreshold", "missing", 70, 1, 3, 3},
		{"AlarmLow", "AWS/ECS CPUUtilization", "Average", "Percent", "LessThanThreshold", "missing", 63, 1, 15, 15},
	}
	if d := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b alarm) bool { return a.Kind < b.Kind })); d != "" {
		t.Errorf("DescribeAlarms (-want +got):\n%s", d)
	}
	if len(high.AlarmActions) != 1 {
		t.Fatalf("AlarmHigh's actions: %v", high.AlarmActions)
	}
	inv := tidecw.Invocation{AlarmName: aws.ToString(high.AlarmName), State: "ALARM", Threshold: 70, ComparisonOperator: "GreaterThanThreshold", Values: []float64{80, 90, 85}}
	if err := (Invoker{API: api}).InvokePolicy(ctx, high.AlarmActions[0], inv); err != nil {
		t.Fatal(err)
	}
	if svc.c.Desired != 5 {
		t.Errorf("4 tasks at 85%% with a 70%% target: desired %d, want 5", svc.c.Desired)
	}
	call("DeleteScalingPolicy", `{"PolicyName":"cpu70","ServiceNamespace":"ecs","ResourceId":"service/c/web","ScalableDimension":"ecs:service:DesiredCount"}`)
	if names := cw.ManagedAlarms(tidecw.ManagedByAutoScaling); len(names) != 0 {
		t.Errorf("alarms left after DeleteScalingPolicy: %v", names)
	}
}

// TestInput: a metric math spec becomes PutMetricAlarm's Metrics with the
// alarm's period, and a percentile an ExtendedStatistic.
func TestInput(t *testing.T) {
	math := Input(autoscaling.AlarmSpec{Name: "a", Period: time.Minute, Metrics: []autoscaling.AlarmQuery{
		{ID: "m1", Namespace: "App", MetricName: "Backlog", Stat: "Sum"}, {ID: "e1", Expression: "m1 / 2", ReturnData: true}}})
	if len(math.Metrics) != 2 || aws.ToInt32(math.Metrics[0].MetricStat.Period) != 60 || math.Metrics[1].MetricStat != nil || math.Namespace != nil {
		t.Errorf("metric math input: %+v", math)
	}
	p99 := Input(autoscaling.AlarmSpec{Name: "b", Period: time.Second, Namespace: "App", MetricName: "Latency", Statistic: "p99"})
	if p99.Statistic != nil || aws.ToString(p99.ExtendedStatistic) != "p99" {
		t.Errorf("percentile input: %+v", p99)
	}
}
