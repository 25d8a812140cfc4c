package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/smithy-go"
	clientv3 "go.etcd.io/etcd/client/v3"

	"tide/internal/awserr"
	"tide/internal/clocktest"
	"tide/internal/edge"
	"tide/internal/etcdtest"
	"tide/internal/metrics"
	"tide/internal/store"
)

const (
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

var start = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// harness is the API over a real etcd behind a real edge on a loopback
// HTTP server, with small working stand-ins for ECS (services), CloudWatch
// alarms (alarmBook) and the real metric store, on a fake clock.
type harness struct {
	api     *API
	clock   *clocktest.Clock
	svcs    *services
	alarms  *alarmBook
	metrics *metrics.Store
	ctrl    *Controller
	url     string
	sdk     *aas.Client
}

// shared is one real etcd (etcdtest, a single member) for all the
// package's harnesses, each under its own key prefix; TestMain stops it.
var shared struct {
	once    sync.Once
	cluster *etcdtest.Cluster
	dirs    []string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cluster != nil {
		shared.cluster.Stop()
	}
	for _, d := range shared.dirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func etcdEndpoints(t *testing.T) []string {
	shared.once.Do(func() {
		if etcdtest.Binary() != "" {
			shared.cluster = etcdtest.Start(&keepAlive{T: t}, 1)
		}
	})
	if shared.cluster == nil {
		t.Skip("etcd binary not found (apt-get install etcd-server)")
	}
	return shared.cluster.Endpoints
}

// keepAlive lends etcdtest a testing.TB whose cleanups wait for TestMain,
// so that the cluster outlives the test that started it.
type keepAlive struct{ *testing.T }

func (k *keepAlive) Cleanup(func()) {}

func (k *keepAlive) TempDir() string {
	dir, err := os.MkdirTemp("", "autoscaling-etcd-")
	if err != nil {
		k.Fatal(err)
	}
	shared.dirs = append(shared.dirs, dir)
	return dir
}

func newHarness(t *testing.T, timing Timing) *harness {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	cli, err := clientv3.New(clientv3.Config{Endpoints: etcdEndpoints(t), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	st, err := store.Open(ctx, cli, fmt.Sprintf("/test/%s/%d/", t.Name(), time.Now().UnixNano()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	h := &harness{clock: clocktest.New(start), svcs: newServices(), alarms: &alarmBook{m: map[string]AlarmSpec{}}}
	h.metrics = metrics.New(h.clock.Now)
	h.api = New(st, quiet, Config{Region: testRegion, AccountID: testAcct, Now: h.clock.Now, Timing: timing,
		Alarms: h.alarms, Services: h.svcs, Metrics: h.metrics})
	h.ctrl = NewController(h.api, quiet)
	ed := edge.New(quiet, nil)
	ed.Register(h.api.Service())
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.sdk = aas.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *aas.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return h
}

// register creates the ECS service and registers it as a scalable target.
func (h *harness) register(t *testing.T, svc string, desired, lo, hi int32) string {
	t.Helper()
	h.svcs.create(svc, int(desired))
	res := "service/c/" + svc
	must(h.sdk.RegisterScalableTarget(context.Background(), &aas.RegisterScalableTargetInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(res), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		MinCapacity: aws.Int32(lo), MaxCapacity: aws.Int32(hi)}))(t)
	return res
}

// cpuPolicy puts a target tracking policy on the service's CPU.
func (h *harness) cpuPolicy(t *testing.T, res, name string, target float64, mutate ...func(*types.TargetTrackingScalingPolicyConfiguration)) *aas.PutScalingPolicyOutput {
	t.Helper()
	cfg := &types.TargetTrackingScalingPolicyConfiguration{TargetValue: aws.Float64(target),
		PredefinedMetricSpecification: &types.PredefinedMetricSpecification{PredefinedMetricType: types.MetricTypeECSServiceAverageCPUUtilization}}
	for _, m := range mutate {
		m(cfg)
	}
	return must(h.sdk.PutScalingPolicy(context.Background(), &aas.PutScalingPolicyInput{PolicyName: aws.String(name),
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(res), ScalableDimension: types.ScalableDimensionECSServiceDesiredCount,
		PolicyType: types.PolicyTypeTargetTrackingScaling, TargetTrackingScalingPolicyConfiguration: cfg}))(t)
}

// fire invokes a policy as its alarm does, with the evaluated datapoints.
func (h *harness) fire(t *testing.T, alarm AlarmSpec, values ...float64) {
	t.Helper()
	ev := AlarmEvent{AlarmName: alarm.Name, AlarmARN: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:" + alarm.Name,
		Threshold: alarm.Threshold, Comparison: alarm.ComparisonOperator, Values: values, Time: h.clock.Now()}
	if err := h.api.ExecutePolicy(context.Background(), alarm.AlarmActions[0], ev); err != nil {
		t.Fatalf("ExecutePolicy(%s): %v", alarm.Name, err)
	}
}

// activities returns the target's activities, newest first, as
// DescribeScalingActivities shows them.
func (h *harness) activities(t *testing.T, res string, notScaled bool) []types.ScalingActivity {
	t.Helper()
	out := must(h.sdk.DescribeScalingActivities(context.Background(), &aas.DescribeScalingActivitiesInput{
		ServiceNamespace: types.ServiceNamespaceEcs, ResourceId: aws.String(res), IncludeNotScaledActivities: aws.Bool(notScaled)}))(t)
	return out.ScalingActivities
}

// must returns v, failing the test on err: must(client.Op(ctx, in))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// apiError returns the code and message of an API error.
func apiError(err error) (string, string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	if err == nil {
		return "", ""
	}
	return "not an API error", err.Error()
}

// ---------------------------------------------------------------- ECS

// services is a small ECS: services with desired, running and pending
// counts. SetDesiredCount sets the desired count; run starts (or stops)
// tasks until the running count matches it.
type services struct {
	mu   sync.Mutex
	m    map[string]*Capacity
	fail error // SetDesiredCount's answer while set
}

func newServices() *services { return &services{m: map[string]*Capacity{}} }

func (s *services) create(name string, desired int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m["c/"+name] = &Capacity{Desired: desired, Running: desired}
}

func (s *services) Capacity(ctx context.Context, cluster, service string) (Capacity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[cluster+"/"+service]
	if !ok {
		return Capacity{}, awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	return *c, nil
}

func (s *services) SetDesiredCount(ctx context.Context, cluster, service string, n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[cluster+"/"+service]
	switch {
	case s.fail != nil:
		return s.fail
	case !ok:
		return awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	c.Desired = n
	c.Pending = max(n-c.Running, 0)
	return nil
}

func (s *services) get(name string) Capacity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.m["c/"+name]
}

func (s *services) set(name string, c Capacity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.m["c/"+name] = c
}

// run makes the running count match the desired count.
func (s *services) run(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.m["c/"+name]
	c.Running, c.Pending = c.Desired, 0
}

func (s *services) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// ---------------------------------------------------------------- alarms

// alarmBook is what CloudWatch keeps of the alarms: the specs by name.
type alarmBook struct {
	mu   sync.Mutex
	m    map[string]AlarmSpec
	fail error
}

func (b *alarmBook) PutAlarm(ctx context.Context, s AlarmSpec) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	if s.Name == "" || s.Period <= 0 || s.EvaluationPeriods < 1 || len(s.AlarmActions) != 1 {
		return awserr.Validation("invalid alarm %+v", s)
	}
	b.m[s.Name] = s
	return nil
}

func (b *alarmBook) DeleteAlarms(ctx context.Context, names ...string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	for _, n := range names {
		delete(b.m, n)
	}
	return nil
}

func (b *alarmBook) get(name string) AlarmSpec {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[name]
}

func (b *alarmBook) names() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for n := range b.m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (b *alarmBook) setFail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = err
}

// errMessage is the message of an API error.
func errMessage(err error) string {
	if ae := awserr.As(err); ae != nil {
		return ae.Message
	}
	return err.Error()
}
