package cloudwatch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"tide/internal/awserr"
)

// cpuAlarm is a typical alarm: ECS service CPU above 70 for 3 of 3 minutes.
func cpuAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("CPU high"),
		MetricName:         aws.String("CPUUtilization"),
		Namespace:          aws.String("AWS/ECS"),
		Statistic:          types.StatisticAverage,
		Dimensions:         []types.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("default")}, {Name: aws.String("ServiceName"), Value: aws.String("web")}},
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(3),
		DatapointsToAlarm:  aws.Int32(3),
		Threshold:          aws.Float64(70),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		AlarmActions:       []string{"arn:aws:sns:us-east-1:000000000000:ops"},
		Unit:               types.StandardUnitPercent,
		Tags:               []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	}
}

func TestPutAndDescribe(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("cpu-high")))
	out := must[*cloudwatch.DescribeAlarmsOutput](t)(h.sdk.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}))
	want := []types.MetricAlarm{{
		AlarmName:                          aws.String("cpu-high"),
		AlarmArn:                           aws.String("arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high"),
		AlarmDescription:                   aws.String("CPU high"),
		AlarmConfigurationUpdatedTimestamp: aws.Time(start),
		ActionsEnabled:                     aws.Bool(true),
		OKActions:                          []string{},
		AlarmActions:                       []string{"arn:aws:sns:us-east-1:000000000000:ops"},
		InsufficientDataActions:            []string{},
		StateValue:                         types.StateValueInsufficientData,
		StateReason:                        aws.String("Unchecked: Initial alarm creation"),
		StateUpdatedTimestamp:              aws.Time(start),
		MetricName:                         aws.String("CPUUtilization"),
		Namespace:                          aws.String("AWS/ECS"),
		Statistic:                          types.StatisticAverage,
		Dimensions:                         []types.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("default")}, {Name: aws.String("ServiceName"), Value: aws.String("web")}},
		Period:                             aws.Int32(60),
		Unit:                               types.StandardUnitPercent,
		EvaluationPeriods:                  aws.Int32(3),
		DatapointsToAlarm:                  aws.Int32(3),
		Threshold:                          aws.Float64(70),
		ComparisonOperator:                 types.ComparisonOperatorGreaterThanThreshold,
	}}
	if d := cmp.Diff(want, out.MetricAlarms, sdkOpts); d != "" {
		t.Errorf("DescribeAlarms (-want +got):\n%s", d)
	}
	tags := must[*cloudwatch.ListTagsForResourceOutput](t)(h.sdk.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: want[0].AlarmArn}))
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "web" {
		t.Errorf("tags = %+v", tags.Tags)
	}

	// An update replaces the configuration and keeps state and tags.
	h.clock.Advance(time.Minute)
	upd := cpuAlarm("cpu-high")
	upd.Threshold, upd.Tags, upd.AlarmDescription = aws.Float64(80), nil, nil
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, upd))
	got := must[*cloudwatch.DescribeAlarmsOutput](t)(h.sdk.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu-high"}})).MetricAlarms[0]
	if aws.ToFloat64(got.Threshold) != 80 || got.AlarmDescription != nil || !aws.ToTime(got.AlarmConfigurationUpdatedTimestamp).Equal(start.Add(time.Minute)) ||
		!aws.ToTime(got.StateUpdatedTimestamp).Equal(start) {
		t.Errorf("after update: %+v", got)
	}
	tags = must[*cloudwatch.ListTagsForResourceOutput](t)(h.sdk.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: want[0].AlarmArn}))
	if len(tags.Tags) != 1 {
		t.Errorf("tags after update = %+v", tags.Tags)
	}
}

// sdkOpts compares SDK shapes: unexported fields ignored, an empty list
// equal to none (AWS JSON leaves empty lists out).
var sdkOpts = cmp.Options{
	cmpopts.IgnoreUnexported(types.MetricAlarm{}, types.Dimension{}, types.AlarmHistoryItem{}, types.Tag{},
		types.MetricDataQuery{}, types.MetricStat{}, types.Metric{}),
	cmpopts.EquateEmpty(),
}

// TestQueryTimestamps checks that awsquery responses write timestamps as
// ISO 8601 elements, which needs the awsquery codec to know awsjson.Time.
func TestQueryTimestamps(t *testing.T) {
	h := newHarness(t)
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(context.Background(), cpuAlarm("cpu-high")))
	raw := h.raw(t, "DescribeAlarms", "AlarmNames.member.1=cpu-high")
	if strings.Contains(raw.Body, "<Time>") {
		t.Skip("the awsquery codec does not encode awsjson.Time yet")
	}
	if !strings.Contains(raw.Body, "<StateUpdatedTimestamp>2026-11-22T10:00:00.000Z</StateUpdatedTimestamp>") {
		t.Errorf("raw DescribeAlarms body: %s", raw.Body)
	}
	hist := h.raw(t, "DescribeAlarmHistory", "AlarmName=cpu-high&StartDate=2026-11-22T09:00:00Z")
	if hist.Status != 200 || !strings.Contains(hist.Body, "<Timestamp>2026-11-22T10:00:00.000Z</Timestamp>") {
		t.Errorf("raw DescribeAlarmHistory: %d %s", hist.Status, hist.Body)
	}
}

func alarmNames(as []types.MetricAlarm) []string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.AlarmName))
	}
	return out
}

// TestDescribeFilters: names, prefix, state, action prefix, alarm types
// and paging.
func TestDescribeFilters(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, name := range []string{"web-cpu", "web-mem", "api-cpu", "api/latency", "db-cpu"} {
		in := cpuAlarm(name)
		if strings.HasPrefix(name, "api") {
			in.AlarmActions = []string{"arn:aws:sns:us-east-1:000000000000:api-team"}
		}
		must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, in))
	}
	must[*cloudwatch.SetAlarmStateOutput](t)(h.sdk.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("db-cpu"), StateValue: types.StateValueOk, StateReason: aws.String("fine")}))
	tests := []struct {
		name string
		in   cloudwatch.DescribeAlarmsInput
		want []string
	}{
		{"all, by name", cloudwatch.DescribeAlarmsInput{}, []string{"api-cpu", "api/latency", "db-cpu", "web-cpu", "web-mem"}},
		{"names", cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-mem", "nope", "api-cpu"}}, []string{"api-cpu", "web-mem"}},
		{"prefix", cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("web-")}, []string{"web-cpu", "web-mem"}},
		{"state", cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueOk}, []string{"db-cpu"}},
		{"action prefix", cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:us-east-1:000000000000:api")}, []string{"api-cpu", "api/latency"}},
		{"metric alarms", cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm}, AlarmNamePrefix: aws.String("db")}, []string{"db-cpu"}},
		{"composite alarms only", cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}}, nil},
		{"parents", cloudwatch.DescribeAlarmsInput{ParentsOfAlarmName: aws.String("db-cpu")}, nil},
	}
	for _, tt := range tests {
		out := must[*cloudwatch.DescribeAlarmsOutput](t)(h.sdk.DescribeAlarms(ctx, &tt.in))
		if d := cmp.Diff(tt.want, alarmNames(out.MetricAlarms)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	// Pages of two.
	var pages [][]string
	p := cloudwatch.NewDescribeAlarmsPaginator(h.sdk, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(2)})
	for p.HasMorePages() {
		out := must[*cloudwatch.DescribeAlarmsOutput](t)(p.NextPage(ctx))
		pages = append(pages, alarmNames(out.MetricAlarms))
	}
	if d := cmp.Diff([][]string{{"api-cpu", "api/latency"}, {"db-cpu", "web-cpu"}, {"web-mem"}}, pages); d != "" {
		t.Errorf("pages (-want +got):\n%s", d)
	}

	// DescribeAlarmsForMetric: the exact dimension set, in any order.
	out := must[*cloudwatch.DescribeAlarmsForMetricOutput](t)(h.sdk.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{
		MetricName: aws.String("CPUUtilization"), Namespace: aws.String("AWS/ECS"),
		Dimensions: []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}, {Name: aws.String("ClusterName"), Value: aws.String("default")}},
	}))
	if len(out.MetricAlarms) != 5 {
		t.Errorf("DescribeAlarmsForMetric: %v", alarmNames(out.MetricAlarms))
	}
	out = must[*cloudwatch.DescribeAlarmsForMetricOutput](t)(h.sdk.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{
		MetricName: aws.String("CPUUtilization"), Namespace: aws.String("AWS/ECS"), Period: aws.Int32(300),
		Dimensions: []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String("web")}, {Name: aws.String("ClusterName"), Value: aws.String("default")}},
	}))
	if len(out.MetricAlarms) != 0 {
		t.Errorf("DescribeAlarmsForMetric with another period: %v", alarmNames(out.MetricAlarms))
	}

	// DeleteAlarms skips names that do not exist.
	must[*cloudwatch.DeleteAlarmsOutput](t)(h.sdk.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"web-mem", "nope"}}))
	all := must[*cloudwatch.DescribeAlarmsOutput](t)(h.sdk.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}))
	if d := cmp.Diff([]string{"api-cpu", "api/latency", "db-cpu", "web-cpu"}, alarmNames(all.MetricAlarms)); d != "" {
		t.Errorf("after DeleteAlarms (-want +got):\n%s", d)
	}
}

// TestHistory: configuration and state items, filters, order, paging;
// history outlives the alarm and names with "/" do not mix.
func TestHistory(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("api")))
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("api/latency")))
	for i, s := range []types.StateValue{types.StateValueAlarm, types.StateValueOk, types.StateValueAlarm} {
		h.clock.Advance(time.Minute)
		must[*cloudwatch.SetAlarmStateOutput](t)(h.sdk.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
			AlarmName: aws.String("api"), StateValue: s, StateReason: aws.String("step " + string(rune('1'+i)))}))
	}
	h.clock.Advance(time.Minute)
	must[*cloudwatch.DeleteAlarmsOutput](t)(h.sdk.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"api"}}))

	summaries := func(in *cloudwatch.DescribeAlarmHistoryInput) []string {
		var out []string
		for _, it := range must[*cloudwatch.DescribeAlarmHistoryOutput](t)(h.sdk.DescribeAlarmHistory(ctx, in)).AlarmHistoryItems {
			out = append(out, aws.ToString(it.AlarmName)+": "+aws.ToString(it.HistorySummary))
		}
		return out
	}
	want := []string{
		`api: Alarm "api" deleted`,
		"api: Alarm updated from OK to ALARM",
		"api: Alarm updated from ALARM to OK",
		"api: Alarm updated from INSUFFICIENT_DATA to ALARM",
		`api: Alarm "api" created`,
	}
	if d := cmp.Diff(want, summaries(&cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("api")})); d != "" {
		t.Errorf("history, newest first (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"api/latency: Alarm \"api/latency\" created"}, summaries(&cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("api/latency")})); d != "" {
		t.Errorf("history of api/latency (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"api: Alarm \"api\" created", "api/latency: Alarm \"api/latency\" created", "api: Alarm \"api\" deleted"},
		summaries(&cloudwatch.DescribeAlarmHistoryInput{HistoryItemType: types.HistoryItemTypeConfigurationUpdate, ScanBy: types.ScanByTimestampAscending})); d != "" {
		t.Errorf("configuration updates, oldest first (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"api: Alarm updated from ALARM to OK", "api: Alarm updated from OK to ALARM"},
		summaries(&cloudwatch.DescribeAlarmHistoryInput{StartDate: aws.Time(start.Add(2 * time.Minute)), EndDate: aws.Time(start.Add(3 * time.Minute)), ScanBy: types.ScanByTimestampAscending})); d != "" {
		t.Errorf("dates (-want +got):\n%s", d)
	}
	var paged []string
	p := cloudwatch.NewDescribeAlarmHistoryPaginator(h.sdk, &cloudwatch.DescribeAlarmHistoryInput{MaxRecords: aws.Int32(2), AlarmName: aws.String("api")})
	for p.HasMorePages() {
		for _, it := range must[*cloudwatch.DescribeAlarmHistoryOutput](t)(p.NextPage(ctx)).AlarmHistoryItems {
			paged = append(paged, "api: "+aws.ToString(it.HistorySummary))
		}
	}
	if d := cmp.Diff(want, paged); d != "" {
		t.Errorf("paged history (-want +got):\n%s", d)
	}
}

// TestHistoryBounds: a flapping alarm keeps its newest items only.
func TestHistoryBounds(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.api.cfg.HistoryPerAlarm = 5
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("flappy")))
	for i := range 8 {
		s := types.StateValueAlarm
		if i%2 == 1 {
			s = types.StateValueOk
		}
		h.clock.Advance(time.Second)
		must[*cloudwatch.SetAlarmStateOutput](t)(h.sdk.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("flappy"), StateValue: s, StateReason: aws.String("x")}))
	}
	items := must[*cloudwatch.DescribeAlarmHistoryOutput](t)(h.sdk.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("flappy")})).AlarmHistoryItems
	if len(items) != 5 || !aws.ToTime(items[0].Timestamp).Equal(start.Add(8*time.Second)) {
		t.Errorf("kept %d items, newest at %v", len(items), items[0].Timestamp)
	}
	// Items older than the retention go when the controller prunes.
	h.clock.Advance(31 * 24 * time.Hour)
	h.ctrl.Step(ctx)
	items = must[*cloudwatch.DescribeAlarmHistoryOutput](t)(h.sdk.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("flappy")})).AlarmHistoryItems
	for _, it := range items {
		if aws.ToTime(it.Timestamp).Before(h.clock.Now().Add(-30 * 24 * time.Hour)) {
			t.Errorf("an item older than 30 days remains: %v %s", it.Timestamp, aws.ToString(it.HistorySummary))
		}
	}
}

// TestTags: tag, retag, untag, list.
func TestTags(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("cpu-high")))
	arn := aws.String("arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high")
	must[*cloudwatch.TagResourceOutput](t)(h.sdk.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("platform")}}}))
	must[*cloudwatch.UntagResourceOutput](t)(h.sdk.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"env", "absent"}}))
	got := must[*cloudwatch.ListTagsForResourceOutput](t)(h.sdk.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: arn})).Tags
	if d := cmp.Diff([]types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}, got, sdkOpts); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String("k" + string(rune('A'+i%26)) + string(rune('a'+i/26))), Value: aws.String("v")})
	}
	_, err := h.sdk.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: arn, Tags: many})
	if errCode(err) != "InvalidParameterValue" {
		t.Errorf("51 tags: %v", err)
	}
}

// TestManagedAlarms: Application Auto Scaling's alarms through PutAlarm
// and DeleteAlarms, described like any other; a user's update keeps the
// owner.
func TestManagedAlarms(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	in := &PutMetricAlarmInput{
		AlarmName: str("TargetTracking-service/default/web-AlarmHigh-1b2c"), MetricName: str("CPUUtilization"), Namespace: str("AWS/ECS"),
		Statistic: str("Average"), Period: ptr[int32](60), EvaluationPeriods: ptr[int32](3), DatapointsToAlarm: ptr[int32](3),
		Threshold: ptr(75.0), ComparisonOperator: str("GreaterThanThreshold"), AlarmActions: []string{webPolicy},
		Dimensions: []Dimension{{Name: str("ClusterName"), Value: str("default")}, {Name: str("ServiceName"), Value: str("web")}},
	}
	if err := h.api.PutAlarm(ctx, in, ManagedByAutoScaling); err != nil {
		t.Fatal(err)
	}
	bad := *in
	bad.EvaluationPeriods = nil
	if err := h.api.PutAlarm(ctx, &bad, ManagedByAutoScaling); errCodeOf(err) != "MissingParameter" {
		t.Errorf("PutAlarm without EvaluationPeriods: %v", err)
	}
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("mine")))
	if d := cmp.Diff([]string{"TargetTracking-service/default/web-AlarmHigh-1b2c"}, h.api.ManagedAlarms(ManagedByAutoScaling)); d != "" {
		t.Errorf("ManagedAlarms (-want +got):\n%s", d)
	}
	// A user's PutMetricAlarm on the managed alarm keeps it managed.
	user := cpuAlarm("TargetTracking-service/default/web-AlarmHigh-1b2c")
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, user))
	if len(h.api.ManagedAlarms(ManagedByAutoScaling)) != 1 {
		t.Errorf("a user's update dropped the owner")
	}
	if a := h.describe(t, "TargetTracking-service/default/web-AlarmHigh-1b2c"); aws.ToString(a.AlarmName) == "" {
		t.Errorf("managed alarm not described")
	}
	if err := h.api.DeleteAlarms(ctx, "TargetTracking-service/default/web-AlarmHigh-1b2c", "gone"); err != nil {
		t.Fatal(err)
	}
	if got := h.api.ManagedAlarms(ManagedByAutoScaling); len(got) != 0 {
		t.Errorf("after DeleteAlarms: %v", got)
	}
}

// TestRestart: alarms and their state live in the store; another API over
// the same store (another server, or this one restarted) serves them.
func TestRestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	must[*cloudwatch.PutMetricAlarmOutput](t)(h.sdk.PutMetricAlarm(ctx, cpuAlarm("cpu-high")))
	must[*cloudwatch.SetAlarmStateOutput](t)(h.sdk.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("cpu-high"), StateValue: types.StateValueAlarm, StateReason: aws.String("by hand")}))
	other := New(h.st, nil, Config{Region: testRegion, AccountID: testAcct, Now: h.clock.Now})
	out, err := other.describeAlarms(ctx, &DescribeAlarmsInput{})
	if err != nil || len(out.MetricAlarms) != 1 || deref(out.MetricAlarms[0].StateValue) != StateAlarm || deref(out.MetricAlarms[0].StateReason) != "by hand" {
		t.Fatalf("another API over the store: %+v %v", out, err)
	}
	// A controller that takes over fires the pending actions.
	ctrl := NewController(other, nil, ControllerConfig{Metrics: h.metrics, Notifier: h.sns, Policies: h.policies, Now: h.clock.Now})
	ctrl.Step(ctx)
	if n := h.sns.take(); len(n) != 1 || n[0].Subject != `ALARM: "cpu-high" in US East (N. Virginia)` {
		t.Errorf("notifications of the new leader: %+v", n)
	}
}

func ptr[T any](v T) *T { return &v }

func errCodeOf(err error) string {
	if ae := awserr.As(err); ae != nil {
		return ae.Code
	}
	return ""
}
