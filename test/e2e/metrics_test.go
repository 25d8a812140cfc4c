package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestServiceMetricsAndAlarm: a busy service's CPU shows in AWS/ECS
// CPUUtilization (used ÷ reserved, above 100% for a process that uses more
// than its 256 units), per task in ECS/ContainerInsights, its requests in
// AWS/ApplicationELB, and an alarm on its CPU goes to ALARM within seconds
// and back to OK when the load stops.
func TestServiceMetricsAndAlarm(t *testing.T) {
	bin := buildWebapp(t)
	s := startServerWithAgent(t, t.TempDir(), "process")
	ctx := context.Background()
	tg, url := albSetup(t, s, 1)
	c := s.ecsClient()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	def := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webappDef(bin, "1"))).TaskDefinition
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinitionArn, DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
	}))
	poll(t, 60*time.Second, 250*time.Millisecond, "a healthy target", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 1, st
	})
	cw := s.cloudwatchClient()
	dims := []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("default")}, {Name: aws.String("ServiceName"), Value: aws.String("web")}}
	must[*cloudwatch.PutMetricAlarmOutput](t)(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("web-cpu"), Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"), Dimensions: dims,
		Statistic: cwtypes.StatisticAverage, Period: aws.Int32(1), EvaluationPeriods: aws.Int32(3), Threshold: aws.Float64(50),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
	}))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			hc := &http.Client{Timeout: 10 * time.Second}
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
				select {
				case <-stop:
					return
				default:
				}
				if resp, err := hc.Get(url + "/burn/100ms"); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	loadStart := time.Now()
	state := func() string {
		out := must[*cloudwatch.DescribeAlarmsOutput](t)(cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-cpu"}}))
		return string(out.MetricAlarms[0].StateValue)
	}
	poll(t, 30*time.Second, 250*time.Millisecond, "the CPU alarm in ALARM", func() (bool, string) {
		st := state()
		return st == "ALARM", st
	})
	t.Logf("alarm in ALARM %v after the load started", time.Since(loadStart).Round(100*time.Millisecond))

	stat := func(ns, name string, d []cwtypes.Dimension, s cwtypes.Statistic) float64 {
		out := must[*cloudwatch.GetMetricStatisticsOutput](t)(cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: d, Period: aws.Int32(60),
			StartTime: aws.Time(loadStart.Add(-2 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)), Statistics: []cwtypes.Statistic{s},
		}))
		v := 0.0
		for _, p := range out.Datapoints {
			switch s {
			case cwtypes.StatisticMaximum:
				v = max(v, aws.ToFloat64(p.Maximum))
			case cwtypes.StatisticSum:
				v += aws.ToFloat64(p.Sum)
			}
		}
		return v
	}
	if v := stat("AWS/ECS", "CPUUtilization", dims, cwtypes.StatisticMaximum); v < 100 {
		t.Errorf("CPUUtilization peaked at %.0f%%, want above 100%% (a busy core is 4x the 256 units reserved)", v)
	}
	if v := stat("AWS/ApplicationELB", "RequestCount", nil, cwtypes.StatisticSum); v != 0 {
		t.Errorf("RequestCount without dimensions: %v, want no data (ELB publishes per load balancer)", v)
	}
	lbDims := must[*cloudwatch.ListMetricsOutput](t)(cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount")}))
	if len(lbDims.Metrics) == 0 {
		t.Fatal("no AWS/ApplicationELB RequestCount metric listed")
	}
	if v := stat("AWS/ApplicationELB", "RequestCount", lbDims.Metrics[0].Dimensions, cwtypes.StatisticSum); v < 10 {
		t.Errorf("RequestCount %v, want the requests of the load", v)
	}
	tasks := must[*cloudwatch.ListMetricsOutput](t)(cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("CpuUtilized"),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("TaskId")}}}))
	if len(tasks.Metrics) != 1 {
		t.Errorf("per-task CpuUtilized metrics: %d, want the one task's", len(tasks.Metrics))
	}
	close(stop)
	wg.Wait()
	poll(t, 30*time.Second, 250*time.Millisecond, "the CPU alarm back to OK", func() (bool, string) {
		st := state()
		return st == "OK", st
	})
	hist := must[*cloudwatch.DescribeAlarmHistoryOutput](t)(cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("web-cpu"), HistoryItemType: cwtypes.HistoryItemTypeStateUpdate}))
	var summaries []string
	for _, h := range hist.AlarmHistoryItems {
		summaries = append(summaries, aws.ToString(h.HistorySummary))
	}
	if all := strings.Join(summaries, "; "); !strings.Contains(all, "to ALARM") || !strings.Contains(all, "ALARM to OK") {
		t.Errorf("alarm history: %s", all)
	}
}
