package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// startAgent runs `tide agent` as its own process, joining the default
// cluster of s with the process runtime.
func startAgent(t *testing.T, s *tideServer, az string) *exec.Cmd {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { killProcessTasks(filepath.Join(dir, "process")) })
	cmd := exec.Command(tideBin, "agent", "--server", s.url, "--cluster", "default", "--runtime", "process",
		"--data-dir", dir, "--availability-zone", az, "--cpu", "2048", "--memory", "2048")
	cmd.Env = append(cleanEnv(), "TIDE_ACCESS_KEY_ID="+testAccessKeyID, "TIDE_SECRET_ACCESS_KEY="+testSecretAccessKey)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("agent %s output:\n%s", az, tail(out.String(), 4000))
		}
	})
	return cmd
}

// TestAgentLossReplacesTasks runs a service of 2 on two `tide agent` hosts
// (EC2 capacity), kills one agent with SIGKILL, and checks that its task is
// stopped and replaced on the other host.
func TestAgentLossReplacesTasks(t *testing.T) {
	s := startServer(t, t.TempDir(), "--local-agent=false", "--agent-heartbeat-timeout=3s")
	c := s.ecsClient()
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	a := startAgent(t, s, "us-east-1a")
	startAgent(t, s, "us-east-1b")
	deadline := time.Now().Add(30 * time.Second)
	for {
		l := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Filter: aws.String("agentConnected == true")}))
		if len(l.ContainerInstanceArns) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d agents registered, want 2", len(l.ContainerInstanceArns))
		}
		time.Sleep(100 * time.Millisecond)
	}
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("ec2sleeper"), RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app:1"), Memory: aws.Int32(64), EntryPoint: []string{"sleep", "303"}}},
	}))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("spread"), TaskDefinition: aws.String("ec2sleeper"), DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeEc2,
	}))
	waitStable(t, c, "spread", time.Minute)
	tasks := runningTasks(t, c, "spread")
	zones := map[string]bool{}
	for _, tk := range tasks {
		zones[aws.ToString(tk.AvailabilityZone)] = true
	}
	if len(tasks) != 2 || len(zones) != 2 {
		t.Fatalf("%d tasks over zones %v: the default strategy spreads by zone", len(tasks), zones)
	}
	var lost types.Task
	for _, tk := range tasks {
		if aws.ToString(tk.AvailabilityZone) == "us-east-1a" {
			lost = tk
		}
	}
	a.Process.Kill()
	deadline = time.Now().Add(45 * time.Second)
	for {
		d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(lost.TaskArn)}})).Tasks[0]
		now := runningTasks(t, c, "spread")
		if aws.ToString(d.LastStatus) == "STOPPED" && len(now) == 2 {
			for _, tk := range now {
				if aws.ToString(tk.AvailabilityZone) != "us-east-1b" {
					t.Fatalf("replacement placed in %s, where the agent is dead", aws.ToString(tk.AvailabilityZone))
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lost task %s; %d running", aws.ToString(d.LastStatus), len(now))
		}
		time.Sleep(200 * time.Millisecond)
	}
	ci := must[*ecs.DescribeContainerInstancesOutput](t)(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{aws.ToString(lost.ContainerInstanceArn)}})).ContainerInstances[0]
	if ci.AgentConnected {
		t.Fatal("the killed agent's instance still reports agentConnected")
	}
}
