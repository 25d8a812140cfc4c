package ecs

import (
	"context"

	"tide/internal/awserr"
)

// ServiceCapacity is what Application Auto Scaling reads of a service.
type ServiceCapacity struct {
	Desired, Running, Pending int
	// Deploying is true while a deployment rolls out: ECS does not scale
	// in then.
	Deploying bool
}

// Capacity returns a service's desired, running and pending counts and
// whether a deployment is in progress; ServiceNotFoundException when the
// service does not exist or is not ACTIVE.
func (a *API) Capacity(ctx context.Context, cluster, service string) (ServiceCapacity, error) {
	var s Service
	_, found, err := a.getJSON(serviceKey(cluster, service), &s)
	if err != nil {
		return ServiceCapacity{}, err
	}
	if !found || s.Status != "ACTIVE" {
		return ServiceCapacity{}, awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	a.describeService(cluster, &s)
	c := ServiceCapacity{Desired: int(s.DesiredCount), Running: int(s.RunningCount), Pending: int(s.PendingCount)}
	for _, d := range s.Deployments {
		if d.RolloutState == "IN_PROGRESS" || len(s.Deployments) > 1 {
			c.Deploying = true
		}
	}
	return c, nil
}

// SetDesiredCount sets a service's desired count, as UpdateService does.
func (a *API) SetDesiredCount(ctx context.Context, cluster, service string, n int) error {
	count := int32(n)
	_, err := a.UpdateService(ctx, &UpdateServiceInput{Cluster: &cluster, Service: &service, DesiredCount: &count})
	return err
}
