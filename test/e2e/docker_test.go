package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The tests in this file run services on the docker runtime: a real server
// with --runtime=docker, whose local agent runs FARGATE tasks as Docker
// containers on this host. The engine may have no image and no way to pull
// one, so the tests build their own, FROM scratch, around the static
// testdata/webapp binary. Each test's server uses an account ID of its own,
// which is in every task ARN and so in every container's
// com.tide.task-arn label: that is how cleanup finds the test's containers
// and no one else's.
//
// A Tide agent on the docker runtime stops and removes every Tide-labelled
// container that is not assigned to it, whoever started it, so these tests
// do not run in parallel, and another Tide server or agent on the same
// Docker engine disturbs them (reportForeignStops names the tasks it hit).

const (
	webImage       = "tide-e2e-web:1"
	awsvpcNetwork  = "tide-awsvpc" // the docker runtime's default awsvpc network
	dockerCmdLimit = 2 * time.Minute
)

// needDockerEngine skips the test when `docker info` fails, unless CI is
// set: there the failure fails the test.
func needDockerEngine(t *testing.T) {
	t.Helper()
	needBinary(t)
	if _, err := exec.LookPath("docker"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the docker CLI is needed by this test and CI is set: %v", err)
		}
		t.Skipf("docker CLI not found (%v); set CI to make this a failure", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker info failed and CI is set: %v\n%s", err, tail(string(out), 2000))
		}
		t.Skipf("docker engine unavailable (docker info: %v); set CI to make this a failure", err)
	}
}

// dockerRun runs the docker CLI and returns its standard output.
func dockerRun(env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := dockerRun(nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The tests that use webImage share it: the first builds it, the last
// removes it, and with it the awsvpc network if no test had one before.
var webImageState struct {
	sync.Mutex
	users      int
	networkNew bool
}

// useWebImage builds webImage (FROM scratch, the static webapp and nothing
// else) unless another test holds it, and removes it when the last test
// that uses it ends.
func useWebImage(t *testing.T) {
	t.Helper()
	webImageState.Lock()
	defer webImageState.Unlock()
	if webImageState.users == 0 {
		start := time.Now()
		_, err := dockerRun(nil, "network", "inspect", awsvpcNetwork)
		webImageState.networkNew = err != nil
		if err := buildWebImage(t.TempDir()); err != nil {
			t.Fatal(err)
		}
		t.Logf("built %s in %s", webImage, time.Since(start).Round(time.Millisecond))
	}
	webImageState.users++
	t.Cleanup(func() {
		webImageState.Lock()
		defer webImageState.Unlock()
		webImageState.users--
		if webImageState.users > 0 {
			return
		}
		if _, err := dockerRun(nil, "rmi", "-f", webImage); err != nil {
			t.Errorf("remove %s: %v", webImage, err)
		}
		if webImageState.networkNew {
			dockerRun(nil, "network", "rm", awsvpcNetwork) // fails if another user is attached: fine
		}
	})
}

func buildWebImage(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "webapp"), "./testdata/webapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./testdata/webapp: %v\n%s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY webapp /webapp\nENTRYPOINT [\"/webapp\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return err
	}
	// The classic builder: it needs no buildx plugin and no base image.
	if _, err := dockerRun([]string{"DOCKER_BUILDKIT=0"}, "build", "-q", "-t", webImage, dir); err != nil {
		return err
	}
	return nil
}

// tideContainer is a container of a Tide task, as `docker ps` lists it.
type tideContainer struct {
	id, taskArn, name string
}

// tideContainers lists the containers of tasks of account acct: running
// ones, or all of them.
func tideContainers(t *testing.T, acct string, all bool) []tideContainer {
	t.Helper()
	args := []string{"ps", "--no-trunc", "--filter", "label=com.tide.managed=true", "--format", `{{.ID}}	{{.Label "com.tide.task-arn"}}	{{.Names}}`}
	if all {
		args = append(args, "-a")
	}
	var out []tideContainer
	for line := range strings.Lines(docker(t, args...)) {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) == 3 && strings.Contains(f[1], ":"+acct+":") {
			out = append(out, tideContainer{id: f[0], taskArn: f[1], name: f[2]})
		}
	}
	return out
}

// startDockerServer starts a server whose local agent runs tasks on Docker,
// under an account ID of its own; when the test ends, after the server has
// stopped, it removes every container of that account.
func startDockerServer(t *testing.T) (*tideServer, string) {
	t.Helper()
	acct := fmt.Sprintf("%012d", rand.Int64N(1e12))
	t.Cleanup(func() {
		var ids []string
		for _, c := range tideContainers(t, acct, true) {
			ids = append(ids, c.id)
		}
		if len(ids) > 0 {
			if _, err := dockerRun(nil, append([]string{"rm", "-f"}, ids...)...); err != nil {
				t.Errorf("remove the test's containers: %v", err)
			}
		}
	})
	s := startServer(t, t.TempDir(), "--runtime=docker", "--account-id="+acct)
	t.Cleanup(func() {
		if s.running() {
			reportForeignStops(t, s.ecsClient())
		}
	})
	return s, acct
}

// reportForeignStops logs the tasks whose container exited 0 on its own.
// webapp exits 0 only on SIGTERM, and Tide's own stops have other stop
// codes, so such a task was stopped from outside this server: by another
// Tide agent on the same Docker engine, which stops every Tide container
// that is not its own.
func reportForeignStops(t *testing.T, c *ecs.Client) {
	ctx := context.Background()
	l, err := c.ListTasks(ctx, &ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped})
	if err != nil || len(l.TaskArns) == 0 {
		return
	}
	for chunk := range slices.Chunk(l.TaskArns, 100) {
		d, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: chunk})
		if err != nil {
			return
		}
		for _, tk := range d.Tasks {
			if tk.StopCode == types.TaskStopCodeEssentialContainerExited && len(tk.Containers) > 0 && aws.ToInt32(tk.Containers[0].ExitCode) == 0 && tk.Containers[0].ExitCode != nil {
				t.Logf("WARNING: task %s was stopped from outside this server (its container exited 0 on SIGTERM; another Tide agent on this Docker engine?): %s", taskIDOf(tk), taskState(tk))
			}
		}
	}
}

// webDef is a FARGATE task definition of one container of webImage: port
// 8080, a CMD health check, env REV=rev, and command args when set.
func webDef(family, rev string, args ...string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String(webImage), Essential: aws.Bool(true), Command: args,
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp}},
			HealthCheck: &types.HealthCheck{
				Command:  []string{"CMD", "/webapp", "health"},
				Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(2), StartPeriod: aws.Int32(0),
			},
			Environment: []types.KeyValuePair{{Name: aws.String("REV"), Value: aws.String(rev)}},
			StopTimeout: aws.Int32(2),
		}},
	}
}

// poll calls f every interval until it reports done, and fails the test
// with f's last word when timeout passes first.
func poll(t *testing.T, timeout, interval time.Duration, what string, f func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := f()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last state: %s", what, timeout, state)
		}
		time.Sleep(interval)
	}
}

func describeService(t *testing.T, c *ecs.Client, service string) types.Service {
	t.Helper()
	d := must[*ecs.DescribeServicesOutput](t)(c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: []string{service}}))
	if len(d.Services) != 1 {
		t.Fatalf("DescribeServices %s: %d services, failures %s", service, len(d.Services), jsonString(d.Failures))
	}
	return d.Services[0]
}

// serviceState is what a failure message shows of a service: counts, the
// deployments and the latest events.
func serviceState(s types.Service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %s taskDefinition %s desired %d running %d pending %d\n", aws.ToString(s.Status), aws.ToString(s.TaskDefinition), s.DesiredCount, s.RunningCount, s.PendingCount)
	for _, d := range s.Deployments {
		fmt.Fprintf(&b, "  deployment %s %s %s rollout %s (%s) desired %d running %d pending %d failed %d\n", aws.ToString(d.Id), aws.ToString(d.Status),
			aws.ToString(d.TaskDefinition), d.RolloutState, aws.ToString(d.RolloutStateReason), d.DesiredCount, d.RunningCount, d.PendingCount, d.FailedTasks)
	}
	for i, e := range s.Events {
		if i == 15 {
			fmt.Fprintf(&b, "  ... %d more events\n", len(s.Events)-i)
			break
		}
		fmt.Fprintf(&b, "  event %s %s\n", aws.ToTime(e.CreatedAt).Format("15:04:05.000"), aws.ToString(e.Message))
	}
	return b.String()
}

// taskState is a one-line summary of a task.
func taskState(tk types.Task) string {
	s := fmt.Sprintf("%s %s/%s health %s td %s", taskIDOf(tk), aws.ToString(tk.LastStatus), aws.ToString(tk.DesiredStatus), tk.HealthStatus, aws.ToString(tk.TaskDefinitionArn))
	if tk.StopCode != "" || tk.StoppedReason != nil {
		s += fmt.Sprintf(" stopCode %s reason %q", tk.StopCode, aws.ToString(tk.StoppedReason))
	}
	for _, c := range tk.Containers {
		s += fmt.Sprintf(" [%s runtimeId %.12s health %s", aws.ToString(c.Name), aws.ToString(c.RuntimeId), c.HealthStatus)
		if c.ExitCode != nil {
			s += fmt.Sprintf(" exit %d", *c.ExitCode)
		}
		if c.Reason != nil {
			s += fmt.Sprintf(" reason %q", *c.Reason)
		}
		s += "]"
	}
	return s
}

func tasksState(tasks []types.Task) string {
	var out []string
	for _, tk := range tasks {
		out = append(out, taskState(tk))
	}
	return fmt.Sprintf("%d tasks: %s", len(tasks), strings.Join(out, "; "))
}

// waitHealthyTasks waits until the service runs n tasks, all HEALTHY, and
// returns them.
func waitHealthyTasks(t *testing.T, c *ecs.Client, service string, n int, timeout time.Duration) []types.Task {
	t.Helper()
	var tasks []types.Task
	poll(t, timeout, 250*time.Millisecond, fmt.Sprintf("%d HEALTHY tasks of %s", n, service), func() (bool, string) {
		tasks = runningTasks(t, c, service)
		if len(tasks) != n {
			return false, tasksState(tasks)
		}
		for _, tk := range tasks {
			if tk.HealthStatus != types.HealthStatusHealthy {
				return false, tasksState(tasks)
			}
		}
		return true, ""
	})
	return tasks
}

// taskIP is the task's address on the awsvpc network.
func taskIP(t *testing.T, tk types.Task) string {
	t.Helper()
	if len(tk.Containers) == 0 || len(tk.Containers[0].NetworkInterfaces) == 0 || aws.ToString(tk.Containers[0].NetworkInterfaces[0].PrivateIpv4Address) == "" {
		t.Fatalf("task has no networkInterfaces privateIpv4Address: %s", jsonString(tk.Containers))
	}
	return aws.ToString(tk.Containers[0].NetworkInterfaces[0].PrivateIpv4Address)
}

// getBody fetches url until it answers 200 or timeout passes.
func getBody(t *testing.T, url string, timeout time.Duration) string {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	var body string
	poll(t, timeout, 200*time.Millisecond, "GET "+url, func() (bool, string) {
		resp, err := client.Get(url)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return false, fmt.Sprintf("%s %v %q", resp.Status, err, b)
		}
		body = string(b)
		return true, ""
	})
	return body
}

// checkWebTasks checks the tasks against Docker and over HTTP: each one's
// runtimeId is a running container of that task, and its awsvpc address
// answers from that container.
func checkWebTasks(t *testing.T, acct string, tasks []types.Task) {
	t.Helper()
	running := map[string]tideContainer{}
	for _, ct := range tideContainers(t, acct, false) {
		running[ct.id] = ct
	}
	for _, tk := range tasks {
		id := aws.ToString(tk.Containers[0].RuntimeId)
		ct, ok := running[id]
		if !ok {
			t.Fatalf("task %s: runtimeId %q is not a running container in docker ps (%d running: %v)", taskIDOf(tk), id, len(running), running)
		}
		if ct.taskArn != aws.ToString(tk.TaskArn) || ct.name != "tide-"+taskIDOf(tk)+"-web" {
			t.Errorf("container %.12s is %s of %s, want tide-%s-web of %s", id, ct.name, ct.taskArn, taskIDOf(tk), aws.ToString(tk.TaskArn))
		}
		body := getBody(t, "http://"+taskIP(t, tk)+":8080/", 10*time.Second)
		if want := "ok " + id[:12] + "\n"; body != want { // Docker's default hostname is the short container ID
			t.Errorf("GET http://%s:8080/ answered %q, want %q", taskIP(t, tk), body, want)
		}
	}
}

func deleteServiceAndWait(t *testing.T, c *ecs.Client, service string) {
	t.Helper()
	ctx := context.Background()
	must[*ecs.DeleteServiceOutput](t)(c.DeleteService(ctx, &ecs.DeleteServiceInput{Service: aws.String(service), Force: aws.Bool(true)}))
	w := ecs.NewServicesInactiveWaiter(c, func(o *ecs.ServicesInactiveWaiterOptions) { o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second })
	if err := w.Wait(ctx, &ecs.DescribeServicesInput{Services: []string{service}}, time.Minute); err != nil {
		t.Fatalf("service %s not INACTIVE after a forced delete: %v\n%s", service, err, serviceState(describeService(t, c, service)))
	}
}

// stoppedTasks are the service's tasks whose desired status is STOPPED.
func stoppedTasks(t *testing.T, c *ecs.Client, service string) []types.Task {
	t.Helper()
	ctx := context.Background()
	l := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{ServiceName: aws.String(service), DesiredStatus: types.DesiredStatusStopped}))
	if len(l.TaskArns) == 0 {
		return nil
	}
	return must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: l.TaskArns})).Tasks
}

// TestDockerServiceLifecycle runs a service of 2 on the docker runtime:
// steady state with HEALTHY tasks reachable at their awsvpc addresses, a
// killed container's task stopped and replaced, a rollout to a second
// revision, and a forced delete that leaves no container running.
func TestDockerServiceLifecycle(t *testing.T) {
	needDockerEngine(t)
	useWebImage(t)
	s, acct := startDockerServer(t)
	c := s.ecsClient()
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	rev1 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webDef("web", "1"))).TaskDefinition
	start := time.Now()
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: rev1.TaskDefinitionArn, DesiredCount: aws.Int32(2),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
	}))
	waitStable(t, c, "web", 90*time.Second)
	t.Logf("service stable with 2 tasks in %s", time.Since(start).Round(time.Millisecond))
	tasks := waitHealthyTasks(t, c, "web", 2, 30*time.Second)
	t.Logf("both tasks HEALTHY %s after CreateService", time.Since(start).Round(time.Millisecond))
	seen := arnsOf(tasks)
	for _, tk := range tasks {
		if got := tk.Containers[0].HealthStatus; got != types.HealthStatusHealthy {
			t.Errorf("task %s is HEALTHY but its container is %s", taskIDOf(tk), got)
		}
	}
	checkWebTasks(t, acct, tasks)

	// docker kill one task's container: the task stops with exit code 137
	// and the service replaces it.
	victim := tasks[0]
	killedAt := time.Now()
	docker(t, "kill", aws.ToString(victim.Containers[0].RuntimeId))
	poll(t, 60*time.Second, 250*time.Millisecond, "killed task stopped and replaced", func() (bool, string) {
		v := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(victim.TaskArn)}})).Tasks[0]
		now := runningTasks(t, c, "web")
		state := "victim " + taskState(v) + "; running " + tasksState(now)
		if aws.ToString(v.LastStatus) != "STOPPED" || len(now) != 2 || slices.Contains(arnsOf(now), aws.ToString(victim.TaskArn)) {
			return false, state
		}
		if v.StopCode != types.TaskStopCodeEssentialContainerExited || v.Containers[0].ExitCode == nil || *v.Containers[0].ExitCode != 137 {
			t.Fatalf("killed task stopped, but not as a killed container: %s", state)
		}
		return true, ""
	})
	t.Logf("killed task STOPPED (EssentialContainerExited, exit 137) and replaced in %s", time.Since(killedAt).Round(time.Millisecond))
	waitStable(t, c, "web", 60*time.Second)
	tasks = waitHealthyTasks(t, c, "web", 2, 30*time.Second)
	for _, tk := range tasks {
		if aws.ToString(tk.TaskArn) == aws.ToString(victim.TaskArn) {
			t.Fatalf("the killed task %s still counts as running", taskIDOf(tk))
		}
		seen = append(seen, aws.ToString(tk.TaskArn))
	}
	checkWebTasks(t, acct, tasks)

	// A second revision (another REV) rolls out.
	rev2 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webDef("web", "2"))).TaskDefinition
	rolloutAt := time.Now()
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: rev2.TaskDefinitionArn}))
	waitStable(t, c, "web", 90*time.Second)
	t.Logf("rollout to revision 2 stable in %s", time.Since(rolloutAt).Round(time.Millisecond))
	tasks = runningTasks(t, c, "web")
	if len(tasks) != 2 {
		t.Fatalf("after the rollout: %s", tasksState(tasks))
	}
	for _, tk := range tasks {
		if aws.ToString(tk.TaskDefinitionArn) != aws.ToString(rev2.TaskDefinitionArn) {
			t.Fatalf("after the rollout a task runs %s: %s", aws.ToString(tk.TaskDefinitionArn), tasksState(tasks))
		}
		seen = append(seen, aws.ToString(tk.TaskArn))
		if got := strings.TrimSpace(getBody(t, "http://"+taskIP(t, tk)+":8080/env/REV", 10*time.Second)); got != "2" {
			t.Errorf("task %s of revision 2 has REV=%q", taskIDOf(tk), got)
		}
	}
	svc := describeService(t, c, "web")
	if len(svc.Deployments) != 1 || aws.ToString(svc.Deployments[0].Status) != "PRIMARY" || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted ||
		aws.ToString(svc.Deployments[0].TaskDefinition) != aws.ToString(rev2.TaskDefinitionArn) {
		t.Fatalf("deployments after the rollout, want one COMPLETED PRIMARY of revision 2:\n%s", serviceState(svc))
	}
	tasks = waitHealthyTasks(t, c, "web", 2, 30*time.Second)
	checkWebTasks(t, acct, tasks)

	// A forced delete stops every task; no container of the service runs.
	deletedAt := time.Now()
	deleteServiceAndWait(t, c, "web")
	t.Logf("service INACTIVE %s after DeleteService", time.Since(deletedAt).Round(time.Millisecond))
	poll(t, 30*time.Second, 250*time.Millisecond, "no container of the deleted service in docker ps", func() (bool, string) {
		var left []string
		for _, ct := range tideContainers(t, acct, false) {
			if slices.Contains(seen, ct.taskArn) {
				left = append(left, ct.name)
			}
		}
		return len(left) == 0, fmt.Sprint("still running: ", left)
	})
	t.Logf("no container of the service runs %s after DeleteService", time.Since(deletedAt).Round(time.Millisecond))
	d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: seen}))
	for _, tk := range d.Tasks {
		if aws.ToString(tk.LastStatus) != "STOPPED" {
			t.Errorf("task of the deleted service: %s", taskState(tk))
		}
	}
}

// TestDockerCircuitBreakerRollback rolls a healthy service of 2 out to a
// revision whose containers crash at once, with the deployment circuit
// breaker on and rollback: the deployment fails, a new PRIMARY deployment
// of revision 1 replaces it, and the service is steady again on revision 1.
func TestDockerCircuitBreakerRollback(t *testing.T) {
	needDockerEngine(t)
	useWebImage(t)
	s, _ := startDockerServer(t)
	c := s.ecsClient()
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	rev1 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webDef("cb", "1"))).TaskDefinition
	start := time.Now()
	created := must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("cb"), TaskDefinition: rev1.TaskDefinitionArn, DesiredCount: aws.Int32(2),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
	})).Service
	t.Cleanup(func() {
		if s.running() {
			c.DeleteService(context.Background(), &ecs.DeleteServiceInput{Service: aws.String("cb"), Force: aws.Bool(true)})
		}
	})
	waitStable(t, c, "cb", 90*time.Second)
	original := waitHealthyTasks(t, c, "cb", 2, 30*time.Second)
	t.Logf("revision 1 stable and HEALTHY in %s", time.Since(start).Round(time.Millisecond))
	firstDeployment := aws.ToString(created.Deployments[0].Id)

	rev2 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webDef("cb", "2", "crash"))).TaskDefinition
	updatedAt := time.Now()
	upd := must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{
		Service: aws.String("cb"), TaskDefinition: rev2.TaskDefinitionArn,
		DeploymentConfiguration: &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true},
			MaximumPercent:           aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
		},
	})).Service
	failedID := aws.ToString(upd.Deployments[0].Id)
	if aws.ToString(upd.Deployments[0].TaskDefinition) != aws.ToString(rev2.TaskDefinitionArn) {
		t.Fatalf("UpdateService: PRIMARY is not of revision 2:\n%s", serviceState(*upd))
	}

	// While revision 2 fails, the original tasks must keep running: with
	// minimumHealthyPercent 100 ECS stops an old task only for a new one
	// that passed its health checks, and none of revision 2 ever does.
	var svc types.Service
	var stoppedOriginals []string
	poll(t, 90*time.Second, 250*time.Millisecond, "circuit breaker trips and rolls back", func() (bool, string) {
		svc = describeService(t, c, "cb")
		d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: arnsOf(original)}))
		for _, tk := range d.Tasks {
			if aws.ToString(tk.DesiredStatus) == "STOPPED" && !slices.Contains(stoppedOriginals, taskIDOf(tk)) {
				stoppedOriginals = append(stoppedOriginals, taskIDOf(tk))
				t.Logf("%s after UpdateService, an original revision 1 task is stopped: %s", time.Since(updatedAt).Round(time.Millisecond), taskState(tk))
			}
		}
		var failed, primary *types.Deployment
		for i, dep := range svc.Deployments {
			if aws.ToString(dep.Id) == failedID && dep.RolloutState == types.DeploymentRolloutStateCompleted {
				// Final in ECS: a COMPLETED deployment neither fails nor rolls
				// back. Its tasks crash 200 ms after they start and never
				// pass a health check, so it must never have completed.
				t.Fatalf("%s after UpdateService, the deployment of the crashing revision 2 is COMPLETED; the circuit breaker can no longer trip.\n%s\nits stopped tasks: %s",
					time.Since(updatedAt).Round(time.Millisecond), serviceState(svc), tasksState(stoppedTasks(t, c, "cb")))
			}
			if aws.ToString(dep.Id) == failedID && dep.RolloutState == types.DeploymentRolloutStateFailed {
				failed = &svc.Deployments[i]
			}
			if aws.ToString(dep.Status) == "PRIMARY" {
				primary = &svc.Deployments[i]
			}
		}
		if failed == nil || primary == nil || aws.ToString(primary.Id) == failedID {
			return false, serviceState(svc)
		}
		if aws.ToString(primary.TaskDefinition) != aws.ToString(rev1.TaskDefinitionArn) || aws.ToString(primary.Id) == firstDeployment {
			t.Fatalf("the circuit breaker tripped, but the new PRIMARY is not a new deployment of revision 1 (%s):\n%s", aws.ToString(rev1.TaskDefinitionArn), serviceState(svc))
		}
		if failed.FailedTasks < 3 {
			t.Errorf("the failed deployment counts %d failed tasks; ECS's threshold for 2 desired tasks is 3", failed.FailedTasks)
		}
		return true, ""
	})
	t.Logf("circuit breaker tripped and rolled back %s after UpdateService:\n%s", time.Since(updatedAt).Round(time.Millisecond), serviceState(svc))
	var failureEvent bool
	for _, e := range svc.Events {
		if m := aws.ToString(e.Message); strings.Contains(m, failedID) && strings.Contains(m, "failed") {
			failureEvent = true
		}
	}
	if !failureEvent {
		t.Errorf("no service event tells that deployment %s failed:\n%s", failedID, serviceState(svc))
	}
	if len(stoppedOriginals) > 0 {
		t.Errorf("revision 1 tasks %v were stopped during the rollout of a revision whose tasks never became HEALTHY (minimumHealthyPercent 100)", stoppedOriginals)
	}

	rolledBackAt := time.Now()
	waitStable(t, c, "cb", 60*time.Second)
	t.Logf("steady again %s after the rollback (%s after UpdateService)", time.Since(rolledBackAt).Round(time.Millisecond), time.Since(updatedAt).Round(time.Millisecond))
	svc = describeService(t, c, "cb")
	if aws.ToString(svc.TaskDefinition) != aws.ToString(rev1.TaskDefinitionArn) || len(svc.Deployments) != 1 ||
		svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted || aws.ToString(svc.Deployments[0].TaskDefinition) != aws.ToString(rev1.TaskDefinitionArn) {
		t.Errorf("after the rollback, want the service on revision 1 with one COMPLETED deployment of it:\n%s", serviceState(svc))
	}
	tasks := waitHealthyTasks(t, c, "cb", 2, 30*time.Second)
	for _, tk := range tasks {
		if aws.ToString(tk.TaskDefinitionArn) != aws.ToString(rev1.TaskDefinitionArn) {
			t.Errorf("after the rollback a task runs %s: %s", aws.ToString(tk.TaskDefinitionArn), tasksState(tasks))
		}
	}
	t.Logf("final state:\n%s", serviceState(svc))
	deleteServiceAndWait(t, c, "cb")
}
