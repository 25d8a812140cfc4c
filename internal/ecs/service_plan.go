package ecs

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// servicePlan is what the service scheduler decides for one service in one
// pass: tasks to start per deployment, tasks to stop, the new deployments
// array and events. It is computed by planService, a pure function.
type servicePlan struct {
	start       map[string]int // deployment ID → tasks to start
	stop        []stopOrder
	deployments []*Deployment
	events      []string
	rollback    bool          // the circuit breaker tripped with rollback: redeploy the last good one
	retryAfter  time.Duration // starts are throttled for this long
}

type stopOrder struct {
	arn, reason string
}

// planService decides how to converge a service on its desired count and
// its PRIMARY deployment, as ECS's rolling update does: at most
// floor(desired × maximumPercent / 100) tasks at a time, and never fewer than
// ceil(desired × minimumHealthyPercent / 100) healthy ones while old tasks
// are stopped. tasks are the service's tasks, stopped ones included.
//
// A task is healthy when it runs and, if its task definition has a health
// check (checked[task definition ARN]), the check passes. A deployment is
// COMPLETED once all its tasks have been healthy for settle: a task that
// crashes soon after it starts still counts as a failure of an IN_PROGRESS
// deployment, so the circuit breaker sees it.
func planService(svc *Service, tasks []*Task, checked map[string]bool, settle time.Duration, now time.Time) servicePlan {
	p := servicePlan{start: map[string]int{}}
	if len(svc.Deployments) == 0 {
		return p
	}
	primary := svc.Deployments[0]
	desired := int(svc.DesiredCount)
	maxPct, minPct := 200, 100
	if dc := svc.DeploymentConfiguration; dc != nil {
		maxPct, minPct = int(valOr(dc.MaximumPercent, 200)), int(valOr(dc.MinimumHealthyPercent, 100))
	}
	maxTotal := desired * maxPct / 100
	minHealthy := int(math.Ceil(float64(desired*minPct) / 100))
	grace := time.Duration(valOr(svc.HealthCheckGracePeriodSeconds, 0)) * time.Second

	var live, primaryLive, oldLive []*Task
	healthy := 0
	for _, t := range tasks {
		if t.DesiredStatus != "RUNNING" || t.LastStatus == "STOPPED" {
			continue
		}
		// A task whose health checks fail after the grace period is replaced.
		if t.LastStatus == "RUNNING" && t.HealthStatus == "UNHEALTHY" && t.StartedAt != nil && now.Sub(t.StartedAt.Time) >= grace {
			p.stop = append(p.stop, stopOrder{t.TaskArn, "Task failed container health checks"})
			continue
		}
		live = append(live, t)
		if t.StartedBy == primary.Id {
			primaryLive = append(primaryLive, t)
		} else {
			oldLive = append(oldLive, t)
		}
		if isHealthy(t, checked) {
			healthy++
		}
	}

	// Circuit breaker: too many of the primary's tasks failed.
	failed := 0
	for _, t := range tasks {
		if t.StartedBy == primary.Id && t.LastStatus == "STOPPED" && (t.StopCode == "EssentialContainerExited" || t.StopCode == "TaskFailedToStart") {
			failed++
		}
	}
	threshold := min(max(int(math.Ceil(0.5*float64(desired))), 3), 200)
	cb := svc.DeploymentConfiguration != nil && svc.DeploymentConfiguration.DeploymentCircuitBreaker != nil && svc.DeploymentConfiguration.DeploymentCircuitBreaker.Enable
	if cb && failed >= threshold && primary.RolloutState == "IN_PROGRESS" {
		primary.RolloutState = "FAILED"
		primary.RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
		p.events = append(p.events, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", svc.ServiceName, primary.Id))
		if svc.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback && len(svc.Deployments) > 1 {
			p.rollback = true
		}
	}
	primary.FailedTasks = int32(failed)
	rolledBack := primary.RolloutState == "FAILED"

	// Start primary tasks up to the desired count, within maximumPercent,
	// unless tasks keep failing: then starts are throttled.
	throttled, wait := throttle(tasks, primary.Id, now)
	if throttled {
		p.events = append(p.events, fmt.Sprintf("(service %s) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", svc.ServiceName))
		p.retryAfter = wait
	}
	if (!rolledBack || len(svc.Deployments) == 1) && !throttled {
		if n := min(desired-len(primaryLive), maxTotal-len(live)); n > 0 {
			p.start[primary.Id] = n
		}
	}
	// Stop old tasks: those not running yet freely, running ones only while
	// enough healthy tasks remain.
	sortForStop(oldLive)
	canStop := healthy - minHealthy
	for _, t := range oldLive {
		if t.LastStatus != "RUNNING" {
			p.stop = append(p.stop, stopOrder{t.TaskArn, "Deployment: replaced by a newer task definition"})
			continue
		}
		if canStop <= 0 {
			break
		}
		canStop--
		p.stop = append(p.stop, stopOrder{t.TaskArn, "Deployment: replaced by a newer task definition"})
	}
	// Scale in: the primary has more tasks than desired.
	if extra := len(primaryLive) - desired; extra > 0 {
		sortForStop(primaryLive)
		for _, t := range primaryLive[:extra] {
			p.stop = append(p.stop, stopOrder{t.TaskArn, "Scaling activity initiated by (deployment " + primary.Id + ")"})
		}
	}

	// The deployments array: drop old deployments with no task left, count
	// the primary's tasks, and mark it COMPLETED when it alone runs them all.
	keep := []*Deployment{primary}
	draining := 0 // old deployments that still have tasks
	for _, d := range svc.Deployments[1:] {
		switch {
		case slices.ContainsFunc(oldLive, func(t *Task) bool { return t.StartedBy == d.Id }):
			keep = append(keep, d)
			draining++
		case d.RolloutState == "FAILED" && primary.RolloutState == "IN_PROGRESS":
			keep = append(keep, d) // shown until the rollback completes
		}
	}
	running, settled := 0, 0
	for _, t := range primaryLive {
		if isHealthy(t, checked) {
			running++
			if t.StartedAt != nil && now.Sub(t.StartedAt.Time) >= settle {
				settled++
			}
		}
	}
	stable := draining == 0 && running == desired && len(primaryLive) == desired && len(p.stop) == 0
	if stable && settled == desired && primary.RolloutState == "IN_PROGRESS" {
		primary.RolloutState = "COMPLETED"
		primary.RolloutStateReason = "ECS deployment " + primary.Id + " completed."
		p.events = append(p.events, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", svc.ServiceName, primary.Id))
	}
	if stable && (len(svc.Events) == 0 || !strings.HasSuffix(svc.Events[0].Message, "has reached a steady state.")) {
		p.events = append(p.events, fmt.Sprintf("(service %s) has reached a steady state.", svc.ServiceName))
	}
	p.deployments = keep
	return p
}

// sortForStop orders tasks so that the first ones are the best to stop:
// those not running yet, then those on the hosts that run the most of them
// (keeping the spread balanced), then the newest.
func sortForStop(tasks []*Task) {
	perHost := map[string]int{}
	for _, t := range tasks {
		perHost[t.TideHost]++
	}
	sort.SliceStable(tasks, func(i, j int) bool {
		a, b := tasks[i], tasks[j]
		if (a.LastStatus == "RUNNING") != (b.LastStatus == "RUNNING") {
			return a.LastStatus != "RUNNING"
		}
		if perHost[a.TideHost] != perHost[b.TideHost] {
			return perHost[a.TideHost] > perHost[b.TideHost]
		}
		return a.CreatedAt != nil && b.CreatedAt != nil && a.CreatedAt.After(b.CreatedAt.Time)
	})
}

// throttle applies ECS's back-off to a deployment whose tasks keep failing:
// after 3 failures in the last 15 minutes, the next start waits 10 s, then
// twice as long for every further failure, up to 15 minutes, counted from
// the latest failure. It reports whether starts must wait, and how long.
func throttle(tasks []*Task, deployment string, now time.Time) (bool, time.Duration) {
	var failures int
	var latest time.Time
	for _, t := range tasks {
		if t.StartedBy != deployment || t.LastStatus != "STOPPED" || t.StoppedAt == nil || now.Sub(t.StoppedAt.Time) > 15*time.Minute {
			continue
		}
		if t.StopCode != "EssentialContainerExited" && t.StopCode != "TaskFailedToStart" {
			continue
		}
		failures++
		if t.StoppedAt.After(latest) {
			latest = t.StoppedAt.Time
		}
	}
	if failures < 3 {
		return false, 0
	}
	backoff := 10 * time.Second << min(failures-3, 7)
	backoff = min(backoff, 15*time.Minute)
	if wait := latest.Add(backoff).Sub(now); wait > 0 {
		return true, wait
	}
	return false, 0
}

// isHealthy reports whether a task runs and passes its health check, if its
// task definition has one.
func isHealthy(t *Task, checked map[string]bool) bool {
	if t.LastStatus != "RUNNING" {
		return false
	}
	return !checked[t.TaskDefinitionArn] || t.HealthStatus == "HEALTHY"
}
