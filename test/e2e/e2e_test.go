// Package e2e tests a real `tide server` process with real clients: the
// aws CLI (cli/ecs.sh), boto3 (boto3/ecs_test.py), the AWS SDK for Go v2 and
// raw signed HTTP. TestMain builds the binary once; every test starts its own
// server on a free loopback port with a fresh data directory, and stops it
// with SIGTERM (or kills it with SIGKILL) like an operator would.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// The credentials every test server accepts (env TIDE_ACCESS_KEY_ID and
// TIDE_SECRET_ACCESS_KEY), and the region it signs for.
const (
	testAccessKeyID     = "AKIAE2ETESTKEY000001"
	testSecretAccessKey = "e2eSecretAccessKey/0123456789+abcdefghijk"
	testRegion          = "us-east-1"
	ecsTargetPrefix     = "AmazonEC2ContainerServiceV20141113."
)

// tideBin is the binary that TestMain builds.
var tideBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Fprintln(os.Stderr, "e2e: -short: not building tide; the end-to-end tests skip")
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "tide-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tideBin = filepath.Join(dir, "tide")
	start := time.Now()
	cmd := exec.Command(goTool(), "build", "-o", tideBin, "./cmd/tide")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/tide: %v\n%s", err, out)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: built %s in %s\n", tideBin, time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

func needBinary(t *testing.T) {
	t.Helper()
	if tideBin == "" {
		t.Skip("end-to-end tests do not run with -short")
	}
}

// ---------------------------------------------------------------- the server process

// lockedBuffer collects a process's output from two pipes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tideServer is a running `tide server` process.
type tideServer struct {
	dataDir string
	addr    string // host:port
	url     string // http://host:port
	cmd     *exec.Cmd
	stdout  lockedBuffer
	stderr  lockedBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // the exit status, once done is closed
	banner  map[string]string
}

// startServer starts `tide server` on a free loopback port over dataDir with
// the test credentials, waits until /_tide/health answers, and stops it with
// SIGTERM when the test ends. It runs no local agent: these tests are about
// the API, and no task they create runs (see startServerWithAgent).
func startServer(t *testing.T, dataDir string, args ...string) *tideServer {
	t.Helper()
	if len(args) == 0 {
		args = []string{"--local-agent=false"}
	}
	return startServerEnv(t, dataDir, []string{
		"TIDE_ACCESS_KEY_ID=" + testAccessKeyID,
		"TIDE_SECRET_ACCESS_KEY=" + testSecretAccessKey,
	}, args...)
}

// startServerEnv is startServer with the given extra environment and server
// flags.
func startServerEnv(t *testing.T, dataDir string, env []string, args ...string) *tideServer {
	t.Helper()
	needBinary(t)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := tryStart(dataDir, env, args)
		if err == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("tide server %s (data dir %s) output:\n%s", s.url, s.dataDir, tail(s.stdout.String()+s.stderr.String(), 8000))
				}
				s.stop(t)
			})
			return s
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start tide server: %v", lastErr)
	return nil
}

func tryStart(dataDir string, env, args []string) (*tideServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &tideServer{dataDir: dataDir, addr: addr, url: "http://" + addr, done: make(chan struct{})}
	s.cmd = exec.Command(tideBin, append([]string{"server", "--data-dir", dataDir, "--listen", addr, "--log-level", "info"}, args...)...)
	s.cmd.Env = append(cleanEnv(), env...)
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitHealthy(60 * time.Second); err != nil {
		s.cmd.Process.Kill()
		<-s.done
		return nil, fmt.Errorf("%w\n%s", err, tail(s.stdout.String()+s.stderr.String(), 4000))
	}
	s.banner = parseBanner(s.stdout.String())
	return s, nil
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// cleanEnv is the test's environment without AWS or Tide settings, so that
// a developer's profile or credentials never leak into a test.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "TIDE_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (s *tideServer) waitHealthy(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("tide server exited before it was healthy: %v", s.waitErr)
		default:
		}
		resp, err := client.Get(s.url + "/_tide/health")
		if err == nil {
			var h struct {
				Status string `json:"status"`
			}
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK && h.Status == "ok" {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("tide server not healthy at %s after %s", s.url, timeout)
}

// waitLeader waits until the health endpoint reports that this server
// leads the controllers, and returns how long that took.
func (s *tideServer) waitLeader(timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < timeout {
		resp, err := http.Get(s.url + "/_tide/health")
		if err == nil {
			var h struct {
				Leader bool `json:"leader"`
			}
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if err == nil && h.Leader {
				return time.Since(start), nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("not leading the controllers after %s", timeout)
}

// parseBanner reads the `export NAME=value` lines that the server prints.
func parseBanner(out string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			if k, v, ok := strings.Cut(rest, "="); ok {
				m[k] = v
			}
		}
	}
	return m
}

// running reports whether the process has not exited.
func (s *tideServer) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for a clean exit (SIGKILL after 20 s, which
// fails the test). Stopping a stopped server does nothing.
func (s *tideServer) stop(t *testing.T) {
	t.Helper()
	if !s.running() {
		return
	}
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.waitErr != nil {
			t.Errorf("tide server exited with %v after SIGTERM", s.waitErr)
		} else if testing.Verbose() {
			t.Logf("tide server %s stopped by SIGTERM in %s", s.url, time.Since(start).Round(time.Millisecond))
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		t.Errorf("tide server did not exit within 20 s of SIGTERM; killed it")
	}
}

// kill9 kills the server with SIGKILL: no shutdown code runs.
func (s *tideServer) kill9(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	<-s.done
}

// awsEnv is the environment for the aws CLI and boto3: the lines the server
// prints, plus isolation from the developer's own AWS configuration.
func (s *tideServer) awsEnv(t *testing.T) []string {
	dir := t.TempDir()
	return append(cleanEnv(),
		"AWS_ACCESS_KEY_ID="+testAccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+testSecretAccessKey,
		"AWS_DEFAULT_REGION="+testRegion,
		"AWS_ENDPOINT_URL="+s.url,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
}

// ecsClient is an AWS SDK for Go v2 ECS client for the server, with the
// test credentials and no retries (a test sees every failure).
func (s *tideServer) ecsClient() *ecs.Client {
	return s.ecsClientWith(testAccessKeyID, testSecretAccessKey)
}

func (s *tideServer) ecsClientWith(akid, secret string) *ecs.Client {
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  ownBodyClient{&http.Client{}},
	}
	return ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(s.url) })
}

// ownBodyClient sends each request with a body of its own. smithy-go closes
// the request body it hands to net/http as soon as the response arrives, and
// its closed body then fails net/http's final read with io.EOF; net/http
// reacts by closing the connection under the response that is still being
// read ("deserialization failed ... use of closed network connection",
// aws/aws-sdk-go-v2#2737). A server as fast as a local Tide hits that race
// about once in a hundred reads; the SDK's default retryer hides it by
// retrying, but these tests use no retries.
type ownBodyClient struct{ c *http.Client }

func (o ownBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return o.c.Do(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r2.ContentLength = int64(len(body))
	return o.c.Do(r2)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}

// errCode is the AWS error code of err ("" for nil).
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ---------------------------------------------------------------- real clients

// needTool returns the path of a tool a test drives. It skips the test when
// the tool is missing, unless CI is set: there a missing tool is a failure.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is needed by this test and CI is set: %v", name, err)
	}
	t.Skipf("%s not found (%v); set CI to make this a failure", name, err)
	return ""
}

// runScript runs a client script against s and fails with its output.
func runScript(t *testing.T, s *tideServer, timeout time.Duration, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = s.awsEnv(t)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s passed in %s\n%s", filepath.Base(args[len(args)-1]), time.Since(start).Round(time.Millisecond), out)
}

// TestAWSCLI drives every ECS operation Tide implements with the aws CLI v2.
func TestAWSCLI(t *testing.T) {
	needBinary(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/usr/bin/aws is needed and CI is set: %v", err)
		}
		t.Skipf("/usr/bin/aws not installed: %v", err)
	}
	needTool(t, "jq")
	needTool(t, "bash")
	s := startServer(t, t.TempDir())
	runScript(t, s, 4*time.Minute, "bash", "cli/ecs.sh")
}

// TestBoto3 runs boto3/ecs_test.py: boto3's serializers, paginator and
// waiter against Tide.
func TestBoto3(t *testing.T) {
	needBinary(t)
	python := os.Getenv("TIDE_PYTHON") // .ci/run points it at a python3 with boto3
	if python == "" {
		python = needTool(t, "python3")
	}
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s cannot import boto3 and CI is set: %v", python, err)
		}
		t.Skipf("%s cannot import boto3: %v", python, err)
	}
	s := startServer(t, t.TempDir())
	runScript(t, s, 2*time.Minute, python, "boto3/ecs_test.py")
}

// ---------------------------------------------------------------- durability

// TestCrashKill9 kills the server with SIGKILL in the middle of a stream of
// writes and checks, after a restart on the same data directory, that every
// write the server acknowledged is there.
func TestCrashKill9(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.ecsClient()
	ctx := context.Background()
	const cluster = "crash"
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}))

	type ackedTaskDef struct {
		family string
		rev    int32
		arn    string
		marker string
	}
	type ackedService struct {
		name, taskDef string
	}
	var (
		mu       sync.Mutex
		taskDefs []ackedTaskDef
		services []ackedService
		acked    atomic.Int64
		killed   atomic.Bool
		early    []error // failures before the kill
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		if !killed.Load() {
			mu.Lock()
			early = append(early, err)
			mu.Unlock()
		}
	}
	const writers = 4
	for w := range writers {
		wg.Go(func() {
			family := fmt.Sprintf("crash-w%d", w)
			for i := 0; !killed.Load(); i++ {
				marker := fmt.Sprintf("w%d-%d", w, i)
				out, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
					Family: aws.String(family),
					ContainerDefinitions: []types.ContainerDefinition{{
						Name: aws.String("app"), Image: aws.String("busybox:1.36"), Memory: aws.Int32(64),
						Environment: []types.KeyValuePair{{Name: aws.String("MARKER"), Value: aws.String(marker)}},
					}},
				})
				if err != nil {
					fail(fmt.Errorf("RegisterTaskDefinition %s: %w", marker, err))
					return
				}
				td := out.TaskDefinition
				mu.Lock()
				taskDefs = append(taskDefs, ackedTaskDef{family, td.Revision, aws.ToString(td.TaskDefinitionArn), marker})
				mu.Unlock()
				acked.Add(1)
				if i%3 != 0 {
					continue
				}
				name := "svc-" + marker
				_, err = c.CreateService(ctx, &ecs.CreateServiceInput{
					Cluster: aws.String(cluster), ServiceName: aws.String(name),
					TaskDefinition: td.TaskDefinitionArn, DesiredCount: aws.Int32(0),
				})
				if err != nil {
					fail(fmt.Errorf("CreateService %s: %w", name, err))
					return
				}
				mu.Lock()
				services = append(services, ackedService{name, aws.ToString(td.TaskDefinitionArn)})
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	// Kill after about a second, once a fair number of writes went through.
	start := time.Now()
	for time.Since(start) < time.Second || acked.Load() < 40 {
		if time.Since(start) > 30*time.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	killed.Store(true)
	s.kill9(t)
	wg.Wait()
	if len(early) > 0 {
		t.Fatalf("writes failed before the kill: %v", errors.Join(early...))
	}
	if acked.Load() < 40 {
		t.Fatalf("only %d writes were acknowledged in %s", acked.Load(), time.Since(start))
	}
	t.Logf("killed the server with SIGKILL after %s and %d acknowledged writes (%d task definitions, %d services)",
		time.Since(start).Round(time.Millisecond), acked.Load(), len(taskDefs), len(services))

	s2 := startServer(t, dir)
	c2 := s2.ecsClient()
	maxRev := map[string]int32{}
	for _, a := range taskDefs {
		out, err := c2.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fmt.Sprintf("%s:%d", a.family, a.rev))})
		if err != nil {
			t.Errorf("acknowledged task definition %s:%d (%s) is lost: %v", a.family, a.rev, a.marker, err)
			continue
		}
		td := out.TaskDefinition
		if got := aws.ToString(td.TaskDefinitionArn); got != a.arn {
			t.Errorf("task definition %s:%d has ARN %s, want %s", a.family, a.rev, got, a.arn)
		}
		if env := td.ContainerDefinitions[0].Environment; len(env) != 1 || aws.ToString(env[0].Value) != a.marker {
			t.Errorf("task definition %s:%d has environment %+v, want MARKER=%s", a.family, a.rev, env, a.marker)
		}
		maxRev[a.family] = max(maxRev[a.family], a.rev)
	}
	for i := 0; i < len(services); i += 10 {
		batch := services[i:min(i+10, len(services))]
		var names []string
		for _, a := range batch {
			names = append(names, a.name)
		}
		out, err := c2.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: names})
		if err != nil {
			t.Fatalf("DescribeServices after restart (batch at %d of %d, %s): %v", i, len(services), names, err)
		}
		for _, f := range out.Failures {
			t.Errorf("acknowledged service %s is lost: %s", aws.ToString(f.Arn), aws.ToString(f.Reason))
		}
		got := map[string]types.Service{}
		for _, sv := range out.Services {
			got[aws.ToString(sv.ServiceName)] = sv
		}
		for _, a := range batch {
			sv, ok := got[a.name]
			if !ok {
				continue // reported as a failure above
			}
			if aws.ToString(sv.Status) != "ACTIVE" || aws.ToString(sv.TaskDefinition) != a.taskDef || len(sv.Deployments) != 1 {
				t.Errorf("service %s after restart: status %s, task definition %s, %d deployments; want ACTIVE, %s, 1",
					a.name, aws.ToString(sv.Status), aws.ToString(sv.TaskDefinition), len(sv.Deployments), a.taskDef)
			}
		}
	}
	// Revisions are never reused, even those whose write was in flight.
	for family, rev := range maxRev {
		out, err := c2.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String("busybox:1.36"), Memory: aws.Int32(64),
			}},
		})
		if err != nil {
			t.Fatalf("RegisterTaskDefinition after restart: %v", err)
		}
		if out.TaskDefinition.Revision <= rev {
			t.Errorf("family %s: new revision %d after restart, but revision %d was acknowledged before the crash",
				family, out.TaskDefinition.Revision, rev)
		}
	}
}

// TestRestartKeepsState stops the server with SIGTERM and checks that a new
// server on the same data directory describes everything as before, and
// that the lifecycle controller runs again.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	if s.banner["AWS_ENDPOINT_URL"] != s.url || s.banner["AWS_ACCESS_KEY_ID"] != testAccessKeyID ||
		s.banner["AWS_SECRET_ACCESS_KEY"] != testSecretAccessKey || s.banner["AWS_DEFAULT_REGION"] != testRegion {
		t.Errorf("startup banner %v does not match the server (%s, %s)", s.banner, s.url, testAccessKeyID)
	}
	c := s.ecsClient()
	ctx := context.Background()
	const cluster = "keep"
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{
		ClusterName: aws.String(cluster), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	}))
	web := []types.ContainerDefinition{{
		Name: aws.String("web"), Image: aws.String("nginx:1.27"),
		PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(80)}},
	}}
	td1 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("keep-web"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, ContainerDefinitions: web,
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})).TaskDefinition
	td2 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("keep-web"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("0.5 vCPU"), Memory: aws.String("1 GB"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, ContainerDefinitions: web,
	})).TaskDefinition
	network := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
		Subnets: []string{"subnet-keep"}, AssignPublicIp: types.AssignPublicIpEnabled,
	}}
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String("api"), TaskDefinition: td1.TaskDefinitionArn,
		DesiredCount: aws.Int32(0), NetworkConfiguration: network, Tags: []types.Tag{{Key: aws.String("svc"), Value: aws.String("api")}},
	}))
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(cluster), Service: aws.String("api"), TaskDefinition: td2.TaskDefinitionArn, DesiredCount: aws.Int32(2),
	}))
	must[*ecs.DeregisterTaskDefinitionOutput](t)(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: td1.TaskDefinitionArn}))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String("worker"), TaskDefinition: td2.TaskDefinitionArn,
		DesiredCount: aws.Int32(0), NetworkConfiguration: network,
	}))
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String(cluster), TaskDefinition: aws.String("keep-web"), Count: aws.Int32(2),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: network, StartedBy: aws.String("keep"),
	}))
	must[*ecs.StopTaskOutput](t)(c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: run.Tasks[1].TaskArn, Reason: aws.String("before restart")}))
	ci := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		Cluster: aws.String(cluster),
		TotalResources: []types.Resource{
			{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 4096},
			{Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 8192},
		},
	})).ContainerInstance
	must[*ecs.PutAttributesOutput](t)(c.PutAttributes(ctx, &ecs.PutAttributesInput{
		Cluster:    aws.String(cluster),
		Attributes: []types.Attribute{{Name: aws.String("zone"), Value: aws.String("z1"), TargetId: ci.ContainerInstanceArn}},
	}))
	// DeleteTaskDefinitions (the Debian aws CLI and boto3 lack it): an
	// INACTIVE revision goes to DELETE_IN_PROGRESS and cannot be described.
	old := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("keep-old"), ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("busybox:1.36"), Memory: aws.Int32(64)}},
	})).TaskDefinition
	must[*ecs.DeregisterTaskDefinitionOutput](t)(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: old.TaskDefinitionArn}))
	del := must[*ecs.DeleteTaskDefinitionsOutput](t)(c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{
		TaskDefinitions: []string{aws.ToString(old.TaskDefinitionArn), aws.ToString(td2.TaskDefinitionArn)},
	}))
	if len(del.TaskDefinitions) != 1 || del.TaskDefinitions[0].Status != types.TaskDefinitionStatusDeleteInProgress ||
		len(del.Failures) != 1 || aws.ToString(del.Failures[0].Arn) != aws.ToString(td2.TaskDefinitionArn) {
		t.Errorf("DeleteTaskDefinitions(INACTIVE, ACTIVE): got %s; want the first DELETE_IN_PROGRESS and a failure for the ACTIVE one", jsonString(del))
	}
	must[*ecs.PutAccountSettingOutput](t)(c.PutAccountSetting(ctx, &ecs.PutAccountSettingInput{
		Name: types.SettingNameAwsvpcTrunking, Value: aws.String("enabled"),
	}))

	// snapshot describes everything, minus per-request metadata.
	taskArns := []string{aws.ToString(run.Tasks[0].TaskArn), aws.ToString(run.Tasks[1].TaskArn)}
	snapshot := func(c *ecs.Client) map[string]any {
		t.Helper()
		m := map[string]any{}
		m["clusters"] = must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{
			Clusters: []string{cluster}, Include: []types.ClusterField{types.ClusterFieldTags, types.ClusterFieldSettings, types.ClusterFieldStatistics},
		})).Clusters
		m["listClusters"] = must[*ecs.ListClustersOutput](t)(c.ListClusters(ctx, &ecs.ListClustersInput{})).ClusterArns
		for _, ref := range []string{"keep-web:1", "keep-web:2"} {
			out := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
				TaskDefinition: aws.String(ref), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
			}))
			m["taskDefinition "+ref] = []any{out.TaskDefinition, out.Tags}
		}
		m["listTaskDefinitions"] = must[*ecs.ListTaskDefinitionsOutput](t)(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})).TaskDefinitionArns
		m["services"] = must[*ecs.DescribeServicesOutput](t)(c.DescribeServices(ctx, &ecs.DescribeServicesInput{
			Cluster: aws.String(cluster), Services: []string{"api", "worker"}, Include: []types.ServiceField{types.ServiceFieldTags},
		})).Services
		m["tasks"] = must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: taskArns})).Tasks
		m["listTasks"] = must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster)})).TaskArns
		m["instances"] = must[*ecs.DescribeContainerInstancesOutput](t)(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{
			Cluster: aws.String(cluster), ContainerInstances: []string{aws.ToString(ci.ContainerInstanceArn)},
		})).ContainerInstances
		m["attributes"] = must[*ecs.ListAttributesOutput](t)(c.ListAttributes(ctx, &ecs.ListAttributesInput{
			Cluster: aws.String(cluster), TargetType: types.TargetTypeContainerInstance, AttributeName: aws.String("zone"),
		})).Attributes
		m["settings"] = must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{})).Settings
		return m
	}
	before := snapshot(c)
	if svcs := before["services"].([]types.Service); len(svcs) != 2 || len(svcs[0].Deployments) != 1 {
		t.Fatalf("before the restart: want 2 services, the first with one deployment (the scheduler drops the old one, which has no task); got %s", jsonString(svcs))
	}

	s.stop(t)
	if s.waitErr != nil {
		t.Fatalf("SIGTERM: tide server exited with %v", s.waitErr)
	}
	s2 := startServer(t, dir)
	c2 := s2.ecsClient()
	after := snapshot(c2)
	// A clean stop could hand leadership over at once; report how long the
	// new server waited to lead (the election lease TTL is 5 s).
	if d, err := s2.waitLeader(30 * time.Second); err != nil {
		t.Errorf("restarted server: %v", err)
	} else {
		t.Logf("the restarted server leads the controllers %s after it became healthy", d.Round(10*time.Millisecond))
	}
	for k, want := range before {
		if got := after[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s changed across the restart:\nbefore: %s\nafter:  %s", k, jsonString(want), jsonString(got))
		}
	}

	if _, err := c2.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: old.TaskDefinitionArn}); errCode(err) != "ClientException" {
		t.Errorf("a deleted task definition after the restart: got %v, want ClientException", err)
	}

	// The lifecycle controller runs on the new server: a deleted service
	// goes from DRAINING to INACTIVE.
	drain := must[*ecs.DeleteServiceOutput](t)(c2.DeleteService(ctx, &ecs.DeleteServiceInput{
		Cluster: aws.String(cluster), Service: aws.String("worker"),
	}))
	if got := aws.ToString(drain.Service.Status); got != "DRAINING" {
		t.Errorf("DeleteService: status %s, want DRAINING", got)
	}
	w := ecs.NewServicesInactiveWaiter(c2, func(o *ecs.ServicesInactiveWaiterOptions) { o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second })
	if err := w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{"worker"}}, 30*time.Second); err != nil {
		t.Errorf("service did not become INACTIVE after the restart: %v", err)
	}
}

// TestGeneratedCredentialsPersist starts a server without configured
// credentials: it generates a pair, prints it, stores it mode 0600 and
// accepts the same pair after a restart.
func TestGeneratedCredentialsPersist(t *testing.T) {
	dir := t.TempDir()
	s := startServerEnv(t, dir, nil, "--local-agent=false")
	akid, secret := s.banner["AWS_ACCESS_KEY_ID"], s.banner["AWS_SECRET_ACCESS_KEY"]
	if !strings.HasPrefix(akid, "AKIA") || len(akid) != 20 || len(secret) != 40 {
		t.Fatalf("generated credentials %q / %q do not look like AWS keys; banner:\n%s", akid, secret, s.stdout.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "credentials.json")); err != nil {
		t.Errorf("credentials file: %v", err)
	} else if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	ctx := context.Background()
	must[*ecs.ListClustersOutput](t)(s.ecsClientWith(akid, secret).ListClusters(ctx, &ecs.ListClustersInput{}))
	s.stop(t)

	s2 := startServerEnv(t, dir, nil, "--local-agent=false")
	if s2.banner["AWS_ACCESS_KEY_ID"] != akid || s2.banner["AWS_SECRET_ACCESS_KEY"] != secret {
		t.Errorf("restart printed other credentials: %v", s2.banner)
	}
	must[*ecs.ListClustersOutput](t)(s2.ecsClientWith(akid, secret).ListClusters(ctx, &ecs.ListClustersInput{}))
	if _, err := s2.ecsClient().ListClusters(ctx, &ecs.ListClustersInput{}); errCode(err) != "UnrecognizedClientException" {
		t.Errorf("another key: got %v, want UnrecognizedClientException", err)
	}
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// ---------------------------------------------------------------- signatures

// TestSignatureErrors sends raw HTTP requests, signed with the SDK's SigV4
// signer or not at all, and checks the status and the JSON error body.
func TestSignatureErrors(t *testing.T) {
	s := startServer(t, t.TempDir())
	good := aws.Credentials{AccessKeyID: testAccessKeyID, SecretAccessKey: testSecretAccessKey}
	now := time.Now().UTC()
	cases := []struct {
		name       string
		creds      aws.Credentials
		at         time.Time
		region     string
		unsigned   bool
		tamper     bool // change the body after signing
		wantStatus int
		wantType   string
		wantMsg    string // prefix of the message
	}{
		{name: "valid", creds: good, at: now, wantStatus: 200},
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: testAccessKeyID, SecretAccessKey: "wrong" + testSecretAccessKey}, at: now,
			wantStatus: 400, wantType: "InvalidSignatureException", wantMsg: "The request signature we calculated does not match the signature you provided."},
		{name: "unknown access key", creds: aws.Credentials{AccessKeyID: "AKIAE2EUNKNOWNKEY000", SecretAccessKey: testSecretAccessKey}, at: now,
			wantStatus: 400, wantType: "UnrecognizedClientException", wantMsg: "The security token included in the request is invalid."},
		{name: "missing Authorization", unsigned: true,
			wantStatus: 400, wantType: "MissingAuthenticationTokenException", wantMsg: "Request is missing Authentication Token"},
		{name: "X-Amz-Date 20 minutes ago", creds: good, at: now.Add(-20 * time.Minute),
			wantStatus: 400, wantType: "InvalidSignatureException", wantMsg: "Signature expired: " + now.Add(-20*time.Minute).Format("20060102T150405Z") + " is now earlier than "},
		{name: "X-Amz-Date 20 minutes ahead", creds: good, at: now.Add(20 * time.Minute),
			wantStatus: 400, wantType: "InvalidSignatureException", wantMsg: "Signature not yet current: "},
		{name: "wrong region", creds: good, at: now, region: "eu-west-1",
			wantStatus: 400, wantType: "InvalidSignatureException", wantMsg: "Credential should be scoped to a valid region, not 'eu-west-1'."},
		{name: "body changed after signing", creds: good, at: now, tamper: true,
			wantStatus: 400, wantType: "InvalidSignatureException", wantMsg: "The request signature we calculated does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"maxResults":10}`
			req, err := http.NewRequest(http.MethodPost, s.url+"/", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", ecsTargetPrefix+"ListClusters")
			if !tc.unsigned {
				region := tc.region
				if region == "" {
					region = testRegion
				}
				sum := sha256.Sum256([]byte(body))
				// A new signer each time: a signer caches signing keys by
				// access key ID, so it would reuse the right secret's key.
				if err := v4.NewSigner().SignHTTP(context.Background(), tc.creds, req, hex.EncodeToString(sum[:]), "ecs", region, tc.at); err != nil {
					t.Fatal(err)
				}
			}
			if tc.tamper {
				tampered := `{"maxResults":11}`
				req.Body = io.NopCloser(strings.NewReader(tampered))
				req.ContentLength = int64(len(tampered))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, raw)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type %q, want application/x-amz-json-1.1", ct)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Errorf("no x-amzn-RequestId header")
			}
			var e struct {
				Type    string  `json:"__type"`
				Message *string `json:"message"`
				Lower   *string `json:"Message"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, raw)
			}
			if tc.wantType == "" {
				if e.Type != "" {
					t.Fatalf("unexpected error %s", raw)
				}
				return
			}
			code := e.Type[strings.LastIndexByte(e.Type, '#')+1:] // AWS may prefix a namespace
			if code != tc.wantType {
				t.Errorf("__type %q, want %s; body %s", e.Type, tc.wantType, raw)
			}
			msg := aws.ToString(e.Message)
			if e.Message == nil {
				msg = aws.ToString(e.Lower)
			}
			if !strings.HasPrefix(msg, tc.wantMsg) {
				t.Errorf("message %q, want it to start with %q", msg, tc.wantMsg)
			}
		})
	}

	// The SDK reports the same codes as typed errors.
	ctx := context.Background()
	if _, err := s.ecsClientWith(testAccessKeyID, "wrong").ListClusters(ctx, &ecs.ListClustersInput{}); errCode(err) != "InvalidSignatureException" {
		t.Errorf("SDK with a wrong secret: got %v, want InvalidSignatureException", err)
	}
	if _, err := s.ecsClientWith("AKIAE2EUNKNOWNKEY000", testSecretAccessKey).ListClusters(ctx, &ecs.ListClustersInput{}); errCode(err) != "UnrecognizedClientException" {
		t.Errorf("SDK with an unknown key: got %v, want UnrecognizedClientException", err)
	}
	// The health endpoint needs no signature.
	resp, err := http.Get(s.url + "/_tide/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /_tide/health: %d", resp.StatusCode)
	}
}
