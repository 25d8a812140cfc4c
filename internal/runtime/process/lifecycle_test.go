package process

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tide/internal/runtime"
)

func TestExitCodes(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	tests := []struct {
		name      string
		container runtime.ContainerSpec
		want      int32
	}{
		{"exit 3", shellContainer("c", "exit 3"), 3},
		{"found in PATH", runtime.ContainerSpec{Name: "c", Command: []string{"true"}}, 0},
		{"killed by a signal", shellContainer("c", "kill -KILL $$"), 137},
		{"leaves a child behind", shellContainer("c", "sleep 60 & exit 5"), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arn := "task/" + tt.name
			start(t, r, arn, tt.container)
			c := await(t, r, arn, "c", 5*time.Second, "exited", exited)
			if exitCode(c) != tt.want || c.Reason != "" {
				t.Errorf("exit %d reason %q, want %d", exitCode(c), c.Reason, tt.want)
			}
			if c.StartedAt.IsZero() || c.FinishedAt.Before(c.StartedAt.Add(-time.Second)) {
				t.Errorf("started %v finished %v", c.StartedAt, c.FinishedAt)
			}
			// Like a container's init, the supervisor takes the rest of
			// the group with it.
			pgid, _ := strconv.Atoi(c.RuntimeID)
			if !waitFor(context.Background(), 5*time.Second, func() bool { return groupMembers(pgid) == 0 }) {
				t.Errorf("process group %d outlived its container", pgid)
			}
		})
	}
}

func TestStop(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    int32
		minTime time.Duration
	}{
		{name: "SIGTERM ends it", script: "echo ready; exec sleep 60", timeout: 10 * time.Second, want: 143},
		{name: "SIGKILL after StopTimeout", script: "trap '' TERM; echo ready; exec sleep 60", timeout: 300 * time.Millisecond, want: 137, minTime: 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arn := "task/" + tt.name
			c := shellContainer("c", tt.script)
			c.StopTimeout = tt.timeout
			c.LogDir = t.TempDir()
			start(t, r, arn, c)
			waitLog(t, filepath.Join(c.LogDir, "c.log"), "ready")

			began := time.Now()
			var wg sync.WaitGroup
			for range 2 { // concurrent Stops both wait for the end
				wg.Go(func() {
					if err := r.Stop(context.Background(), arn); err != nil {
						t.Errorf("Stop: %v", err)
					}
				})
			}
			wg.Wait()
			took := time.Since(began)
			if took < tt.minTime || took > 5*time.Second {
				t.Errorf("Stop took %s", took)
			}
			got, _ := find(t, r, arn, "c")
			if !exited(got) || exitCode(got) != tt.want {
				t.Errorf("after Stop: %s exit %d, want exited %d", got.State, exitCode(got), tt.want)
			}
			if err := r.Stop(context.Background(), arn); err != nil {
				t.Errorf("Stop of a stopped task: %v", err)
			}
		})
	}
}

// waitLog waits until the file holds want.
func waitLog(t *testing.T, path, want string) {
	t.Helper()
	if !waitFor(context.Background(), 5*time.Second, func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), want)
	}) {
		t.Fatalf("%s never said %q", path, want)
	}
}

// agentMain is the test binary as an agent that starts two tasks, says so,
// and waits to be killed.
func agentMain() int {
	r, err := New(os.Getenv("TIDE_TEST_DIR"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	waiter := shellContainer("c", `while [ ! -e "$DONE" ]; do sleep 0.02; done; exit 7`)
	waiter.Env = []string{"DONE=" + os.Getenv("TIDE_TEST_DONE")}
	for _, spec := range []runtime.TaskSpec{
		{TaskArn: "task/waiter", Containers: []runtime.ContainerSpec{waiter}},
		{TaskArn: "task/sleeper", Containers: []runtime.ContainerSpec{{Name: "c", Command: []string{"sleep", "60"}}}},
	} {
		if err := r.Start(context.Background(), spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("started")
	time.Sleep(time.Minute)
	return 1
}

func TestNewRuntimeAdoptsTasksOfKilledAgent(t *testing.T) {
	dir, flags := t.TempDir(), t.TempDir()
	done := filepath.Join(flags, "done")
	t.Cleanup(func() { // whatever happens, kill what the agent started
		if r, err := New(dir, nil); err == nil {
			killAll(t, r)
		}
	})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	agent := exec.Command(exe)
	agent.Env = append(os.Environ(), helperEnv+"=agent", "TIDE_TEST_DIR="+dir, "TIDE_TEST_DONE="+done)
	agent.Stderr = os.Stderr
	out, err := agent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer time.AfterFunc(10*time.Second, func() { agent.Process.Kill() }).Stop()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "started\n" {
		t.Fatalf("agent said %q, %v", line, err)
	}
	agent.Process.Kill() // SIGKILL: the agent cannot clean up
	agent.Wait()

	r := newRuntime(t, dir)
	c := await(t, r, "task/waiter", "c", time.Second, "running", running)
	if c.RuntimeID == "" || c.StartedAt.IsZero() {
		t.Errorf("adopted container %+v", c)
	}
	if err := os.WriteFile(done, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c = await(t, r, "task/waiter", "c", 5*time.Second, "exited", exited)
	if exitCode(c) != 7 {
		t.Errorf("exit %d, want 7", exitCode(c))
	}

	if err := r.Stop(context.Background(), "task/sleeper"); err != nil {
		t.Fatal(err)
	}
	if c, _ := find(t, r, "task/sleeper", "c"); exitCode(c) != 143 {
		t.Errorf("sleeper stopped by the new runtime: exit %d, want 143", exitCode(c))
	}
}

func TestStartFailureLeavesNothing(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	sleeper := runtime.ContainerSpec{Name: "first", Command: []string{"sleep", "60"}}
	tests := []struct {
		name string
		c    runtime.ContainerSpec
		want string
	}{
		{"no command", runtime.ContainerSpec{Name: "c", Image: "nginx"}, "no entryPoint or command"},
		{"not in PATH", runtime.ContainerSpec{Name: "c", Command: []string{"no-such-program-tide"}}, "executable file not found"},
		{"missing path", runtime.ContainerSpec{Name: "c", Command: []string{"./nope"}, WorkingDirectory: "/"}, "no such file"},
		{"missing working directory", runtime.ContainerSpec{Name: "c", Command: []string{"true"}, WorkingDirectory: "/no/such/dir"}, "does not exist"},
		{"unknown ulimit", runtime.ContainerSpec{Name: "c", Command: []string{"true"}, Ulimits: []runtime.Ulimit{{Name: "bogus"}}}, "unknown ulimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := "task/" + tt.name
			err := r.Start(context.Background(), runtime.TaskSpec{TaskArn: arn, Containers: []runtime.ContainerSpec{sleeper, tt.c}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start error = %v, want one saying %q", err, tt.want)
			}
			if _, ok := find(t, r, arn, "first"); ok {
				t.Errorf("failed task still listed")
			}
			if _, err := os.Stat(r.taskDir(arn)); !os.IsNotExist(err) {
				t.Errorf("task dir left behind: %v", err)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	c := runtime.ContainerSpec{Name: "c", Command: []string{"sleep", "60"}, PortMappings: []runtime.PortMapping{{ContainerPort: 80}}}
	start(t, r, "task/rm", c)
	if err := r.Remove(context.Background(), "task/rm"); err == nil {
		t.Fatal("Remove of a running task succeeded")
	}
	if err := r.Stop(context.Background(), "task/rm"); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(context.Background(), "task/rm"); err != nil {
		t.Fatal(err)
	}
	if tasks, _ := r.List(context.Background()); len(tasks) != 0 {
		t.Errorf("listed after Remove: %+v", tasks)
	}
	if len(r.ports) != 0 {
		t.Errorf("ports still held: %v", r.ports)
	}
	if err := r.Remove(context.Background(), "task/rm"); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}
