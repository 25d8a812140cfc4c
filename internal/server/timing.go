package server

import (
	"context"
	"fmt"
	"time"

	"tide/internal/autoscaling"
	"tide/internal/ecs"
)

// timing is what a timing profile sets.
type timing struct {
	name         string
	metricPeriod time.Duration // how often ECS and load balancer metrics are published
	hires        bool          // stored at one second
	initialCheck time.Duration // health checks of new targets; 0: the group's interval
	awsPeriods   bool          // alarms take only AWS's periods
	scaling      autoscaling.Timing
	alarmDelay   time.Duration // how long after a period ends alarms evaluate it
	alarmTick    time.Duration // how often the alarm controller looks for periods to evaluate
}

// timingProfile returns the profile named name: "fast" (the default) or
// "aws".
func timingProfile(name string) (timing, error) {
	switch name {
	case "", "fast":
		return timing{name: "fast", metricPeriod: time.Second, hires: true, initialCheck: 500 * time.Millisecond, scaling: autoscaling.FastTiming(), alarmDelay: 500 * time.Millisecond, alarmTick: 250 * time.Millisecond}, nil
	case "aws":
		return timing{name: "aws", metricPeriod: time.Minute, awsPeriods: true, scaling: autoscaling.AWSTiming(), alarmDelay: 10 * time.Second, alarmTick: time.Second}, nil
	}
	return timing{}, fmt.Errorf("unknown timing profile %q: want fast or aws", name)
}

// ecsServices is the ECS API as Application Auto Scaling sees it.
type ecsServices struct{ api *ecs.API }

func (e ecsServices) Capacity(ctx context.Context, cluster, service string) (autoscaling.Capacity, error) {
	c, err := e.api.Capacity(ctx, cluster, service)
	return autoscaling.Capacity{Desired: c.Desired, Running: c.Running, Pending: c.Pending, Deploying: c.Deploying}, err
}

func (e ecsServices) SetDesiredCount(ctx context.Context, cluster, service string, n int) error {
	return e.api.SetDesiredCount(ctx, cluster, service, n)
}
