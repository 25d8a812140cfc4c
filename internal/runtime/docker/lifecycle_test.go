package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

func TestBridgeTaskRunsStopsAndIsRemoved(t *testing.T) {
	t.Parallel()
	r := newRuntime(t)
	arn := newArn(t)
	web := app("web")
	web.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
	web.Env = []string{"GREETING=hello"}
	web.WorkingDirectory = "/work"
	web.User = "1000:1001"
	web.Ulimits = []runtime.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
	web.CPU, web.Memory, web.MemoryReservation = 256, 64, 32
	startTask(t, r, task(arn, "", web))

	ts := waitTask(t, r, arn, 10*time.Second, allIn(runtime.StateRunning))
	c := ts.Containers[0]
	if c.Name != "web" || c.RuntimeID == "" || c.IPAddress == "" || c.Health != "UNKNOWN" || c.StartedAt.IsZero() {
		t.Fatalf("running container: %+v", c)
	}
	if len(c.Bindings) == 0 || c.Bindings[0].HostPort == 0 || c.Bindings[0].ContainerPort != 8080 || c.Bindings[0].Protocol != "tcp" {
		t.Fatalf("bindings: %+v", c.Bindings)
	}
	info := get(t, fmt.Sprintf("http://127.0.0.1:%d/info?env=GREETING", c.Bindings[0].HostPort), 5*time.Second)
	if want := "env=hello cwd=/work uid=1000 gid=1001 nofile=2048\n"; info != want {
		t.Errorf("container sees %q, want %q", info, want)
	}

	in, err := testCli.ContainerInspect(t.Context(), c.RuntimeID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := in.Container.HostConfig.Resources
	got := []int64{res.CPUShares, res.NanoCPUs, res.Memory, res.MemorySwap, res.MemoryReservation}
	if diff := cmp.Diff([]int64{256, 250_000_000, 64 << 20, 64 << 20, 32 << 20}, got); diff != "" {
		t.Errorf("cgroup settings (-want +got):\n%s", diff)
	}
	if name := in.Container.Name; name != "/"+containerName(arn, "web") {
		t.Errorf("container name %q", name)
	}

	if err := r.Stop(t.Context(), arn); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	ts, _ = lookup(t, r, arn)
	c = ts.Containers[0]
	if c.State != runtime.StateExited || c.ExitCode == nil || *c.ExitCode != 143 || c.FinishedAt.IsZero() {
		t.Fatalf("after Stop: %+v", c)
	}
	if err := r.Stop(t.Context(), arn); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := r.Remove(t.Context(), arn); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, found := lookup(t, r, arn); found {
		t.Fatal("task listed after Remove")
	}
	if err := r.Remove(t.Context(), arn); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
}

// TestExit checks how exits are reported: the code, and the reason when
// the kernel killed the container for its memory.
func TestExit(t *testing.T) {
	t.Parallel()
	oom := app("hog", "-alloc", "64")
	oom.Memory = 16
	tests := []struct {
		name   string
		c      runtime.ContainerSpec
		code   int32
		reason string
	}{
		{"code", app("quitter", "-exit", "3"), 3, ""},
		{"zero", app("quitter", "-exit", "0"), 0, ""},
		{"out of memory", oom, 137, ReasonOOM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRuntime(t)
			arn := newArn(t)
			startTask(t, r, task(arn, "bridge", tt.c))
			c := waitTask(t, r, arn, 15*time.Second, allIn(runtime.StateExited)).Containers[0]
			if c.ExitCode == nil || *c.ExitCode != tt.code || c.Reason != tt.reason {
				t.Errorf("exit code %v reason %q, want %d %q", deref(c.ExitCode), c.Reason, tt.code, tt.reason)
			}
		})
	}
}

func TestStopKillsAfterStopTimeout(t *testing.T) {
	t.Parallel()
	r := newRuntime(t)
	arn := newArn(t)
	stubborn := app("stubborn", "-ignore-term")
	stubborn.StopTimeout = 2 * time.Second
	stubborn.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
	startTask(t, r, task(arn, "bridge", stubborn))
	c := waitTask(t, r, arn, 10*time.Second, allIn(runtime.StateRunning)).Containers[0]
	// Serving means SIGTERM is ignored by now.
	get(t, fmt.Sprintf("http://127.0.0.1:%d/", c.Bindings[0].HostPort), 5*time.Second)

	began := time.Now()
	if err := r.Stop(t.Context(), arn); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	took := time.Since(began)
	if took < 2*time.Second || took > 10*time.Second {
		t.Errorf("Stop took %v, want the 2s stop timeout", took)
	}
	c = waitTask(t, r, arn, 5*time.Second, allIn(runtime.StateExited)).Containers[0]
	if c.ExitCode == nil || *c.ExitCode != 137 {
		t.Errorf("exit code %v, want 137 (SIGKILL)", deref(c.ExitCode))
	}
}

func TestHealthCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"healthy", "http://127.0.0.1:8080/", "HEALTHY"},
		{"unhealthy", "http://127.0.0.1:9/", "UNHEALTHY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRuntime(t)
			arn := newArn(t)
			c := app("web")
			c.HealthCheck = &runtime.HealthCheck{
				Command:  []string{"CMD", "/app", "-health", tt.url},
				Interval: time.Second, Timeout: 3 * time.Second, Retries: 1,
			}
			startTask(t, r, task(arn, "bridge", c))
			waitTask(t, r, arn, 15*time.Second, func(ts runtime.TaskStatus) bool {
				return ts.Containers[0].Health == tt.want
			})
		})
	}
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	r := newRuntime(t)

	t.Run("no such executable", func(t *testing.T) {
		arn := newArn(t)
		c := app("broken")
		c.EntryPoint = []string{"/no/such/file"}
		err := r.Start(t.Context(), task(arn, "bridge", c))
		if !errors.Is(err, ErrCannotStart) {
			t.Fatalf("Start: %v, want ErrCannotStart", err)
		}
		ts, found := lookup(t, r, arn)
		if !found || ts.Containers[0].State != runtime.StateExited ||
			!strings.HasPrefix(ts.Containers[0].Reason, "CannotStartContainerError: ") {
			t.Fatalf("after a failed start: %+v", ts)
		}
	})
	t.Run("bad configuration", func(t *testing.T) {
		arn := newArn(t)
		ok, bad := app("ok"), app("bad")
		bad.Memory = 1 // below Docker's minimum
		err := r.Start(t.Context(), task(arn, "bridge", ok, bad))
		if !errors.Is(err, ErrCannotCreate) {
			t.Fatalf("Start: %v, want ErrCannotCreate", err)
		}
		if ts, found := lookup(t, r, arn); found {
			t.Fatalf("a task that could not be created is listed: %+v", ts)
		}
	})
	t.Run("invalid spec", func(t *testing.T) {
		for _, spec := range []runtime.TaskSpec{
			{TaskArn: "arn:x"},
			task("", "bridge", app("a")),
			task("arn:x", "overlay", app("a")),
			task("arn:x", "bridge", app("a"), app("a")),
		} {
			if err := r.Start(t.Context(), spec); err == nil {
				t.Errorf("Start(%+v) succeeded", spec)
			}
		}
	})
}

func TestNewFailsFastWhenEngineHangs(t *testing.T) {
	t.Parallel()
	// A listener that never accepts: connections succeed, answers never come.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	began := time.Now()
	_, err = New(context.Background(), slog.New(slog.DiscardHandler), WithHost("tcp://"+l.Addr().String()))
	if err == nil {
		t.Fatal("New succeeded against a silent engine")
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("New took %v to fail", took)
	}
}

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}
