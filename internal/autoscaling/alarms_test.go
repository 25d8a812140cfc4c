package autoscaling

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testPolicyARN = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:1b2c:resource/ecs/service/c/web:policyName/cpu40"
	testAction    = testPolicyARN + ":createdBy/5d6e"
)

func trackingPolicy(c *TargetTrackingScalingPolicyConfiguration) *policyRecord {
	return &policyRecord{ScalingPolicy: ScalingPolicy{PolicyARN: testPolicyARN, PolicyName: "cpu40", ResourceId: "service/c/web",
		PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: c},
		HighAlarm: "TargetTracking-service/c/web-AlarmHigh-h", LowAlarm: "TargetTracking-service/c/web-AlarmLow-l", AlarmAction: testAction}
}

// TestTrackingAlarms: the alarms of target tracking policies, as AWS
// creates them for ECS, in both timing profiles.
func TestTrackingAlarms(t *testing.T) {
	svc := []Dimension{{"ClusterName", "c"}, {"ServiceName", "web"}}
	desc := "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + testAction + "."
	cpu := func(period time.Duration, high, low int) []AlarmSpec {
		base := AlarmSpec{Description: desc, Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: svc, Statistic: "Average",
			Unit: "Percent", Period: period, TreatMissingData: "missing", AlarmActions: []string{testAction}}
		h, l := base, base
		h.Name, h.ComparisonOperator, h.Threshold, h.EvaluationPeriods, h.DatapointsToAlarm = "TargetTracking-service/c/web-AlarmHigh-h", "GreaterThanThreshold", 40, high, high
		l.Name, l.ComparisonOperator, l.Threshold, l.EvaluationPeriods, l.DatapointsToAlarm = "TargetTracking-service/c/web-AlarmLow-l", "LessThanThreshold", 36, low, low
		return []AlarmSpec{h, l}
	}
	cpu40 := &TargetTrackingScalingPolicyConfiguration{TargetValue: f(40),
		PredefinedMetricSpecification: &PredefinedMetricSpecification{PredefinedMetricType: "ECSServiceAverageCPUUtilization"}}
	for _, tc := range []struct {
		name   string
		c      *TargetTrackingScalingPolicyConfiguration
		timing Timing
		want   []AlarmSpec
	}{
		{"CPU, fast timing: one-second periods, 3 and 15 datapoints", cpu40, Fast(), cpu(time.Second, 3, 15)},
		{"CPU, AWS timing: one-minute periods, 3 and 15 datapoints", cpu40, AWS(), cpu(time.Minute, 3, 15)},
		{"DisableScaleIn: no AlarmLow", &TargetTrackingScalingPolicyConfiguration{TargetValue: f(40), DisableScaleIn: new(true),
			PredefinedMetricSpecification: &PredefinedMetricSpecification{PredefinedMetricType: "ECSServiceAverageCPUUtilization"}}, Fast(), cpu(time.Second, 3, 15)[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, trackingAlarms(trackingPolicy(tc.c), tc.timing)); d != "" {
				t.Errorf("trackingAlarms (-want +got):\n%s", d)
			}
		})
	}
}

// TestAlarmMetrics: which metric each kind of target tracking policy
// watches.
func TestAlarmMetrics(t *testing.T) {
	type metric struct {
		Namespace, Name, Stat, Unit string
		Dims                        []Dimension
		Metrics                     []AlarmQuery
	}
	for _, tc := range []struct {
		name string
		c    *TargetTrackingScalingPolicyConfiguration
		want metric
	}{
		{"memory", &TargetTrackingScalingPolicyConfiguration{PredefinedMetricSpecification: &PredefinedMetricSpecification{PredefinedMetricType: "ECSServiceAverageMemoryUtilization"}},
			metric{"AWS/ECS", "MemoryUtilization", "Average", "Percent", []Dimension{{"ClusterName", "c"}, {"ServiceName", "web"}}, nil}},
		{"requests per target", &TargetTrackingScalingPolicyConfiguration{PredefinedMetricSpecification: &PredefinedMetricSpecification{
			PredefinedMetricType: "ALBRequestCountPerTarget", ResourceLabel: str("app/web/50dc6c495c0c9188/targetgroup/web-tg/943f017f100becff")}},
			metric{"AWS/ApplicationELB", "RequestCountPerTarget", "Sum", "", []Dimension{{"TargetGroup", "targetgroup/web-tg/943f017f100becff"}}, nil}},
		{"customized", &TargetTrackingScalingPolicyConfiguration{CustomizedMetricSpecification: &CustomizedMetricSpecification{
			Namespace: str("App"), MetricName: str("QueueDepthPerTask"), Statistic: str("Average"), Unit: str("Count"),
			Dimensions: []MetricDimension{{Name: "Queue", Value: "jobs"}}}},
			metric{"App", "QueueDepthPerTask", "Average", "Count", []Dimension{{"Queue", "jobs"}}, nil}},
		{"metric math", &TargetTrackingScalingPolicyConfiguration{CustomizedMetricSpecification: &CustomizedMetricSpecification{Metrics: []TargetTrackingMetricDataQuery{
			{Id: str("m1"), ReturnData: new(false), MetricStat: &TargetTrackingMetricStat{Stat: str("Sum"),
				Metric: &TargetTrackingMetric{Namespace: str("App"), MetricName: str("Backlog")}}},
			{Id: str("m2"), ReturnData: new(false), MetricStat: &TargetTrackingMetricStat{Stat: str("Average"),
				Metric: &TargetTrackingMetric{Namespace: str("ECS/ContainerInsights"), MetricName: str("RunningTaskCount"),
					Dimensions: []MetricDimension{{Name: "ServiceName", Value: "web"}}}}},
			{Id: str("e1"), Expression: str("m1 / m2"), Label: str("backlog per task"), ReturnData: new(true)}}}},
			metric{Metrics: []AlarmQuery{
				{ID: "m1", Namespace: "App", MetricName: "Backlog", Stat: "Sum"},
				{ID: "m2", Namespace: "ECS/ContainerInsights", MetricName: "RunningTaskCount", Dimensions: []Dimension{{"ServiceName", "web"}}, Stat: "Average"},
				{ID: "e1", Expression: "m1 / m2", Label: "backlog per task", ReturnData: true}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s AlarmSpec
			setMetric(&s, "service/c/web", tc.c)
			got := metric{s.Namespace, s.MetricName, s.Statistic, s.Unit, s.Dimensions, s.Metrics}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("setMetric (-want +got):\n%s", d)
			}
		})
	}
}

func TestTimingProfiles(t *testing.T) {
	want := map[string]Timing{
		"fast": {AlarmPeriod: time.Second, HighDatapoints: 3, LowDatapoints: 15, DefaultCooldown: 30 * time.Second},
		"aws":  {AlarmPeriod: time.Minute, HighDatapoints: 3, LowDatapoints: 15, DefaultCooldown: 300 * time.Second},
	}
	if d := cmp.Diff(want, map[string]Timing{"fast": Fast(), "aws": AWS()}); d != "" {
		t.Errorf("timing profiles (-want +got):\n%s", d)
	}
	if got := New(nil, nil, Config{}).cfg.Timing; got != Fast() {
		t.Errorf("the default timing is %+v, want Fast()", got)
	}
}

func TestParsePolicyARN(t *testing.T) {
	type parsed struct {
		Resource, Name string
		OK             bool
	}
	for arn, want := range map[string]parsed{
		testPolicyARN: {"service/c/web", "cpu40", true},
		testAction:    {"service/c/web", "cpu40", true},
		"arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:1b2c:resource/dynamodb/table/t:policyName/p": {},
		"nonsense": {},
	} {
		r, n, ok := parsePolicyARN(arn)
		if d := cmp.Diff(want, parsed{r, n, ok}); d != "" {
			t.Errorf("parsePolicyARN(%s) (-want +got):\n%s", arn, d)
		}
	}
}
