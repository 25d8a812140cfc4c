package ecs

import (
	"context"
	"fmt"
	"strings"

	"tide/internal/awsjson"
	"tide/internal/store"
	"tide/internal/taskdef"
)

// reconcileService applies planService's decision for one ACTIVE service:
// it stops and starts tasks, then records the deployments and events.
func (a *API) reconcileService(ctx context.Context, cluster string, svc *Service) error {
	tasks := a.serviceTasks(cluster, svc.ServiceName)
	checked := map[string]bool{}
	for _, t := range tasks {
		if _, seen := checked[t.TaskDefinitionArn]; seen {
			continue
		}
		if td, err := a.taskDefByArn(t.TaskDefinitionArn); err == nil {
			checked[t.TaskDefinitionArn] = hasHealthCheck(td)
		}
	}
	if err := a.reconcileTargets(ctx, cluster, svc, tasks); err != nil {
		return err
	}
	plan := planService(svc, tasks, checked, a.agentCfg.DeploymentSettle, a.now())
	var events []string
	var stopped []string
	for _, s := range plan.stop {
		if err := a.stopTask(ctx, cluster, s.arn, s.reason, "ServiceSchedulerInitiated"); err != nil {
			return err
		}
		stopped = append(stopped, "(task "+taskID(s.arn)+")")
	}
	if len(stopped) > 0 {
		events = append(events, fmt.Sprintf("(service %s) has stopped %d running tasks: %s.", svc.ServiceName, len(stopped), strings.Join(stopped, " ")))
	}
	for _, d := range svc.Deployments {
		n := plan.start[d.Id]
		if n == 0 {
			continue
		}
		ids, err := a.startServiceTasks(ctx, cluster, svc, d, n)
		if err != nil {
			return err
		}
		events = append(events, fmt.Sprintf("(service %s) has started %d tasks: %s.", svc.ServiceName, n, strings.Join(ids, " ")))
	}
	events = append(events, plan.events...)
	primary := svc.Deployments[0].Id
	_, err := updateJSON(ctx, a.store, serviceKey(cluster, svc.ServiceName), func(s *Service) error {
		if s.Status != "ACTIVE" || len(s.Deployments) == 0 || s.Deployments[0].Id != primary {
			return nil // changed meanwhile: the next pass plans again
		}
		now := awsjson.At(a.now())
		if plan.rollback && len(s.Deployments) > 1 {
			prev := s.Deployments[1]
			s.Deployments = mergeDeployments(s.Deployments, plan.deployments, now)
			a.rollback(s, prev)
		} else {
			s.Deployments = mergeDeployments(s.Deployments, plan.deployments, now)
		}
		for _, e := range events {
			if len(s.Events) > 0 && s.Events[0].Message == e {
				continue // already the latest: say it once
			}
			s.Events = append([]ServiceEvent{{Id: newUUID(), CreatedAt: now, Message: e}}, s.Events...)
		}
		if len(s.Events) > 100 {
			s.Events = s.Events[:100]
		}
		return nil
	})
	return err
}

// mergeDeployments keeps the deployments the plan kept, with the plan's
// rollout state and failed count, and timestamps what changed.
func mergeDeployments(cur, planned []*Deployment, now *awsjson.Time) []*Deployment {
	byID := map[string]*Deployment{}
	for _, d := range planned {
		byID[d.Id] = d
	}
	var out []*Deployment
	for _, d := range cur {
		p, ok := byID[d.Id]
		if !ok {
			continue
		}
		if d.RolloutState != p.RolloutState || d.FailedTasks != p.FailedTasks {
			d.RolloutState, d.RolloutStateReason, d.FailedTasks, d.UpdatedAt = p.RolloutState, p.RolloutStateReason, p.FailedTasks, now
		}
		out = append(out, d)
	}
	return out
}

// rollback answers a tripped circuit breaker: a new PRIMARY deployment of
// the previous deployment's task definition.
func (a *API) rollback(s *Service, prev *Deployment) {
	failed := s.Deployments[0]
	failed.Status, failed.RolloutState = "ACTIVE", "FAILED"
	failed.RolloutStateReason = "ECS deployment circuit breaker: rolling back to deployment " + prev.Id + "."
	s.TaskDefinition = prev.TaskDefinition
	d := a.newDeployment(s)
	s.Deployments = append([]*Deployment{d}, s.Deployments...)
	s.Events = append([]ServiceEvent{{Id: newUUID(), CreatedAt: awsjson.At(a.now()),
		Message: fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start. Rolling back to %s.", s.ServiceName, failed.Id, prev.Id)}}, s.Events...)
}

// startServiceTasks creates n tasks of a deployment; placement assigns them.
func (a *API) startServiceTasks(ctx context.Context, cluster string, svc *Service, d *Deployment, n int) ([]string, error) {
	c, err := a.activeCluster(&cluster)
	if err != nil {
		return nil, err
	}
	td, err := a.taskDefByArn(d.TaskDefinition)
	if err != nil {
		return nil, err
	}
	launch := d.LaunchType
	if launch == "" {
		launch = "FARGATE"
	}
	var tags []Tag
	if svc.PropagateTags == "SERVICE" {
		tags = svc.Tags
	}
	spec := taskSpec{cluster: c, td: td, launchType: launch, group: "service:" + svc.ServiceName, startedBy: d.Id,
		network: d.NetworkConfiguration, tags: tags, platformVersion: d.PlatformVersion, exec: svc.EnableExecuteCommand,
		constraints: svc.PlacementConstraints, strategy: svc.PlacementStrategy}
	var writes []store.Write
	var ids []string
	for range n {
		t := a.newTask(spec, "")
		t.TideActivating = a.lb != nil && len(svc.LoadBalancers) > 0
		writes = append(writes, store.Put(taskKey(cluster, taskID(t.TaskArn)), mustJSON(t), store.MustBeNew))
		ids = append(ids, "(task "+taskID(t.TaskArn)+")")
	}
	if _, err := a.store.Commit(ctx, writes...); err != nil {
		return nil, err
	}
	return ids, nil
}

// hasHealthCheck reports whether an essential container of td has a
// health check: then its tasks count as healthy only once it passes.
func hasHealthCheck(td *taskdef.TaskDefinition) bool {
	for _, cd := range td.ContainerDefinitions {
		if (cd.Essential == nil || *cd.Essential) && cd.HealthCheck != nil && len(cd.HealthCheck.Command) > 0 {
			return true
		}
	}
	return false
}
