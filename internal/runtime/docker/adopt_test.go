package docker

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tide/internal/runtime"
)

// TestReadoptAndLogs checks that Start is idempotent, that a new Runtime
// finds and manages what an old one started, and that the container's
// output lands in its log file exactly once while both Runtimes live and
// after the old one is gone. It does not run in parallel with the other
// tests, whose Runtimes would copy the log too (correctly, but racing
// with the end of this test).
func TestReadoptAndLogs(t *testing.T) {
	logDir := t.TempDir()
	arn := newArn(t)
	c := app("ticker", "-tick", "20ms")
	c.LogDir = logDir
	spec := task(arn, "bridge", c)

	old := newRuntime(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { startTask(t, old, spec) })
	}
	wg.Wait()
	first := waitTask(t, old, arn, 10*time.Second, allIn(runtime.StateRunning))
	if len(first.Containers) != 1 {
		t.Fatalf("concurrent Starts made %d containers", len(first.Containers))
	}

	r := newRuntime(t) // both copy, one at a time
	again := waitTask(t, r, arn, 5*time.Second, allIn(runtime.StateRunning))
	if again.Containers[0].RuntimeID != first.Containers[0].RuntimeID {
		t.Fatalf("new Runtime lists container %s, want %s", again.Containers[0].RuntimeID, first.Containers[0].RuntimeID)
	}
	startTask(t, r, spec)
	if ts, _ := lookup(t, r, arn); len(ts.Containers) != 1 || ts.Containers[0].RuntimeID != first.Containers[0].RuntimeID {
		t.Fatalf("Start of an adopted task changed it: %+v", ts)
	}
	time.Sleep(300 * time.Millisecond)
	old.Close() // r takes over where old stopped
	time.Sleep(1500 * time.Millisecond)
	if err := r.Stop(t.Context(), arn); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := r.Remove(t.Context(), arn); err != nil {
		t.Fatalf("Remove: %v", err)
	}

	path := filepath.Join(logDir, "ticker.log")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkTicks(t, string(b))
	if _, err := os.Stat(positionPath(path)); !os.IsNotExist(err) {
		t.Errorf("position file left after Remove: %v", err)
	}
}

// checkTicks checks a ticker's log: both streams, and every tick once, in
// order, up to the SIGTERM.
func checkTicks(t *testing.T, log string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	if len(lines) < 30 {
		t.Fatalf("log has %d lines:\n%s", len(lines), log)
	}
	// stdout and stderr are separate pipes, so only each one's order holds.
	if !strings.Contains(log, "app stderr line\n") {
		t.Error("log misses stderr")
	}
	lines = slices.DeleteFunc(lines, func(l string) bool { return l == "app stderr line" })
	if !strings.HasPrefix(lines[0], "app starting") {
		t.Errorf("stdout starts %q", lines[0])
	}
	if last := lines[len(lines)-1]; last != "app terminating" {
		t.Errorf("log ends %q", last)
	}
	next := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "tick ") {
			continue
		}
		if want := fmt.Sprintf("tick %d", next); l != want {
			t.Fatalf("log has %q where %q was due:\n%s", l, want, log)
		}
		next++
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	r := newRuntime(t)
	arn := newArn(t)
	c := app("busy", "-burn")
	c.CPU = 512
	c.PortMappings = []runtime.PortMapping{{ContainerPort: 8080}}
	startTask(t, r, task(arn, "bridge", c))
	ts := waitTask(t, r, arn, 10*time.Second, allIn(runtime.StateRunning))
	get(t, fmt.Sprintf("http://127.0.0.1:%d/", ts.Containers[0].Bindings[0].HostPort), 5*time.Second)

	time.Sleep(time.Second)
	u1 := waitTask(t, r, arn, 5*time.Second, func(ts runtime.TaskStatus) bool {
		u := ts.Containers[0].Usage
		return u.RxBytes > 0 && u.TxBytes > 0
	}).Containers[0].Usage
	time.Sleep(time.Second)
	u2, _ := lookup(t, r, arn)
	u := u2.Containers[0].Usage
	if u.MemoryBytes == 0 || !u.At.After(u1.At) {
		t.Errorf("usage: %+v", u)
	}
	// Half a core, capped: at most about 0.5 s of CPU per second of wall
	// time (less when other work on the machine competes for the cores).
	cores := float64(u.CPUNanos-u1.CPUNanos) / float64(u.At.Sub(u1.At).Nanoseconds())
	if cores < 0.05 || cores > 0.7 {
		t.Errorf("busy container used %.2f cores, want some and at most about 0.5 (its cap)", cores)
	}
}
