package process

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"tide/internal/runtime"
)

// helperEnv makes the test binary, started as a container, act as a small
// program instead of running the tests.
const helperEnv = "TIDE_PROCESS_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "agent":
		os.Exit(agentMain())
	case "serve":
		// Answers with the port variables the runtime set.
		err := http.ListenAndServe(":"+os.Getenv("PORT"), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, "PORT=%s PORT_8080=%s", os.Getenv("PORT"), os.Getenv("PORT_8080"))
		}))
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// helper is a container that runs the test binary as the helper mode.
func helper(t *testing.T, name, mode string) runtime.ContainerSpec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return runtime.ContainerSpec{Name: name, EntryPoint: []string{exe}, Env: []string{helperEnv + "=" + mode}}
}

// shell is a container that runs script with sh -c.
func shellContainer(name, script string) runtime.ContainerSpec {
	return runtime.ContainerSpec{Name: name, EntryPoint: []string{"sh", "-c"}, Command: []string{script}}
}

// newRuntime is a runtime on dir whose containers are killed when the test
// ends.
func newRuntime(t *testing.T, dir string) *Runtime {
	t.Helper()
	r, err := New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		killAll(t, r)
	})
	return r
}

// killAll stops every task of r at once with SIGKILL.
func killAll(t *testing.T, r *Runtime) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a done context makes Stop skip the SIGTERM grace
	tasks, _ := r.List(context.Background())
	for _, ts := range tasks {
		if err := r.Stop(ctx, ts.TaskArn); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

// start starts a task of containers named arn and fails the test if it
// cannot.
func start(t *testing.T, r *Runtime, arn string, containers ...runtime.ContainerSpec) {
	t.Helper()
	if err := r.Start(context.Background(), runtime.TaskSpec{TaskArn: arn, Containers: containers}); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// find is the status of one container of a task in r's list.
func find(t *testing.T, r *Runtime, arn, name string) (runtime.ContainerStatus, bool) {
	t.Helper()
	tasks, err := r.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, ts := range tasks {
		for _, c := range ts.Containers {
			if ts.TaskArn == arn && c.Name == name {
				return c, true
			}
		}
	}
	return runtime.ContainerStatus{}, false
}

// await polls r's list until the container satisfies cond, and fails the
// test after timeout. Real processes take real time; the polls are short
// and the timeouts bound the test.
func await(t *testing.T, r *Runtime, arn, name string, timeout time.Duration, what string, cond func(runtime.ContainerStatus) bool) runtime.ContainerStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c, ok := find(t, r, arn, name)
		if ok && cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: not %s after %s; last status %+v (found %v)", arn, name, what, timeout, c, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func running(c runtime.ContainerStatus) bool { return c.State == runtime.StateRunning }
func exited(c runtime.ContainerStatus) bool  { return c.State == runtime.StateExited }

// exitCode is the container's exit code, or -1 when it has none.
func exitCode(c runtime.ContainerStatus) int32 {
	if c.ExitCode == nil {
		return -1
	}
	return *c.ExitCode
}

func TestServesOnAllocatedPort(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	web := helper(t, "web", "serve")
	web.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
	spec := runtime.TaskSpec{TaskArn: "task/serve", Containers: []runtime.ContainerSpec{web}}
	if err := r.Start(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	c := await(t, r, "task/serve", "web", 5*time.Second, "running", running)
	if len(c.Bindings) != 1 {
		t.Fatalf("bindings = %+v, want one", c.Bindings)
	}
	b := c.Bindings[0]
	if b.BindIP != "0.0.0.0" || b.ContainerPort != 8080 || b.Protocol != "tcp" || b.HostPort <= 0 {
		t.Fatalf("binding = %+v", b)
	}

	want := fmt.Sprintf("PORT=%d PORT_8080=%d", b.HostPort, b.HostPort)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", b.HostPort), 5*time.Second); got != want {
		t.Errorf("served %q, want %q", got, want)
	}

	// Starting it again changes nothing.
	if err := r.Start(context.Background(), spec); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	again := await(t, r, "task/serve", "web", time.Second, "running", running)
	if again.RuntimeID != c.RuntimeID || again.Bindings[0] != b {
		t.Errorf("second Start changed the container: %+v, was %+v", again, c)
	}
	if again.Usage.MemoryBytes == 0 {
		t.Errorf("memory usage = 0")
	}

	// A second task gets another port.
	other := helper(t, "web", "serve")
	other.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
	start(t, r, "task/serve-2", other)
	c2 := await(t, r, "task/serve-2", "web", 5*time.Second, "running", running)
	if c2.Bindings[0].HostPort == b.HostPort {
		t.Errorf("two tasks share host port %d", b.HostPort)
	}

	if err := r.Stop(context.Background(), "task/serve"); err != nil {
		t.Fatal(err)
	}
	if c, _ := find(t, r, "task/serve", "web"); !exited(c) || exitCode(c) != 143 {
		t.Errorf("after Stop: state %s exit %d, want exited 143", c.State, exitCode(c))
	}
}

// httpGet gets url until something answers.
func httpGet(t *testing.T, url string, timeout time.Duration) string {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLogsAppendBothStreams(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	logDir := filepath.Join(t.TempDir(), "logs") // created by the runtime
	for i, arn := range []string{"task/log-1", "task/log-2"} {
		c := shellContainer("app", fmt.Sprintf("echo out%d; echo err%d >&2", i, i))
		c.LogDir = logDir
		start(t, r, arn, c)
		await(t, r, arn, "app", 5*time.Second, "exited", exited)
	}
	b, err := os.ReadFile(filepath.Join(logDir, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "out0\nerr0\nout1\nerr1\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestUlimitsAndUser(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		uid, gid = 65534, 65533 // a numeric user applies only as root
	}
	tests := []struct {
		name    string
		script  string
		ulimits []runtime.Ulimit
		user    string
		want    string
	}{
		{"ulimits", "ulimit -n; ulimit -Hn", []runtime.Ulimit{{Name: "nofile", Soft: 123, Hard: 456}}, "", "123\n456\n"},
		{"user", "id -u; id -g", nil, "65534:65533", fmt.Sprintf("%d\n%d\n", uid, gid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := shellContainer("app", tt.script)
			c.Ulimits, c.User, c.WorkingDirectory, c.LogDir = tt.ulimits, tt.user, "/", t.TempDir()
			start(t, r, "task/"+tt.name, c)
			got := await(t, r, "task/"+tt.name, "app", 5*time.Second, "exited", exited)
			b, err := os.ReadFile(filepath.Join(c.LogDir, "app.log"))
			if err != nil {
				t.Fatal(err)
			}
			if exitCode(got) != 0 || string(b) != tt.want {
				t.Errorf("exit %d, output %q; want 0, %q", exitCode(got), b, tt.want)
			}
		})
	}
}

func TestContainerGetsOnlyItsFiles(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	// A descriptor this process holds without close-on-exec, as an agent
	// may inherit from whatever started it.
	fd, err := syscall.Dup(1)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	c := runtime.ContainerSpec{Name: "c", Command: []string{"ls", "/proc/self/fd"}, LogDir: t.TempDir()}
	start(t, r, "task/fds", c)
	await(t, r, "task/fds", "c", 5*time.Second, "exited", exited)
	b, err := os.ReadFile(filepath.Join(c.LogDir, "c.log"))
	if err != nil {
		t.Fatal(err)
	}
	// 3 is the directory ls reads.
	if got, want := strings.Fields(string(b)), []string{"0", "1", "2", "3"}; !slices.Equal(got, want) {
		t.Errorf("container's descriptors = %v, want %v (the agent has %d)", got, want, fd)
	}
}
