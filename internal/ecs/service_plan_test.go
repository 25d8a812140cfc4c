package ecs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/awsjson"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// fleet builds tasks: each spec is "deployment:lastStatus[:health]".
func fleet(specs ...string) []*Task {
	var out []*Task
	for i, s := range specs {
		parts := splitColon(s)
		dep, status, health := parts[0], parts[1], "UNKNOWN"
		if len(parts) > 2 {
			health = parts[2]
		}
		t := &Task{TaskArn: fmt.Sprintf("arn:aws:ecs:us-east-1:0:task/c/t%02d", i), StartedBy: dep, Group: "service:web",
			DesiredStatus: "RUNNING", LastStatus: status, HealthStatus: health, TideHost: fmt.Sprintf("h%d", i%2),
			CreatedAt: awsjson.At(t0.Add(time.Duration(i) * time.Second)), StartedAt: awsjson.At(t0)}
		if status == "STOPPED" {
			t.DesiredStatus, t.StopCode = "STOPPED", "EssentialContainerExited"
		}
		out = append(out, t)
	}
	return out
}

func splitColon(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == ':' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func svcWith(desired int32, maxPct, minPct int32, deployments ...string) *Service {
	s := &Service{ServiceName: "web", DesiredCount: desired, DeploymentConfiguration: &DeploymentConfiguration{
		MaximumPercent: &maxPct, MinimumHealthyPercent: &minPct, DeploymentCircuitBreaker: &DeploymentCircuitBreaker{}}}
	for i, d := range deployments {
		status := "ACTIVE"
		if i == 0 {
			status = "PRIMARY"
		}
		s.Deployments = append(s.Deployments, &Deployment{Id: d, Status: status, RolloutState: "IN_PROGRESS"})
	}
	return s
}

func TestPlanService(t *testing.T) {
	type want struct {
		Start    map[string]int
		Stop     []string
		Kept     []string
		Rollout  string
		Steady   bool
		Rollback bool
	}
	cases := []struct {
		name  string
		svc   *Service
		tasks []*Task
		want  want
	}{
		{"scale out from zero", svcWith(3, 200, 100, "d2"), nil,
			want{Start: map[string]int{"d2": 3}, Kept: []string{"d2"}, Rollout: "IN_PROGRESS"}},
		{"replace a stopped task", svcWith(2, 200, 100, "d2"), fleet("d2:RUNNING", "d2:STOPPED"),
			want{Start: map[string]int{"d2": 1}, Kept: []string{"d2"}, Rollout: "IN_PROGRESS"}},
		{"steady", svcWith(2, 200, 100, "d2"), fleet("d2:RUNNING", "d2:RUNNING"),
			want{Start: map[string]int{}, Kept: []string{"d2"}, Rollout: "COMPLETED", Steady: true}},
		{"scale in stops pending first", svcWith(1, 200, 100, "d2"), fleet("d2:RUNNING", "d2:PENDING"),
			want{Start: map[string]int{}, Stop: []string{"t01"}, Kept: []string{"d2"}, Rollout: "IN_PROGRESS"}},
		// desired 4, 200/100: start 4 new at once; old ones stay until the new run.
		{"rolling 200/100 starts all new", svcWith(4, 200, 100, "d2", "d1"), fleet("d1:RUNNING", "d1:RUNNING", "d1:RUNNING", "d1:RUNNING"),
			want{Start: map[string]int{"d2": 4}, Kept: []string{"d2", "d1"}, Rollout: "IN_PROGRESS"}},
		// 100/50: no room above 4, may stop 2 old ones first (the newest).
		{"rolling 100/50 stops half first", svcWith(4, 100, 50, "d2", "d1"), fleet("d1:RUNNING", "d1:RUNNING", "d1:RUNNING", "d1:RUNNING"),
			want{Start: map[string]int{}, Stop: []string{"t02", "t03"}, Kept: []string{"d2", "d1"}, Rollout: "IN_PROGRESS"}},
		// minimum healthy rounds up: 3 × 50% = 1.5 → 2 must stay. The one
		// stopped is on the host with the most (h0 has t00 and t02), newest first.
		{"minimum healthy rounds up", svcWith(3, 100, 50, "d2", "d1"), fleet("d1:RUNNING", "d1:RUNNING", "d1:RUNNING"),
			want{Start: map[string]int{}, Stop: []string{"t02"}, Kept: []string{"d2", "d1"}, Rollout: "IN_PROGRESS"}},
		// maximum rounds down: 3 × 150% = 4.5 → 4 at most, so 1 new.
		{"maximum rounds down", svcWith(3, 150, 100, "d2", "d1"), fleet("d1:RUNNING", "d1:RUNNING", "d1:RUNNING"),
			want{Start: map[string]int{"d2": 1}, Kept: []string{"d2", "d1"}, Rollout: "IN_PROGRESS"}},
		{"new running lets old go", svcWith(2, 200, 100, "d2", "d1"), fleet("d1:RUNNING", "d1:RUNNING", "d2:RUNNING", "d2:RUNNING"),
			want{Start: map[string]int{}, Stop: []string{"t00", "t01"}, Kept: []string{"d2", "d1"}, Rollout: "IN_PROGRESS"}},
		{"old deployment gone", svcWith(2, 200, 100, "d2", "d1"), fleet("d2:RUNNING", "d2:RUNNING"),
			want{Start: map[string]int{}, Kept: []string{"d2"}, Rollout: "COMPLETED", Steady: true}},
		{"unhealthy replaced", svcWith(1, 200, 100, "d2"), fleet("d2:RUNNING:UNHEALTHY"),
			want{Start: map[string]int{"d2": 1}, Stop: []string{"t00"}, Kept: []string{"d2"}, Rollout: "IN_PROGRESS"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := planService(tc.svc, tc.tasks, nil, 0, t0.Add(time.Minute))
			got := want{Start: p.start, Rollout: tc.svc.Deployments[0].RolloutState, Rollback: p.rollback}
			for _, s := range p.stop {
				got.Stop = append(got.Stop, taskID(s.arn))
			}
			slices.Sort(got.Stop)
			for _, d := range p.deployments {
				got.Kept = append(got.Kept, d.Id)
			}
			for _, e := range p.events {
				got.Steady = got.Steady || e == "(service web) has reached a steady state."
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanServiceCircuitBreaker(t *testing.T) {
	svc := svcWith(2, 200, 100, "d2", "d1")
	svc.DeploymentConfiguration.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{Enable: true, Rollback: true}
	// Threshold is max(3, ceil(0.5 × 2)) = 3 failed tasks.
	tasks := fleet("d1:RUNNING", "d1:RUNNING", "d2:STOPPED", "d2:STOPPED")
	if p := planService(svc, tasks, nil, 0, t0); p.rollback || svc.Deployments[0].RolloutState != "IN_PROGRESS" {
		t.Fatal("tripped after 2 failures, threshold is 3")
	}
	tasks = fleet("d1:RUNNING", "d1:RUNNING", "d2:STOPPED", "d2:STOPPED", "d2:STOPPED")
	p := planService(svc, tasks, nil, 0, t0)
	if !p.rollback || svc.Deployments[0].RolloutState != "FAILED" || svc.Deployments[0].FailedTasks != 3 {
		t.Fatalf("rollback %v state %s failed %d", p.rollback, svc.Deployments[0].RolloutState, svc.Deployments[0].FailedTasks)
	}
}

func TestPlanServiceThrottlesFailingStarts(t *testing.T) {
	failedAt := func(ago ...time.Duration) []*Task {
		var specs []string
		for range ago {
			specs = append(specs, "d1:STOPPED")
		}
		tasks := fleet(specs...)
		for i, d := range ago {
			tasks[i].StoppedAt = awsjson.At(t0.Add(-d))
		}
		return tasks
	}
	cases := []struct {
		name  string
		tasks []*Task
		start int
	}{
		{"two failures: no throttle", failedAt(time.Second, 2*time.Second), 2},
		{"three recent failures: wait 10 s", failedAt(time.Second, 2*time.Second, 3*time.Second), 0},
		{"three failures, the latest 11 s ago: start", failedAt(11*time.Second, 12*time.Second, 13*time.Second), 2},
		{"four failures: 20 s", failedAt(15*time.Second, 16*time.Second, 17*time.Second, 18*time.Second), 0},
		{"failures older than 15 minutes do not count", failedAt(16*time.Minute, 17*time.Minute, 18*time.Minute), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := planService(svcWith(2, 200, 100, "d1"), tc.tasks, nil, 0, t0)
			if p.start["d1"] != tc.start {
				t.Fatalf("start %d, want %d", p.start["d1"], tc.start)
			}
			throttled := slices.ContainsFunc(p.events, func(e string) bool { return strings.Contains(e, "unable to consistently start tasks") })
			if throttled != (tc.start == 0) {
				t.Fatalf("throttle event %v with %d starts", throttled, tc.start)
			}
		})
	}
}

// TestPlanServiceWaitsForHealth: with a health check, a new task counts as
// healthy only once it passes, so old tasks stay and the deployment does not
// complete; and it completes only after the tasks have settled.
func TestPlanServiceWaitsForHealth(t *testing.T) {
	svc := svcWith(2, 200, 100, "d2", "d1")
	tasks := fleet("d1:RUNNING:HEALTHY", "d1:RUNNING:HEALTHY", "d2:RUNNING:UNKNOWN", "d2:RUNNING:UNKNOWN")
	for _, tk := range tasks {
		tk.TaskDefinitionArn = "td"
	}
	checked := map[string]bool{"td": true}
	if p := planService(svc, tasks, checked, 0, t0.Add(time.Minute)); len(p.stop) != 0 {
		t.Fatalf("stopped %d old tasks before the new ones passed their health check", len(p.stop))
	}
	tasks[2].HealthStatus, tasks[3].HealthStatus = "HEALTHY", "HEALTHY"
	if p := planService(svc, tasks, checked, 0, t0.Add(time.Minute)); len(p.stop) != 2 {
		t.Fatalf("stopped %d old tasks once the new ones are healthy, want 2", len(p.stop))
	}
	solo := svcWith(2, 200, 100, "d2")
	settling := fleet("d2:RUNNING", "d2:RUNNING") // started at t0
	planService(solo, settling, nil, 10*time.Second, t0.Add(5*time.Second))
	if solo.Deployments[0].RolloutState != "IN_PROGRESS" {
		t.Fatal("completed before the tasks settled")
	}
	planService(solo, settling, nil, 10*time.Second, t0.Add(11*time.Second))
	if solo.Deployments[0].RolloutState != "COMPLETED" {
		t.Fatal("not completed after the tasks settled")
	}
}
