package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// startServerWithAgent starts a server whose local agent runs tasks with the
// given runtime. Tasks outlive their agent by design, so when the test ends
// it kills every process task the agent started.
func startServerWithAgent(t *testing.T, dataDir, runtime string) *tideServer {
	t.Cleanup(func() { killProcessTasks(filepath.Join(dataDir, "agent", "process")) })
	return startServer(t, dataDir, "--runtime="+runtime)
}

// killProcessTasks kills the process groups recorded in a process runtime's
// state directory.
func killProcessTasks(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "task.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var st struct {
			Containers []struct {
				Pid int `json:"pid"`
			} `json:"containers"`
		}
		if json.Unmarshal(b, &st) == nil {
			for _, c := range st.Containers {
				if c.Pid > 1 {
					syscall.Kill(-c.Pid, syscall.SIGKILL)
				}
			}
		}
	}
}

func taskIDOf(tk types.Task) string {
	arn := aws.ToString(tk.TaskArn)
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

// killContainer kills a process task's command (not its supervisor), as if
// the application crashed.
func killContainer(t *testing.T, tk types.Task) {
	t.Helper()
	sup := pidOf(t, tk)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", sup, sup))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// fargateDef is a FARGATE task definition whose one container runs argv as a
// host process (the process runtime ignores the image).
func fargateDef(family string, argv ...string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app:1"), EntryPoint: argv}},
	}
}

var awsvpc = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-local"}}}

func waitStable(t *testing.T, c *ecs.Client, service string, timeout time.Duration) {
	t.Helper()
	w := ecs.NewServicesStableWaiter(c, func(o *ecs.ServicesStableWaiterOptions) { o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second })
	if err := w.Wait(context.Background(), &ecs.DescribeServicesInput{Services: []string{service}}, timeout); err != nil {
		d, _ := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Services: []string{service}})
		if d != nil && len(d.Services) > 0 {
			s := d.Services[0]
			var ev []string
			for _, e := range s.Events {
				ev = append(ev, aws.ToString(e.Message))
			}
			t.Fatalf("service %s not stable: %v; running %d pending %d desired %d, %d deployments; events %q", service, err, s.RunningCount, s.PendingCount, s.DesiredCount, len(s.Deployments), ev)
		}
		t.Fatal(err)
	}
}

func runningTasks(t *testing.T, c *ecs.Client, service string) []types.Task {
	t.Helper()
	ctx := context.Background()
	l := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{ServiceName: aws.String(service)}))
	if len(l.TaskArns) == 0 {
		return nil
	}
	d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: l.TaskArns}))
	var out []types.Task
	for _, tk := range d.Tasks {
		if aws.ToString(tk.LastStatus) == "RUNNING" {
			out = append(out, tk)
		}
	}
	return out
}

func pidOf(t *testing.T, tk types.Task) int {
	t.Helper()
	pid, err := strconv.Atoi(aws.ToString(tk.Containers[0].RuntimeId))
	if err != nil || pid <= 1 {
		t.Fatalf("task %s has runtime id %q", aws.ToString(tk.TaskArn), aws.ToString(tk.Containers[0].RuntimeId))
	}
	return pid
}

func arnsOf(tasks []types.Task) []string {
	var out []string
	for _, tk := range tasks {
		out = append(out, aws.ToString(tk.TaskArn))
	}
	slices.Sort(out)
	return out
}

// TestServiceLifecycleProcess runs a service of 3 on the process runtime:
// it reaches a steady state, a killed task is replaced, a new task
// definition rolls out, a server restart keeps the same tasks, and deleting
// the service stops them.
func TestServiceLifecycleProcess(t *testing.T) {
	dir := t.TempDir()
	s := startServerWithAgent(t, dir, "process")
	c := s.ecsClient()
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, fargateDef("sleeper", "sleep", "301")))
	start := time.Now()
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: aws.String("sleeper"), DesiredCount: aws.Int32(3), NetworkConfiguration: awsvpc,
	}))
	waitStable(t, c, "web", time.Minute)
	t.Logf("3 tasks RUNNING and the service stable in %s", time.Since(start).Round(time.Millisecond))
	tasks := runningTasks(t, c, "web")
	if len(tasks) != 3 {
		t.Fatalf("%d running tasks, want 3", len(tasks))
	}
	// Every running task's usage is exported for Prometheus within a poll or two.
	deadline := time.Now().Add(10 * time.Second)
	for {
		metrics := httpGet(t, s.url+"/metrics")
		missing := 0
		for _, tk := range tasks {
			if !strings.Contains(metrics, `task_id="`+taskIDOf(tk)+`",container="app"} `) {
				missing++
			}
		}
		if missing == 0 && strings.Contains(metrics, "tide_container_memory_bytes{cluster=\"default\",service=\"web\"") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %d of the 3 tasks:\n%s", missing, metrics)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A steady service writes nothing but heartbeats (one per agent every few
	// seconds): no record is rewritten when nothing changed.
	rev := func() int64 {
		var h struct {
			Revision int64 `json:"revision"`
		}
		json.Unmarshal([]byte(httpGet(t, s.url+"/_tide/health")), &h)
		return h.Revision
	}
	r0 := rev()
	time.Sleep(4 * time.Second)
	if writes := rev() - r0; writes > 3 {
		t.Fatalf("%d store writes in 4 s of a steady service: records are rewritten without change", writes)
	}

	// Kill one task's process: the service replaces it.
	victim := tasks[0]
	killContainer(t, victim)
	deadline = time.Now().Add(time.Minute)
	for {
		d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(victim.TaskArn)}}))
		v := d.Tasks[0]
		now := runningTasks(t, c, "web")
		if aws.ToString(v.LastStatus) == "STOPPED" && len(now) == 3 && !slices.Contains(arnsOf(now), aws.ToString(victim.TaskArn)) {
			if v.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToInt32(v.Containers[0].ExitCode) != 137 {
				t.Fatalf("killed task: stopCode %s exit %d reason %q", v.StopCode, aws.ToInt32(v.Containers[0].ExitCode), aws.ToString(v.StoppedReason))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed task not replaced: victim %s, %d running", aws.ToString(v.LastStatus), len(now))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A new revision rolls out; every task is of it afterwards.
	rev2 := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, fargateDef("sleeper", "sleep", "302")))
	must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: rev2.TaskDefinition.TaskDefinitionArn}))
	// Within the percentages (200/100 by default): never more than 6 tasks,
	// never fewer than 3 running, until the rollout completes.
	maxTotal, minRunning := 0, 3
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		svc := must[*ecs.DescribeServicesOutput](t)(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Services: []string{"web"}})).Services[0]
		maxTotal = max(maxTotal, int(svc.RunningCount+svc.PendingCount))
		minRunning = min(minRunning, int(svc.RunningCount))
		if len(svc.Deployments) == 1 && svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted {
			break
		}
	}
	if maxTotal > 6 || minRunning < 3 {
		t.Fatalf("rollout broke the percentages: up to %d tasks (max 6), down to %d running (min 3)", maxTotal, minRunning)
	}
	t.Logf("rollout: up to %d tasks, never fewer than %d running", maxTotal, minRunning)
	waitStable(t, c, "web", time.Minute)
	tasks = runningTasks(t, c, "web")
	for _, tk := range tasks {
		if aws.ToString(tk.TaskDefinitionArn) != aws.ToString(rev2.TaskDefinition.TaskDefinitionArn) {
			t.Fatalf("after the rollout a task runs %s", aws.ToString(tk.TaskDefinitionArn))
		}
	}
	svc := must[*ecs.DescribeServicesOutput](t)(c.DescribeServices(ctx, &ecs.DescribeServicesInput{Services: []string{"web"}})).Services[0]
	if len(svc.Deployments) != 1 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted {
		t.Fatalf("deployments after rollout: %d, state %s", len(svc.Deployments), svc.Deployments[0].RolloutState)
	}

	// A server restart leaves the same tasks running, none duplicated.
	before := arnsOf(tasks)
	pids := map[int]bool{}
	for _, tk := range tasks {
		pids[pidOf(t, tk)] = true
	}
	s.stop(t)
	s = startServerWithAgent(t, dir, "process")
	c = s.ecsClient()
	time.Sleep(3 * time.Second) // a few reconcile passes and polls
	waitStable(t, c, "web", time.Minute)
	after := runningTasks(t, c, "web")
	if fmt.Sprint(arnsOf(after)) != fmt.Sprint(before) {
		t.Fatalf("tasks changed across a server restart:\nbefore %v\nafter  %v", before, arnsOf(after))
	}
	for _, tk := range after {
		if !pids[pidOf(t, tk)] {
			t.Fatalf("task %s has a new process after the restart", aws.ToString(tk.TaskArn))
		}
	}

	// Deleting the service stops its tasks.
	must[*ecs.DeleteServiceOutput](t)(c.DeleteService(ctx, &ecs.DeleteServiceInput{Service: aws.String("web"), Force: aws.Bool(true)}))
	w := ecs.NewServicesInactiveWaiter(c, func(o *ecs.ServicesInactiveWaiterOptions) { o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second })
	if err := w.Wait(ctx, &ecs.DescribeServicesInput{Services: []string{"web"}}, time.Minute); err != nil {
		t.Fatal(err)
	}
	for pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			deadline := time.Now().Add(10 * time.Second)
			for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if syscall.Kill(pid, 0) == nil {
				t.Fatalf("process %d of a deleted service still runs", pid)
			}
		}
	}
}

// TestRunTaskRunsAndStops runs a one-off task to completion: RUNNING, then
// STOPPED with its exit code, and tasks-running / tasks-stopped waiters.
func TestRunTaskRunsAndStops(t *testing.T) {
	s := startServerWithAgent(t, t.TempDir(), "process")
	c := s.ecsClient()
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, fargateDef("job", "sh", "-c", "sleep 2; exit 3")))
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("job"), NetworkConfiguration: awsvpc}))
	arn := aws.ToString(run.Tasks[0].TaskArn)
	wr := ecs.NewTasksRunningWaiter(c, func(o *ecs.TasksRunningWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 500*time.Millisecond
	})
	if err := wr.Wait(ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}}, 30*time.Second); err != nil {
		tk := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}})).Tasks[0]
		t.Fatalf("%v: task %s, stopCode %s, reason %q, container reason %q", err, aws.ToString(tk.LastStatus), tk.StopCode, aws.ToString(tk.StoppedReason), aws.ToString(tk.Containers[0].Reason))
	}
	ws := ecs.NewTasksStoppedWaiter(c, func(o *ecs.TasksStoppedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 500*time.Millisecond
	})
	if err := ws.Wait(ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// StopTask on a running task: STOPPED only once its process is gone, with
	// the exit code of the SIGTERM (143).
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, fargateDef("long", "sleep", "60")))
	long := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("long"), NetworkConfiguration: awsvpc})).Tasks[0].TaskArn
	if err := wr.Wait(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(long)}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	must[*ecs.StopTaskOutput](t)(c.StopTask(ctx, &ecs.StopTaskInput{Task: long}))
	if err := ws.Wait(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(long)}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	lt := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(long)}})).Tasks[0]
	if aws.ToInt32(lt.Containers[0].ExitCode) != 143 || lt.StopCode != types.TaskStopCodeUserInitiated {
		t.Fatalf("stopped task: exit %v, stopCode %s", lt.Containers[0].ExitCode, lt.StopCode)
	}

	tk := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}})).Tasks[0]
	if aws.ToInt32(tk.Containers[0].ExitCode) != 3 || tk.StopCode != types.TaskStopCodeEssentialContainerExited ||
		tk.StartedAt == nil || tk.StoppedAt == nil || aws.ToString(tk.StoppedReason) != "Essential container in task exited" {
		t.Fatalf("stopped task: exit %d, stopCode %s, reason %q", aws.ToInt32(tk.Containers[0].ExitCode), tk.StopCode, aws.ToString(tk.StoppedReason))
	}
}
