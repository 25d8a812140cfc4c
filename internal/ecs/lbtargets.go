package ecs

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tide/internal/awsjson"
)

// LoadBalancing is what the service scheduler needs of the load balancer:
// the ELBv2 API's target groups and the data plane's view of their targets.
type LoadBalancing interface {
	// TargetGroup returns a group's target type (instance or ip) and its
	// deregistration delay.
	TargetGroup(arn string) (targetType string, delay time.Duration, ok bool)
	RegisterTargets(ctx context.Context, tgARN string, targets []LBTarget) error
	DeregisterTargets(ctx context.Context, tgARN string, targets []LBTarget) error
	// TargetStates maps "id:port" to the target's health state (initial,
	// healthy, unhealthy, unused, draining); a target missing from the map
	// is not registered.
	TargetStates(tgARN string) map[string]string
}

// LBTarget is one target of a target group.
type LBTarget struct {
	ID   string
	Port int32
}

func (t LBTarget) key() string { return t.ID + ":" + strconv.Itoa(int(t.Port)) }

// TaskTarget is a target the scheduler registered for a task.
type TaskTarget struct {
	TargetGroupArn string `json:"targetGroupArn"`
	ID             string `json:"id"`
	Port           int32  `json:"port"`
	DelaySeconds   int64  `json:"delaySeconds"`
}

// SetLoadBalancing connects the scheduler to the load balancer. Without it,
// services' loadBalancers are recorded but no target is registered.
func (a *API) SetLoadBalancing(lb LoadBalancing) { a.lb = lb }

// reconcileTargets moves a load-balanced service's tasks through ECS's
// load balancer lifecycle, level-triggered:
//   - a task whose containers run is ACTIVATING: its targets are registered,
//     and it becomes RUNNING (and counts as healthy for deployments) once
//     every target is healthy;
//   - a RUNNING task whose target turned unhealthy after the health check
//     grace period is stopped, as ECS does with "Task failed ELB health
//     checks";
//   - a task being stopped is DEACTIVATING: its targets are deregistered and
//     its containers keep running until the longest deregistration delay
//     has passed (stopTask set TideDrainUntil), then it is STOPPING.
func (a *API) reconcileTargets(ctx context.Context, cluster string, svc *Service, tasks []*Task) error {
	if a.lb == nil || len(svc.LoadBalancers) == 0 {
		return nil
	}
	now := a.now()
	grace := time.Duration(valOr(svc.HealthCheckGracePeriodSeconds, 0)) * time.Second
	for _, t := range tasks {
		switch {
		case t.DesiredStatus == "RUNNING" && (t.LastStatus == "ACTIVATING" || t.LastStatus == "RUNNING"):
			if err := a.activate(ctx, cluster, svc, t, now, grace); err != nil {
				return err
			}
		case t.DesiredStatus == "STOPPED" && len(t.TideTargets) > 0:
			if err := a.deactivate(ctx, cluster, t); err != nil {
				return err
			}
		case t.DesiredStatus == "STOPPED" && t.TideDrainUntil != nil && !now.Before(t.TideDrainUntil.Time):
			if _, err := updateJSON(ctx, a.store, taskKey(cluster, taskID(t.TaskArn)), func(t *Task) error {
				if t.TideDrainUntil != nil && t.LastStatus != "STOPPED" {
					t.TideDrainUntil = nil
					t.LastStatus = "STOPPING"
				}
				return nil
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// activate registers t's targets and promotes it to RUNNING once they are
// healthy, or stops it when they fail after the grace period.
func (a *API) activate(ctx context.Context, cluster string, svc *Service, t *Task, now time.Time, grace time.Duration) error {
	var want []TaskTarget
	allHealthy := true
	for _, lbc := range svc.LoadBalancers {
		tt, delay, ok := a.lb.TargetGroup(lbc.TargetGroupArn)
		if !ok {
			allHealthy = false
			continue
		}
		target, ok := a.lbTarget(cluster, t, lbc, tt)
		if !ok {
			allHealthy = false
			continue
		}
		want = append(want, TaskTarget{TargetGroupArn: lbc.TargetGroupArn, ID: target.ID, Port: target.Port, DelaySeconds: int64(delay / time.Second)})
		states := a.lb.TargetStates(lbc.TargetGroupArn)
		state, registered := states[target.key()]
		if !registered {
			if err := a.lb.RegisterTargets(ctx, lbc.TargetGroupArn, []LBTarget{target}); err != nil {
				return fmt.Errorf("register task %s in %s: %w", taskID(t.TaskArn), lbc.TargetGroupArn, err)
			}
			state = "initial"
		}
		if state != "healthy" {
			allHealthy = false
		}
		if state == "unhealthy" && t.StartedAt != nil && now.Sub(t.StartedAt.Time) > grace {
			return a.stopTask(ctx, cluster, t.TaskArn, "Task failed ELB health checks in (target-group "+lbc.TargetGroupArn+")", "ServiceSchedulerInitiated")
		}
	}
	if sameTargets(t.TideTargets, want) && (t.LastStatus == "RUNNING" || !allHealthy) {
		return nil
	}
	_, err := updateJSON(ctx, a.store, taskKey(cluster, taskID(t.TaskArn)), func(cur *Task) error {
		if cur.DesiredStatus != "RUNNING" || (cur.LastStatus != "ACTIVATING" && cur.LastStatus != "RUNNING") {
			return nil
		}
		cur.TideTargets = want
		if allHealthy && cur.LastStatus == "ACTIVATING" {
			cur.LastStatus, cur.TideActivating = "RUNNING", false
			cur.Version++
		}
		return nil
	})
	return err
}

// deactivate deregisters the targets of a task being stopped.
func (a *API) deactivate(ctx context.Context, cluster string, t *Task) error {
	for _, tt := range t.TideTargets {
		if err := a.lb.DeregisterTargets(ctx, tt.TargetGroupArn, []LBTarget{{ID: tt.ID, Port: tt.Port}}); err != nil {
			return fmt.Errorf("deregister task %s from %s: %w", taskID(t.TaskArn), tt.TargetGroupArn, err)
		}
	}
	_, err := updateJSON(ctx, a.store, taskKey(cluster, taskID(t.TaskArn)), func(cur *Task) error {
		cur.TideTargets = nil
		if cur.TideDrainUntil != nil && cur.LastStatus != "STOPPED" {
			cur.LastStatus = "DEACTIVATING"
		}
		return nil
	})
	return err
}

// drainUntil is when a task stopped now may stop its containers: after the
// longest deregistration delay of its targets.
func drainUntil(t *Task, now time.Time) *awsjson.Time {
	if len(t.TideTargets) == 0 || (t.LastStatus != "RUNNING" && t.LastStatus != "ACTIVATING") {
		return nil
	}
	var d int64
	for _, tt := range t.TideTargets {
		d = max(d, tt.DelaySeconds)
	}
	return awsjson.At(now.Add(time.Duration(d) * time.Second))
}

// lbTarget is the target of container lbc.ContainerName:lbc.ContainerPort
// of t: for ip target groups the task's address and the container port
// (awsvpc), for instance ones the container instance and the host port.
// Tasks without an address of their own (the process runtime, bridge
// networking on the local agent) are reached on the host's loopback.
func (a *API) lbTarget(cluster string, t *Task, lbc LoadBalancer, targetType string) (LBTarget, bool) {
	port := valOr(lbc.ContainerPort, 0)
	for _, c := range t.Containers {
		if c.Name != lbc.ContainerName {
			continue
		}
		var hostPort int32
		for _, b := range c.NetworkBindings {
			if valOr(b.ContainerPort, 0) == port {
				hostPort = valOr(b.HostPort, 0)
			}
		}
		if targetType == "instance" {
			ci := a.instanceOf(cluster, t)
			if ci == "" || hostPort == 0 {
				return LBTarget{}, false
			}
			return LBTarget{ID: ci, Port: hostPort}, true
		}
		for _, ni := range c.NetworkInterfaces {
			if ni.PrivateIpv4Address != "" {
				return LBTarget{ID: ni.PrivateIpv4Address, Port: port}, true
			}
		}
		if hostPort != 0 {
			return LBTarget{ID: "127.0.0.1", Port: hostPort}, true
		}
	}
	return LBTarget{}, false
}

// instanceOf returns the EC2 instance ID of the container instance t runs on.
func (a *API) instanceOf(cluster string, t *Task) string {
	if t.ContainerInstanceArn == "" {
		return ""
	}
	var ci ContainerInstance
	if _, ok, err := a.getJSON(instanceKey(cluster, taskID(t.ContainerInstanceArn)), &ci); err != nil || !ok {
		return ""
	}
	return ci.Ec2InstanceId
}

func sameTargets(a, b []TaskTarget) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
