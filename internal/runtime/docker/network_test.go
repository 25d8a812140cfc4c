package docker

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

// TestAWSVPC checks that an awsvpc task gets its own address, shared by
// its containers, at which the host reaches every container's port.
func TestAWSVPC(t *testing.T) {
	t.Parallel()
	r := newRuntime(t)
	arn := newArn(t)
	side := app("side", "-port", "9090")
	side.Essential = false
	web := app("web", "-port", "8080")
	web.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
	startTask(t, r, task(arn, "awsvpc", side, web))

	ts := waitTask(t, r, arn, 10*time.Second, allIn(runtime.StateRunning))
	ip := ts.Containers[0].IPAddress
	if ip == "" || ts.Containers[1].IPAddress != ip {
		t.Fatalf("containers of an awsvpc task have addresses %q and %q", ip, ts.Containers[1].IPAddress)
	}
	for _, c := range ts.Containers {
		if len(c.Bindings) != 0 {
			t.Errorf("awsvpc container %s has host bindings %+v", c.Name, c.Bindings)
		}
	}
	for _, port := range []string{"8080", "9090"} {
		get(t, "http://"+net.JoinHostPort(ip, port)+"/", 5*time.Second)
	}

	// web, the first essential container, owns the namespace; side joins it.
	in, err := testCli.ContainerInspect(t.Context(), ts.Containers[0].RuntimeID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(in.Container.HostConfig.NetworkMode), "container:"+ts.Containers[1].RuntimeID; got != want {
		t.Errorf("side's network mode is %q, want %q", got, want)
	}
	// The owner reports the task's traffic, including the answers above.
	waitTask(t, r, arn, 5*time.Second, func(ts runtime.TaskStatus) bool {
		u := ts.Containers[1].Usage
		return u.RxBytes > 0 && u.TxBytes > 0
	})

	if err := r.Stop(t.Context(), arn); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitTask(t, r, arn, 5*time.Second, allIn(runtime.StateExited))
	if err := r.Remove(t.Context(), arn); err != nil {
		t.Fatalf("Remove: %v", err)
	}
}

func TestHostAndNoneModes(t *testing.T) {
	t.Parallel()
	r := newRuntime(t)

	t.Run("host", func(t *testing.T) {
		port := freePort(t)
		arn := newArn(t)
		c := app("web", "-port", strconv.Itoa(port))
		c.PortMappings = []runtime.PortMapping{{ContainerPort: int32(port), HostPort: int32(port)}}
		startTask(t, r, task(arn, "host", c))
		got := waitTask(t, r, arn, 10*time.Second, allIn(runtime.StateRunning)).Containers[0]
		want := []runtime.Binding{{BindIP: "0.0.0.0", ContainerPort: int32(port), HostPort: int32(port), Protocol: "tcp"}}
		if diff := cmp.Diff(want, got.Bindings); diff != "" {
			t.Errorf("bindings (-want +got):\n%s", diff)
		}
		get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 5*time.Second)
	})
	t.Run("none", func(t *testing.T) {
		arn := newArn(t)
		startTask(t, r, task(arn, "none", app("loner")))
		got := waitTask(t, r, arn, 10*time.Second, allIn(runtime.StateRunning)).Containers[0]
		if got.IPAddress != "" || len(got.Bindings) != 0 {
			t.Errorf("a container without network has address %q, bindings %+v", got.IPAddress, got.Bindings)
		}
	})
}

// freePort returns a TCP port that was free on the host a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
