package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestTimingProfiles: the fast profile (default) gives target tracking
// alarms one-second periods and takes any alarm period; --timing aws gives
// them AWS's 60 seconds and refuses periods AWS refuses. Both keep AWS's 3
// and 15 datapoints. Tags on scalable targets work in both.
func TestTimingProfiles(t *testing.T) {
	for _, tc := range []struct {
		timing      string
		period      int32
		oneSecondOK bool
	}{{"fast", 1, true}, {"aws", 60, false}} {
		t.Run(tc.timing, func(t *testing.T) {
			s := startServer(t, t.TempDir(), "--local-agent=false", "--timing="+tc.timing)
			ctx := context.Background()
			c := s.ecsClient()
			must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
			def := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, fargateDef("web", "/bin/true"))).TaskDefinition
			must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinitionArn,
				DesiredCount: aws.Int32(1), LaunchType: "FARGATE", NetworkConfiguration: awsvpc}))
			sc := s.scalingClient()
			resource := aws.String("service/default/web")
			target := must[*aas.RegisterScalableTargetOutput](t)(sc.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
				ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: resource, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
				MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(4)}))
			pol := must[*aas.PutScalingPolicyOutput](t)(sc.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
				PolicyName: aws.String("cpu"), ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: resource,
				ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
				TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(50),
					PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization}},
			}))
			cw := s.cloudwatchClient()
			alarms := must[*cloudwatch.DescribeAlarmsOutput](t)(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-service/default/web-")}))
			if len(alarms.MetricAlarms) != 2 || len(pol.Alarms) != 2 {
				t.Fatalf("alarms %d, policy alarms %d; want AlarmHigh and AlarmLow", len(alarms.MetricAlarms), len(pol.Alarms))
			}
			for _, al := range alarms.MetricAlarms {
				name := aws.ToString(al.AlarmName)
				want := int32(3)
				if strings.Contains(name, "-AlarmLow-") {
					want = 15
				}
				if aws.ToInt32(al.Period) != tc.period || aws.ToInt32(al.EvaluationPeriods) != want || aws.ToInt32(al.DatapointsToAlarm) != want {
					t.Errorf("%s: period %d, %d of %d datapoints; want period %d, %d of %d", name, aws.ToInt32(al.Period),
						aws.ToInt32(al.DatapointsToAlarm), aws.ToInt32(al.EvaluationPeriods), tc.period, want, want)
				}
			}
			_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("fast"), Namespace: aws.String("App"), MetricName: aws.String("M"),
				Statistic: cwtypes.StatisticAverage, Period: aws.Int32(1), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold})
			if (err == nil) != tc.oneSecondOK {
				t.Errorf("a one-second alarm period: err %v, want accepted %v", err, tc.oneSecondOK)
			}
			must[*aas.TagResourceOutput](t)(sc.TagResource(ctx, &aas.TagResourceInput{ResourceARN: target.ScalableTargetARN, Tags: map[string]string{"team": "web"}}))
			tags := must[*aas.ListTagsForResourceOutput](t)(sc.ListTagsForResource(ctx, &aas.ListTagsForResourceInput{ResourceARN: target.ScalableTargetARN}))
			if tags.Tags["team"] != "web" {
				t.Errorf("tags %v", tags.Tags)
			}
		})
	}
}
