package cloudwatch

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"

	"tide/internal/metrics"
)

const (
	opsTopic  = "arn:aws:sns:us-east-1:000000000000:ops"
	webPolicy = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:0f3c1c1e-1111-2222-3333-444455556666:resource/ecs/service/default/web:policyName/cpu-out"
)

var webDims = []metrics.Dimension{{Name: "ClusterName", Value: "default"}, {Name: "ServiceName", Value: "web"}}

// cpu puts one CPUUtilization sample of the web service at minute m
// (minutes after start) plus 30 seconds.
func (h *harness) cpu(m int, v float64) {
	h.metrics.put("AWS/ECS", "CPUUtilization", webDims, start.Add(time.Duration(m)*time.Minute+30*time.Second), v)
}

func (h *harness) describe(t *testing.T, name string) types.MetricAlarm {
	t.Helper()
	out := must[*cloudwatch.DescribeAlarmsOutput](t)(h.sdk.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}}))
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms %s: %d alarms", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

func (h *harness) history(t *testing.T, name, typ string) []types.AlarmHistoryItem {
	t.Helper()
	out := must[*cloudwatch.DescribeAlarmHistoryOutput](t)(h.sdk.DescribeAlarmHistory(context.Background(), &cloudwatch.DescribeAlarmHistoryInput{
		AlarmName: aws.String(name), HistoryItemType: types.HistoryItemType(typ), ScanBy: types.ScanByTimestampAscending}))
	return out.AlarmHistoryItems
}

// TestControllerLifecycle drives an alarm through INSUFFICIENT_DATA,
// ALARM and OK with a fake clock and checks what a user sees: the state,
// its reason, the history, the SNS notifications and the scaling policy
// invocations (on the move into ALARM and once per period in it).
func TestControllerLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	in := cpuAlarm("cpu-high")
	in.AlarmActions = []string{opsTopic, webPolicy}
	in.OKActions = []string{opsTopic}
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, in))

	h.ctrl.Step(ctx) // 10:00:00: the periods up to 09:59 have no data
	a := h.describe(t, "cpu-high")
	if a.StateValue != types.StateValueInsufficientData || aws.ToString(a.StateReason) != "Insufficient Data: 3 datapoints were unknown." {
		t.Fatalf("first evaluation: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}

	h.cpu(0, 80)
	h.cpu(1, 85)
	h.cpu(2, 90)
	h.advance(t, time.Minute+time.Second) // 10:01:01: [10:00, 10:01) is complete: 1 of 3
	if s := h.describe(t, "cpu-high").StateValue; s != types.StateValueInsufficientData {
		t.Fatalf("after one datapoint: %s", s)
	}
	h.advance(t, 2*time.Minute) // 10:03:01: three breaching datapoints
	a = h.describe(t, "cpu-high")
	wantReason := "Threshold Crossed: 3 out of the last 3 datapoints [90.0 (22/11/26 10:02:00), 85.0 (22/11/26 10:01:00), 80.0 (22/11/26 10:00:00)] were greater than the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition)."
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != wantReason {
		t.Fatalf("after three breaching datapoints: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if !aws.ToTime(a.StateTransitionedTimestamp).Equal(start.Add(3*time.Minute + time.Second)) {
		t.Errorf("StateTransitionedTimestamp = %v", a.StateTransitionedTimestamp)
	}
	notes := h.sns.take()
	if len(notes) != 1 || notes[0].ARN != opsTopic || notes[0].Subject != `ALARM: "cpu-high" in US East (N. Virginia)` {
		t.Fatalf("notifications: %+v", notes)
	}
	checkNotification(t, notes[0].Message, wantReason)
	wantInv := Invocation{AlarmName: "cpu-high", AlarmARN: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high", State: "ALARM",
		Threshold: 70, ComparisonOperator: "GreaterThanThreshold", Values: []float64{80, 85, 90}, Time: start.Add(3*time.Minute + time.Second)}
	if d := cmp.Diff([]call{{ARN: webPolicy, Inv: wantInv}}, h.policies.take()); d != "" {
		t.Errorf("policy invocations on the move into ALARM (-want +got):\n%s", d)
	}

	// Still breaching a period later: the policy again, no notification.
	h.cpu(3, 95)
	h.advance(t, time.Minute)
	wantInv.Values, wantInv.Time = []float64{85, 90, 95}, start.Add(4*time.Minute+time.Second)
	if d := cmp.Diff([]call{{ARN: webPolicy, Inv: wantInv}}, h.policies.take()); d != "" {
		t.Errorf("policy invocations in ALARM (-want +got):\n%s", d)
	}
	h.advance(t, 30*time.Second) // within the same period: nothing
	if n, p := h.sns.take(), h.policies.take(); len(n)+len(p) != 0 {
		t.Errorf("actions within a period: %+v %+v", n, p)
	}

	// One datapoint below the threshold: OK, with the OK actions only.
	h.cpu(4, 50)
	h.advance(t, 30*time.Second) // 10:05:01
	a = h.describe(t, "cpu-high")
	if a.StateValue != types.StateValueOk || aws.ToString(a.StateReason) != "Threshold Crossed: 1 out of the last 3 datapoints [50.0 (22/11/26 10:04:00)] was not greater than the threshold (70.0) (minimum 1 datapoint for ALARM -> OK transition)." {
		t.Fatalf("after a low datapoint: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if n, p := h.sns.take(), h.policies.take(); len(n) != 1 || n[0].Subject != `OK: "cpu-high" in US East (N. Virginia)` || len(p) != 0 {
		t.Errorf("actions of the move to OK: %+v %+v", n, p)
	}

	var summaries []string
	for _, it := range h.history(t, "cpu-high", "") {
		summaries = append(summaries, aws.ToString(it.HistorySummary))
	}
	want := []string{
		`Alarm "cpu-high" created`,
		"Alarm updated from INSUFFICIENT_DATA to ALARM",
		"Successfully executed action " + opsTopic,
		"Successfully executed action " + webPolicy,
		"Alarm updated from ALARM to OK",
		"Successfully executed action " + opsTopic,
	}
	if d := cmp.Diff(want, summaries); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
	state := h.history(t, "cpu-high", "StateUpdate")[0]
	var data struct {
		Version  string
		OldState struct{ StateValue, StateReason string }
		NewState struct {
			StateValue, StateReason string
			StateReasonData         struct {
				RecentDatapoints []float64
				Threshold        float64
			}
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(state.HistoryData)), &data); err != nil {
		t.Fatalf("HistoryData %s: %v", aws.ToString(state.HistoryData), err)
	}
	if data.Version != "1.0" || data.OldState.StateValue != "INSUFFICIENT_DATA" || data.NewState.StateValue != "ALARM" ||
		data.NewState.StateReason != wantReason || len(data.NewState.StateReasonData.RecentDatapoints) != 3 {
		t.Errorf("StateUpdate HistoryData: %+v", data)
	}
}

// checkNotification compares an SNS message with AWS's notification
// document.
func checkNotification(t *testing.T, message, reason string) {
	t.Helper()
	want := `{"AlarmName":"cpu-high","AlarmDescription":"CPU high","AWSAccountId":"000000000000",` +
		`"AlarmConfigurationUpdatedTimestamp":"2026-11-22T10:00:00.000+0000","NewStateValue":"ALARM",` +
		`"NewStateReason":` + jsonString(reason) + `,"StateChangeTime":"2026-11-22T10:03:01.000+0000",` +
		`"Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high",` +
		`"OldStateValue":"INSUFFICIENT_DATA","OKActions":["` + opsTopic + `"],"AlarmActions":["` + opsTopic + `","` + webPolicy + `"],` +
		`"InsufficientDataActions":[],"Trigger":{"MetricName":"CPUUtilization","Namespace":"AWS/ECS","StatisticType":"Statistic",` +
		`"Statistic":"AVERAGE","Unit":"Percent","Dimensions":[{"value":"default","name":"ClusterName"},{"value":"web","name":"ServiceName"}],` +
		`"Period":60,"EvaluationPeriods":3,"DatapointsToAlarm":3,"ComparisonOperator":"GreaterThanThreshold","Threshold":70.0,` +
		`"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":""}}`
	if d := cmp.Diff(want, message); d != "" {
		t.Errorf("notification (-want +got):\n%s", d)
	}
}

// TestControllerActions: disabled actions do not fire; a failing action
// is recorded as failed and does not stop the others or the evaluation;
// SetAlarmState fires the new state's actions and the next evaluation
// puts the alarm back.
func TestControllerActions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	in := cpuAlarm("cpu-high")
	in.AlarmActions = []string{"arn:aws:sns:us-east-1:000000000000:broken", opsTopic, "arn:aws:lambda:us-east-1:000000000000:function:f"}
	in.OKActions = []string{opsTopic}
	in.TreatMissingData = aws.String("notBreaching")
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, in))
	h.sns.fail = map[string]error{"arn:aws:sns:us-east-1:000000000000:broken": errors.New("topic does not exist")}

	h.ctrl.Step(ctx) // no data, notBreaching: OK
	if n := h.sns.take(); len(n) != 1 || n[0].Subject != `OK: "cpu-high" in US East (N. Virginia)` {
		t.Fatalf("move to OK: %+v", n)
	}

	must[*cloudwatch.SetAlarmStateOutput](t)(h.sdk.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("cpu-high"), StateValue: types.StateValueAlarm, StateReason: aws.String("testing"),
		StateReasonData: aws.String(`{"recentDatapoints":[99.5]}`)}))
	if s := h.describe(t, "cpu-high"); s.StateValue != types.StateValueAlarm || aws.ToString(s.StateReason) != "testing" {
		t.Fatalf("after SetAlarmState: %s %q", s.StateValue, aws.ToString(s.StateReason))
	}
	h.ctrl.Step(ctx) // the same period: no evaluation, the actions only
	if n := h.sns.take(); len(n) != 2 || n[0].ARN != "arn:aws:sns:us-east-1:000000000000:broken" || n[1].ARN != opsTopic {
		t.Fatalf("SetAlarmState's notifications: %+v", n)
	}
	actions := h.history(t, "cpu-high", "Action")
	var got []string
	for _, it := range actions[1:] {
		got = append(got, aws.ToString(it.HistorySummary))
	}
	want := []string{
		`Failed to execute action arn:aws:sns:us-east-1:000000000000:broken. Received error: "topic does not exist"`,
		"Successfully executed action " + opsTopic,
		`Failed to execute action arn:aws:lambda:us-east-1:000000000000:function:f. Received error: "Tide executes only SNS topic and Application Auto Scaling policy actions"`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("action history (-want +got):\n%s", d)
	}

	h.advance(t, time.Minute) // the next evaluation: back to OK
	if s := h.describe(t, "cpu-high").StateValue; s != types.StateValueOk {
		t.Fatalf("after the next evaluation: %s", s)
	}
	h.sns.take()

	must[*cloudwatch.DisableAlarmActionsOutput](t)(h.sdk.DisableAlarmActions(ctx, &cloudwatch.DisableAlarmActionsInput{AlarmNames: []string{"cpu-high"}}))
	h.cpu(0, 99)
	h.cpu(1, 99)
	h.cpu(2, 99)
	h.advance(t, 3*time.Minute)
	if s := h.describe(t, "cpu-high"); s.StateValue != types.StateValueAlarm || aws.ToBool(s.ActionsEnabled) {
		t.Fatalf("with actions disabled: %s %v", s.StateValue, aws.ToBool(s.ActionsEnabled))
	}
	if n := h.sns.take(); len(n) != 0 {
		t.Errorf("notifications with actions disabled: %+v", n)
	}
}

// TestControllerMetricMath: an alarm on 100*errors/requests, with FILL,
// evaluated per period from two metrics; and a one-second p90 alarm.
func TestControllerMetricMath(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	lbDims := []types.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String("app/web/1")}}
	stat := func(name, stat string) *types.MetricStat {
		return &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(name), Dimensions: lbDims},
			Period: aws.Int32(10), Stat: aws.String(stat)}
	}
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("error-rate"), EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(5),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, AlarmActions: []string{opsTopic},
		Metrics: []types.MetricDataQuery{
			{Id: aws.String("errors"), MetricStat: stat("HTTPCode_Target_5XX_Count", "Sum"), ReturnData: aws.Bool(false)},
			{Id: aws.String("requests"), MetricStat: stat("RequestCount", "Sum"), ReturnData: aws.Bool(false)},
			{Id: aws.String("rate"), Expression: aws.String("100 * FILL(errors, 0) / requests"), Label: aws.String("Error rate")},
		},
	}))
	lb := []metrics.Dimension{{Name: "LoadBalancer", Value: "app/web/1"}}
	for i := range 4 {
		at := start.Add(time.Duration(i)*10*time.Second + time.Second)
		h.metrics.put("AWS/ApplicationELB", "RequestCount", lb, at, 100)
		if i >= 2 {
			h.metrics.put("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, at, 3, 4) // 7%
		}
	}
	h.clock.Set(start.Add(20*time.Second + time.Second))
	h.ctrl.Step(ctx) // [10:00:00, 10:00:20): no errors: 0% twice
	if a := h.describe(t, "error-rate"); a.StateValue != types.StateValueOk {
		t.Fatalf("without errors: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	h.advance(t, 20*time.Second) // [10:00:20, 10:00:40): 7% twice
	a := h.describe(t, "error-rate")
	want := "Threshold Crossed: 2 datapoints were greater than the threshold (5.0). The most recent datapoints which crossed the threshold: [7.0 (22/11/26 10:00:30), 7.0 (22/11/26 10:00:20)]."
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != want {
		t.Fatalf("with errors: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if n := h.sns.take(); len(n) != 1 || !strings.Contains(n[0].Message, `"Metrics":[{"Id":"errors","MetricStat":{"Metric":{"Dimensions":[{"value":"app/web/1","name":"LoadBalancer"}],"MetricName":"HTTPCode_Target_5XX_Count","Namespace":"AWS/ApplicationELB"},"Period":10,"Stat":"Sum"},"ReturnData":false}`) {
		t.Errorf("notifications: %+v", n)
	}

	// A one-second p90 alarm that ignores low sample counts.
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("latency-p90"), MetricName: aws.String("TargetResponseTime"), Namespace: aws.String("AWS/ApplicationELB"),
		Dimensions: lbDims, ExtendedStatistic: aws.String("p90"), Period: aws.Int32(1), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(0.5), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		EvaluateLowSampleCountPercentile: aws.String("ignore"), TreatMissingData: aws.String("ignore"),
	}))
	now := h.clock.Now().Truncate(time.Second)
	slow := make([]float64, 100)
	for i := range slow {
		slow[i] = 0.9
	}
	h.metrics.put("AWS/ApplicationELB", "TargetResponseTime", lb, now.Add(-2*time.Second), 0.9, 0.9) // too few samples
	h.advance(t, 0)
	if a := h.describe(t, "latency-p90"); a.StateValue != types.StateValueInsufficientData {
		t.Fatalf("p90 over 2 samples: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	h.metrics.put("AWS/ApplicationELB", "TargetResponseTime", lb, now.Add(-time.Second), slow...)
	h.advance(t, time.Second)
	if a := h.describe(t, "latency-p90"); a.StateValue != types.StateValueAlarm {
		t.Fatalf("p90 over 100 samples: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
}

// TestRunStops: Run evaluates at once and returns when its context ends
// (here, when the first notification goes out).
func TestRunStops(t *testing.T) {
	h := newHarness(t)
	in := cpuAlarm("cpu-high")
	in.TreatMissingData = aws.String("breaching")
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(context.Background(), in))
	ctx, cancel := context.WithCancel(context.Background())
	h.sns.onCall = cancel
	h.ctrl.Run(ctx)
	if s := h.describe(t, "cpu-high").StateValue; s != types.StateValueAlarm {
		t.Errorf("after Run: %s", s)
	}
}
