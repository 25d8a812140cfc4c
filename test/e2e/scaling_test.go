package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// TestTargetTrackingScalesOnRealLoad is the product's story end to end on
// the process runtime: a service behind a load balancer with a target
// tracking policy at 40% CPU scales out when clients make its tasks busy,
// spreads the load over the new tasks, and scales back in when the load
// stops; the scaling activities, the policy's alarms and their history,
// the CPU metric and an SNS webhook show every step.
func TestTargetTrackingScalesOnRealLoad(t *testing.T) {
	bin := buildWebapp(t)
	s := startServerWithAgent(t, t.TempDir(), "process")
	scalingStory(t, s, webappDef(bin, "1"), "app")
}

// TestTargetTrackingScalesOnDocker is the same story with the tasks in
// Docker containers capped at their 256 CPU units.
func TestTargetTrackingScalesOnDocker(t *testing.T) {
	needDockerEngine(t)
	useWebImage(t)
	s, _ := startDockerServer(t)
	scalingStory(t, s, webDef("web", "1"), "web")
}

// scalingStory runs a service of def behind a load balancer with a target
// tracking policy at 40% CPU through a load step and back.
func scalingStory(t *testing.T, s *tideServer, def *ecs.RegisterTaskDefinitionInput, container string) {
	ctx := context.Background()
	tg, url := albSetup(t, s, 1)
	c := s.ecsClient()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	td := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, def)).TaskDefinition
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: td.TaskDefinitionArn, DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String(container), ContainerPort: aws.Int32(8080)}},
	}))
	poll(t, 60*time.Second, 250*time.Millisecond, "the first task healthy", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 1, st
	})

	// Notifications: an SNS topic with a confirmed webhook, and an alarm on
	// the service's CPU that notifies it.
	sn := s.snsClient()
	topic := must[*sns.CreateTopicOutput](t)(sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("scaling")})).TopicArn
	hook := newWebhook(t)
	must[*sns.SubscribeOutput](t)(sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("http"), Endpoint: aws.String(hook.srv.URL)}))
	cw := s.cloudwatchClient()
	dims := []cwtypes.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("default")}, {Name: aws.String("ServiceName"), Value: aws.String("web")}}
	must[*cloudwatch.PutMetricAlarmOutput](t)(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("web-cpu-high"), Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"), Dimensions: dims,
		Statistic: cwtypes.StatisticAverage, Period: aws.Int32(1), EvaluationPeriods: aws.Int32(2), Threshold: aws.Float64(70),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, AlarmActions: []string{aws.ToString(topic)}, OKActions: []string{aws.ToString(topic)},
	}))

	// Scaling: 1 to 3 tasks, target tracking at 40% CPU.
	sc := s.scalingClient()
	resource := "service/default/web"
	must[*aas.RegisterScalableTargetOutput](t)(sc.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3),
	}))
	policy := must[*aas.PutScalingPolicyOutput](t)(sc.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu40"), ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(40),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
			ScaleOutCooldown:              aws.Int32(5), ScaleInCooldown: aws.Int32(5),
		},
	}))
	if len(policy.Alarms) != 2 {
		t.Fatalf("target tracking policy alarms %+v, want AlarmHigh and AlarmLow", policy.Alarms)
	}

	// Load: clients keep the tasks' CPUs busy through the load balancer.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ports := map[string]int{}
	for range 4 {
		wg.Go(func() {
			hc := &http.Client{Timeout: 10 * time.Second}
			for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := hc.Get(url + "/burn/50ms")
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if r, err := hc.Get(url + "/id"); err == nil { // the answering task: host name and port
					b, _ := io.ReadAll(r.Body)
					r.Body.Close()
					mu.Lock()
					ports[strings.TrimSpace(string(b))]++
					mu.Unlock()
				}
			}
		})
	}
	loadStart := time.Now()
	poll(t, 90*time.Second, 500*time.Millisecond, "scale-out to 3 healthy tasks", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 3, st
	})
	t.Logf("3 healthy tasks %v after the load started", time.Since(loadStart).Round(100*time.Millisecond))
	mu.Lock()
	clear(ports)
	mu.Unlock()
	time.Sleep(3 * time.Second)
	mu.Lock()
	spread := len(ports)
	mu.Unlock()
	if spread < 3 {
		t.Errorf("requests reached %d tasks after the scale-out, want 3", spread)
	}
	close(stop)
	wg.Wait()

	poll(t, 120*time.Second, time.Second, "scale-in to 1 task after the load", func() (bool, string) {
		sv := describeService(t, c, "web")
		return sv.DesiredCount == 1 && sv.RunningCount == 1, serviceState(sv)
	})

	acts := must[*aas.DescribeScalingActivitiesOutput](t)(sc.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource),
	}))
	var out, in bool
	for _, a := range acts.ScalingActivities {
		t.Logf("activity: %s | %s | %s", aws.ToString(a.Description), aws.ToString(a.Cause), a.StatusCode)
		if a.StatusCode != aastypes.ScalingActivityStatusCodeSuccessful {
			continue
		}
		out = out || strings.Contains(aws.ToString(a.Description), "Setting desired count to 3") || strings.Contains(aws.ToString(a.Description), "Setting desired count to 2")
		in = in || strings.Contains(aws.ToString(a.Description), "Setting desired count to 1")
	}
	if !out || !in {
		t.Errorf("scaling activities show scale-out %v and scale-in %v, want both", out, in)
	}
	high := aws.ToString(policy.Alarms[0].AlarmName)
	hist := must[*cloudwatch.DescribeAlarmHistoryOutput](t)(cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{
		AlarmName: aws.String(high), HistoryItemType: cwtypes.HistoryItemTypeStateUpdate,
	}))
	sawAlarm := false
	for _, h := range hist.AlarmHistoryItems {
		sawAlarm = sawAlarm || strings.Contains(aws.ToString(h.HistorySummary), "to ALARM")
	}
	if !sawAlarm {
		t.Errorf("history of %s has no transition to ALARM: %d items", high, len(hist.AlarmHistoryItems))
	}
	stats := must[*cloudwatch.GetMetricStatisticsOutput](t)(cw.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"), Dimensions: dims,
		StartTime: aws.Time(loadStart.Add(-time.Minute)), EndTime: aws.Time(time.Now()), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum},
	}))
	peak := 0.0
	for _, d := range stats.Datapoints {
		peak = max(peak, aws.ToFloat64(d.Maximum))
	}
	if peak < 40 {
		t.Errorf("CPUUtilization peaked at %.1f%% under load, want above the 40%% target", peak)
	}
	poll(t, 30*time.Second, 500*time.Millisecond, "ALARM and OK notifications at the webhook", func() (bool, string) {
		subj := hook.subjects()
		var alarm, ok bool
		for _, s := range subj {
			alarm = alarm || strings.HasPrefix(s, `ALARM: "web-cpu-high"`)
			ok = ok || strings.HasPrefix(s, `OK: "web-cpu-high"`)
		}
		return alarm && ok, fmt.Sprint(subj)
	})
}
