// Command reaction measures Tide's scaling reaction time: from a step of
// load on a service behind a load balancer to the first request served by
// a task that the scaling policy added. It starts `tide server` (process
// runtime, on loopback ports) over a fresh data directory, creates the
// whole scenario through the AWS APIs with the AWS SDK for Go v2 (cluster,
// task definition of the webapp test workload with cpu 256, load balancer,
// target group, listener, service, scalable target 1-3, target tracking at
// 40% CPU), then runs trials: start clients that keep the task's CPU busy
// (GET /burn/100ms), probe GET /env/PORT every 50 ms, and record when the
// first answer comes from a task other than the ones serving before the
// step; stop the load and wait until the service is back at one task.
//
//	reaction -tide BIN -webapp BIN [-trials 5] [-timing fast|aws] [-clients 4]
//
// It prints one line per trial and a summary with the median, and stops the
// server (and so every task) when it ends, also on failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

const (
	region = "us-east-1"
	akid   = "AKIDTIDEBENCH0000001"
	secret = "tide-bench-secret-0000000000000000000001"
)

func main() {
	tide := flag.String("tide", "", "the tide binary")
	webapp := flag.String("webapp", "", "the webapp binary (test/e2e/testdata/webapp)")
	trials := flag.Int("trials", 5, "load steps to time")
	timing := flag.String("timing", "fast", "the server's timing profile")
	clients := flag.Int("clients", 4, "clients of the load step")
	flag.Parse()
	if *tide == "" || *webapp == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*tide, *webapp, *trials, *timing, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "reaction:", err)
		os.Exit(1)
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func run(tideBin, webapp string, trials int, timing string, clients int) error {
	dir, err := os.MkdirTemp("", "tide-reaction-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr := "127.0.0.1:" + strconv.Itoa(freePort())
	srv := exec.Command(tideBin, "server", "--data-dir", dir, "--listen", addr, "--runtime", "process", "--timing", timing, "--log-level", "warn")
	srv.Env = append(os.Environ(), "TIDE_ACCESS_KEY_ID="+akid, "TIDE_SECRET_ACCESS_KEY="+secret)
	srv.Stdout, srv.Stderr = io.Discard, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			srv.Process.Kill()
		}
	}()
	endpoint := "http://" + addr
	if err := waitFor(60*time.Second, func() bool {
		resp, err := http.Get(endpoint + "/_tide/health")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}); err != nil {
		return fmt.Errorf("server did not start: %w", err)
	}
	s, err := setUp(context.Background(), endpoint, webapp)
	if err != nil {
		return err
	}
	var times []time.Duration
	for i := range trials {
		d, err := s.trial(clients)
		if err != nil {
			return fmt.Errorf("trial %d: %w", i+1, err)
		}
		times = append(times, d)
		fmt.Printf("trial %d: first request served by a new task %.1f s after the load step\n", i+1, d.Seconds())
		if err := s.settle(); err != nil {
			return fmt.Errorf("trial %d: back to one task: %w", i+1, err)
		}
	}
	slices.Sort(times)
	fmt.Printf("reaction (timing %s, %d trials): median %.1f s, min %.1f s, max %.1f s\n", timing, len(times),
		times[len(times)/2].Seconds(), times[0].Seconds(), times[len(times)-1].Seconds())
	return nil
}

type scenario struct {
	ecs *ecs.Client
	elb *elb.Client
	tg  string
	url string
}

func setUp(ctx context.Context, endpoint, webapp string) (*scenario, error) {
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")}
	ec := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	lc := elb.NewFromConfig(cfg, func(o *elb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	sc := aas.NewFromConfig(cfg, func(o *aas.Options) { o.BaseEndpoint = aws.String(endpoint) })
	lbOut, err := lc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-a"}})
	if err != nil {
		return nil, err
	}
	tgOut, err := lc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("web"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String("vpc-local"),
		TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		return nil, err
	}
	tg := tgOut.TargetGroups[0].TargetGroupArn
	if _, err := lc.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("1")}}}); err != nil {
		return nil, err
	}
	port := freePort()
	if _, err := lc.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lbOut.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(port)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg}},
	}); err != nil {
		return nil, err
	}
	if _, err := ec.CreateCluster(ctx, &ecs.CreateClusterInput{}); err != nil {
		return nil, err
	}
	def, err := ec.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("web"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("webapp"), EntryPoint: []string{webapp},
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}, StopTimeout: aws.Int32(2)}},
	})
	if err != nil {
		return nil, err
	}
	if _, err := ec.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-local"}}},
		LoadBalancers:        []types.LoadBalancer{{TargetGroupArn: tg, ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
	}); err != nil {
		return nil, err
	}
	resource := "service/default/web"
	if _, err := sc.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3),
	}); err != nil {
		return nil, err
	}
	if _, err := sc.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu40"), ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(40),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
		},
	}); err != nil {
		return nil, err
	}
	s := &scenario{ecs: ec, elb: lc, tg: aws.ToString(tg), url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	return s, s.settle()
}

// ports asks the load balancer which tasks answer, n times.
func (s *scenario) port(hc *http.Client) string {
	resp, err := hc.Get(s.url + "/env/PORT")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// settle waits until the service runs one task and the load balancer has
// one healthy target and no other.
func (s *scenario) settle() error {
	return waitFor(5*time.Minute, func() bool {
		out, err := s.elb.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.tg)})
		if err != nil || len(out.TargetHealthDescriptions) != 1 {
			return false
		}
		d, err := s.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: []string{"web"}})
		return err == nil && len(d.Services) == 1 && d.Services[0].DesiredCount == 1 && d.Services[0].RunningCount == 1 &&
			out.TargetHealthDescriptions[0].TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy
	})
}

// trial steps the load up and returns when a new task first answers.
func (s *scenario) trial(clients int) (time.Duration, error) {
	hc := &http.Client{Timeout: 10 * time.Second}
	before := s.port(hc)
	if before == "" {
		return 0, fmt.Errorf("the service does not answer")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			c := &http.Client{Timeout: 10 * time.Second}
			for time.Since(start) < 3*time.Minute {
				select {
				case <-stop:
					return
				default:
				}
				if resp, err := c.Get(s.url + "/burn/100ms"); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	var desired, running, healthy time.Duration
	watchDone := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() { // where the time goes: the desired count, a running task, a healthy target
		for desired == 0 || running == 0 || healthy == 0 {
			select {
			case <-watchDone:
				return
			case <-time.After(100 * time.Millisecond):
			}
			ctx := context.Background()
			if d, err := s.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Services: []string{"web"}}); err == nil && len(d.Services) == 1 {
				if desired == 0 && d.Services[0].DesiredCount > 1 {
					desired = time.Since(start)
				}
				if running == 0 && d.Services[0].RunningCount > 1 {
					running = time.Since(start)
				}
			}
			if h, err := s.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.tg)}); err == nil && healthy == 0 {
				n := 0
				for _, d := range h.TargetHealthDescriptions {
					if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
						n++
					}
				}
				if n > 1 {
					healthy = time.Since(start)
				}
			}
		}
	})
	var served time.Duration
	err := waitFor(3*time.Minute, func() bool {
		if p := s.port(hc); p != "" && p != before {
			served = time.Since(start)
			return true
		}
		return false
	})
	close(watchDone)
	watch.Wait()
	seen := func(d time.Duration) string {
		if d == 0 {
			return "-" // not seen before the first request was served
		}
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	fmt.Printf("  desired count raised at %s, a new task RUNNING at %s, its target healthy at %s\n", seen(desired), seen(running), seen(healthy))
	return served, err
}

func waitFor(limit time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
