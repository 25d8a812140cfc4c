package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func albClient(s *tideServer) *elb.Client {
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKeyID, testSecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  ownBodyClient{&http.Client{}},
	}
	return elb.NewFromConfig(cfg, func(o *elb.Options) { o.BaseEndpoint = aws.String(s.url) })
}

// buildWebapp builds testdata/webapp for process tasks and returns its path.
func buildWebapp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webapp")
	cmd := exec.Command(goTool(), "build", "-o", bin, "./testdata/webapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build webapp: %v\n%s", err, out)
	}
	return bin
}

// albSetup creates a load balancer with an HTTP listener on a free port in
// front of an ip target group checked at /health every 5 s (AWS's
// shortest), and returns the group's ARN and the listener's URL.
func albSetup(t *testing.T, s *tideServer, delay int) (tgARN, url string) {
	t.Helper()
	ctx := context.Background()
	c := albClient(s)
	lbOut := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"}}))
	tg := must[*elb.CreateTargetGroupOutput](t)(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("web"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String("vpc-local"),
		TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2),
	})).TargetGroups[0]
	must[*elb.ModifyTargetGroupAttributesOutput](t)(c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn, Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(delay))}},
	}))
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lbOut.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(port)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}},
	}))
	return aws.ToString(tg.TargetGroupArn), fmt.Sprintf("http://127.0.0.1:%d", port)
}

func webappDef(bin, rev string) *ecs.RegisterTaskDefinitionInput {
	in := fargateDef("web", bin)
	in.ContainerDefinitions[0].PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(8080)}}
	in.ContainerDefinitions[0].Environment = []types.KeyValuePair{{Name: aws.String("REV"), Value: aws.String(rev)}}
	in.ContainerDefinitions[0].StopTimeout = aws.Int32(2)
	return in
}

// healthyTargets counts the healthy targets of a group.
func healthyTargets(t *testing.T, s *tideServer, tg string) (int, string) {
	out := must[*elb.DescribeTargetHealthOutput](t)(albClient(s).DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}))
	n := 0
	var states []string
	for _, d := range out.TargetHealthDescriptions {
		states = append(states, fmt.Sprintf("%s:%d=%s", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), d.TargetHealth.State))
		if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
			n++
		}
	}
	return n, strings.Join(states, " ")
}

// load sends requests from several clients until stop is closed and counts
// the answers by status; transport errors count as status 0.
type load struct {
	mu     sync.Mutex
	codes  map[int]int
	bodies map[string]int
	errs   []string
	total  atomic.Int64
}

func runLoad(url string, clients int, stop <-chan struct{}) (*load, *sync.WaitGroup) {
	l := &load{codes: map[int]int{}, bodies: map[string]int{}}
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			hc := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := hc.Get(url + "/env/REV")
				l.total.Add(1)
				l.mu.Lock()
				if err != nil {
					l.codes[0]++
					if len(l.errs) < 5 {
						l.errs = append(l.errs, err.Error())
					}
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					l.codes[resp.StatusCode]++
					l.bodies[strings.TrimSpace(string(b))]++
				}
				l.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return l, &wg
}

// TestALBRollingDeploymentLosesNothing: a service behind a load balancer is
// redeployed while clients send requests without pause; every request gets
// a 200, first from the old revision, then from the new. New tasks take
// traffic only once healthy (ACTIVATING until then); old ones drain before
// they stop (DEACTIVATING).
func TestALBRollingDeploymentLosesNothing(t *testing.T) {
	bin := buildWebapp(t)
	s := startServerWithAgent(t, t.TempDir(), "process")
	ctx := context.Background()
	tg, url := albSetup(t, s, 2)
	c := s.ecsClient()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	rev1 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webappDef(bin, "1"))).TaskDefinition
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: rev1.TaskDefinitionArn, DesiredCount: aws.Int32(2),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
	}))
	start := time.Now()
	poll(t, 60*time.Second, 250*time.Millisecond, "2 healthy targets", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 2, st
	})
	waitStable(t, c, "web", 30*time.Second)
	t.Logf("2 tasks healthy behind the load balancer %s after CreateService", time.Since(start).Round(time.Millisecond))
	if body := httpGet(t, url+"/env/REV"); strings.TrimSpace(body) != "1" {
		t.Fatalf("through the load balancer: %q", body)
	}

	stop := make(chan struct{})
	l, wg := runLoad(url, 4, stop)
	rev2 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webappDef(bin, "2"))).TaskDefinition
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: rev2.TaskDefinitionArn}))
	deployStart := time.Now()
	var sawActivating, sawDeactivating atomic.Bool
	poll(t, 90*time.Second, 200*time.Millisecond, "the deployment to finish", func() (bool, string) {
		l := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusRunning}))
		l2 := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusStopped}))
		all := append(l.TaskArns, l2.TaskArns...)
		d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: all}))
		newRunning, oldAlive := 0, 0
		for _, tk := range d.Tasks {
			switch aws.ToString(tk.LastStatus) {
			case "ACTIVATING":
				sawActivating.Store(true)
			case "DEACTIVATING":
				sawDeactivating.Store(true)
			}
			isNew := aws.ToString(tk.TaskDefinitionArn) == aws.ToString(rev2.TaskDefinitionArn)
			if isNew && aws.ToString(tk.LastStatus) == "RUNNING" {
				newRunning++
			}
			if !isNew && aws.ToString(tk.LastStatus) != "STOPPED" {
				oldAlive++
			}
		}
		return newRunning == 2 && oldAlive == 0, tasksState(d.Tasks)
	})
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("deployment done in %s; %d requests: codes %v, bodies %v", time.Since(deployStart).Round(time.Millisecond), l.total.Load(), l.codes, l.bodies)
	if len(l.codes) != 1 || l.codes[200] == 0 {
		t.Errorf("requests failed during the deployment: codes %v, errors %q", l.codes, l.errs)
	}
	if l.bodies["1"] == 0 || l.bodies["2"] == 0 {
		t.Errorf("answers by revision %v: want both", l.bodies)
	}
	if !sawActivating.Load() || !sawDeactivating.Load() {
		t.Errorf("lifecycle states seen: ACTIVATING %v, DEACTIVATING %v", sawActivating.Load(), sawDeactivating.Load())
	}
}

// TestALBDrainingFinishesInFlight: a slow request in flight to a task that
// is stopped completes, because the task drains for the deregistration
// delay before its container stops.
func TestALBDrainingFinishesInFlight(t *testing.T) {
	bin := buildWebapp(t)
	s := startServerWithAgent(t, t.TempDir(), "process")
	ctx := context.Background()
	tg, url := albSetup(t, s, 6)
	c := s.ecsClient()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	rev1 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webappDef(bin, "1"))).TaskDefinition
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: rev1.TaskDefinitionArn, DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
	}))
	poll(t, 60*time.Second, 250*time.Millisecond, "a healthy target", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 1, st
	})
	done := make(chan string, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Get(url + "/sleep/3s")
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- fmt.Sprint(resp.StatusCode, " ", strings.TrimSpace(string(b)))
	}()
	time.Sleep(500 * time.Millisecond)
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), DesiredCount: aws.Int32(0)}))
	poll(t, 10*time.Second, 200*time.Millisecond, "the target to drain", func() (bool, string) {
		_, st := healthyTargets(t, s, tg)
		return strings.Contains(st, "draining"), st
	})
	if got := <-done; !strings.HasPrefix(got, "200 slept 3s") {
		t.Fatalf("in-flight request during the drain: %s", got)
	}
}

// TestALBUnhealthyTargetReplaced: tasks whose targets fail the load
// balancer's health checks are stopped with ECS's reason and replaced.
func TestALBUnhealthyTargetReplaced(t *testing.T) {
	bin := buildWebapp(t)
	s := startServerWithAgent(t, t.TempDir(), "process")
	ctx := context.Background()
	tg, _ := albSetup(t, s, 1)
	must[*elb.ModifyTargetGroupOutput](t)(albClient(s).ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(tg), HealthCheckPath: aws.String("/missing")}))
	c := s.ecsClient()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	rev1 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webappDef(bin, "1"))).TaskDefinition
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: rev1.TaskDefinitionArn, DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(tg), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}},
	}))
	want := "Task failed ELB health checks in (target-group " + tg + ")"
	poll(t, 60*time.Second, 500*time.Millisecond, "a task stopped for failing ELB health checks", func() (bool, string) {
		l := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusStopped}))
		if len(l.TaskArns) == 0 {
			_, st := healthyTargets(t, s, tg)
			return false, "no stopped task; targets " + st
		}
		d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: l.TaskArns}))
		for _, tk := range d.Tasks {
			if aws.ToString(tk.StoppedReason) == want {
				return true, ""
			}
		}
		return false, tasksState(d.Tasks)
	})
	// The service keeps its desired count with a replacement.
	poll(t, 30*time.Second, 500*time.Millisecond, "a replacement task", func() (bool, string) {
		sv := describeService(t, c, "web")
		return sv.PendingCount+sv.RunningCount >= 1 || len(activeTasks(t, c)) >= 1, serviceState(sv)
	})
}

func activeTasks(t *testing.T, c *ecs.Client) []string {
	l := must[*ecs.ListTasksOutput](t)(c.ListTasks(context.Background(), &ecs.ListTasksInput{ServiceName: aws.String("web"), DesiredStatus: types.DesiredStatusRunning}))
	return l.TaskArns
}

// TestALBRulesAndHTTPS drives routing through the API against real
// backends: a path rule forwards to a second group, a header rule answers
// with a fixed response, and an HTTPS listener (certificate from files, a
// Tide extension) serves the same rules.
func TestALBRulesAndHTTPS(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx := context.Background()
	c := albClient(s)
	backend := func(name string) (string, int32) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "%s %s", name, r.URL.Path) }))
		t.Cleanup(srv.Close)
		_, p, _ := strings.Cut(srv.Listener.Addr().String(), ":")
		n, _ := strconv.Atoi(p)
		return "127.0.0.1", int32(n)
	}
	lbArn := must[*elb.CreateLoadBalancerOutput](t)(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("rules"), Subnets: []string{"subnet-a"}})).LoadBalancers[0].LoadBalancerArn
	group := func(name, backendName string) *string {
		tg := must[*elb.CreateTargetGroupOutput](t)(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
			Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-local"), TargetType: elbtypes.TargetTypeEnumIp,
			HealthCheckIntervalSeconds: aws.Int32(5), HealthyThresholdCount: aws.Int32(2),
		})).TargetGroups[0].TargetGroupArn
		ip, port := backend(backendName)
		must[*elb.RegisterTargetsOutput](t)(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg, Targets: []elbtypes.TargetDescription{{Id: aws.String(ip), Port: aws.Int32(port)}}}))
		return tg
	}
	web, api := group("web", "web"), group("api", "api")

	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	ports := map[elbtypes.ProtocolEnum]int32{}
	for _, proto := range []elbtypes.ProtocolEnum{elbtypes.ProtocolEnumHttp, elbtypes.ProtocolEnumHttps} {
		addr, _ := freeAddr()
		p, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
		in := &elb.CreateListenerInput{LoadBalancerArn: lbArn, Protocol: proto, Port: aws.Int32(int32(p)),
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: web}}}
		if proto == elbtypes.ProtocolEnumHttps {
			in.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String("file://" + certFile + ",file://" + keyFile)}}
		}
		l := must[*elb.CreateListenerOutput](t)(c.CreateListener(ctx, in)).Listeners[0].ListenerArn
		must[*elb.CreateRuleOutput](t)(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l, Priority: aws.Int32(10),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/api/*"}}},
			Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: api}}}))
		must[*elb.CreateRuleOutput](t)(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l, Priority: aws.Int32(5),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("http-header"), HttpHeaderConfig: &elbtypes.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Maintenance"), Values: []string{"on"}}}},
			Actions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{
				StatusCode: aws.String("503"), ContentType: aws.String("text/plain"), MessageBody: aws.String("down for maintenance")}}}}))
		ports[proto] = int32(p)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, tc := range []struct {
		scheme string
		port   int32
	}{{"http", ports[elbtypes.ProtocolEnumHttp]}, {"https", ports[elbtypes.ProtocolEnumHttps]}} {
		base := fmt.Sprintf("%s://127.0.0.1:%d", tc.scheme, tc.port)
		for _, rc := range []struct{ path, hdr, want string }{
			{"/api/users", "", "200 api /api/users"},
			{"/index.html", "", "200 web /index.html"},
			{"/api/users", "on", "503 down for maintenance"},
		} {
			var got string
			poll(t, 15*time.Second, 200*time.Millisecond, base+rc.path, func() (bool, string) {
				req, _ := http.NewRequest("GET", base+rc.path, nil)
				if rc.hdr != "" {
					req.Header.Set("X-Maintenance", rc.hdr)
				}
				resp, err := client.Do(req)
				if err != nil {
					return false, err.Error()
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = fmt.Sprint(resp.StatusCode, " ", string(b))
				return got == rc.want, got
			})
		}
	}
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tide-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
