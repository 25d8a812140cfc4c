package process

import (
	"testing"
	"time"

	"tide/internal/runtime"
)

func TestHealthChecks(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	const fast = 30 * time.Millisecond
	tests := []struct {
		name  string
		check *runtime.HealthCheck
		want  string
	}{
		{"no check", nil, "UNKNOWN"},
		{"CMD-SHELL succeeds", &runtime.HealthCheck{Command: []string{"CMD-SHELL", "exit 0"}, Interval: fast}, "HEALTHY"},
		{"CMD succeeds", &runtime.HealthCheck{Command: []string{"CMD", "true"}, Interval: fast}, "HEALTHY"},
		{"sees the container's PORT", &runtime.HealthCheck{Command: []string{"CMD-SHELL", `[ "$PORT" -gt 0 ]`}, Interval: fast}, "HEALTHY"},
		{"fails its retries", &runtime.HealthCheck{Command: []string{"CMD-SHELL", "exit 1"}, Interval: fast, Retries: 2}, "UNHEALTHY"},
		{"times out", &runtime.HealthCheck{Command: []string{"CMD", "sleep", "10"}, Interval: fast, Timeout: 100 * time.Millisecond, Retries: 1}, "UNHEALTHY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			arn := "task/" + tt.name
			c := runtime.ContainerSpec{Name: "c", Command: []string{"sleep", "60"}, HealthCheck: tt.check,
				PortMappings: []runtime.PortMapping{{ContainerPort: 80}}}
			start(t, r, arn, c)
			await(t, r, arn, "c", 5*time.Second, tt.want, func(c runtime.ContainerStatus) bool { return c.Health == tt.want })
		})
	}
}

func TestHealthStartPeriod(t *testing.T) {
	r := newRuntime(t, t.TempDir())
	logDir := t.TempDir()
	// The check fails, and writes a line each time it runs; within the
	// start period the failures do not count.
	c := runtime.ContainerSpec{Name: "c", Command: []string{"sleep", "60"}, LogDir: logDir, HealthCheck: &runtime.HealthCheck{
		Command:     []string{"CMD-SHELL", "echo checked >> " + logDir + "/checks; exit 1"},
		Interval:    20 * time.Millisecond,
		Retries:     1,
		StartPeriod: time.Hour,
	}}
	start(t, r, "task/grace", c)
	waitLog(t, logDir+"/checks", "checked\nchecked\nchecked\n")
	if got, _ := find(t, r, "task/grace", "c"); got.Health != "UNKNOWN" {
		t.Errorf("health within the start period = %s, want UNKNOWN", got.Health)
	}
}

func TestHealthResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	old, err := New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killAll(t, old) })
	c := runtime.ContainerSpec{Name: "c", Command: []string{"sleep", "60"}, HealthCheck: &runtime.HealthCheck{
		Command: []string{"CMD", "true"}, Interval: 20 * time.Millisecond,
	}}
	start(t, old, "task/h", c)
	await(t, old, "task/h", "c", 5*time.Second, "HEALTHY", func(c runtime.ContainerStatus) bool { return c.Health == "HEALTHY" })
	old.Close()

	r := newRuntime(t, dir)
	await(t, r, "task/h", "c", 5*time.Second, "HEALTHY again", func(c runtime.ContainerStatus) bool { return c.Health == "HEALTHY" })
}
