package server

import (
	"context"
	"strings"
	"time"

	"tide/internal/ecs"
	"tide/internal/elbv2"
	"tide/internal/lb"
)

// loadBalancing gives the ECS scheduler the target groups of the ELBv2 API
// and the data plane's view of their targets.
type loadBalancing struct {
	api *elbv2.API
	dp  *lb.DataPlane
}

var _ ecs.LoadBalancing = loadBalancing{}

func (l loadBalancing) TargetGroup(arn string) (string, time.Duration, bool) {
	g, ok := l.api.TargetGroupByARN(arn)
	if !ok {
		return "", 0, false
	}
	return g.TargetType, g.DeregistrationDelay, true
}

func descriptions(ts []ecs.LBTarget) []elbv2.TargetDescription {
	out := make([]elbv2.TargetDescription, len(ts))
	for i, t := range ts {
		out[i] = elbv2.TargetDescription{Id: &t.ID, Port: &t.Port}
	}
	return out
}

func (l loadBalancing) RegisterTargets(ctx context.Context, tg string, ts []ecs.LBTarget) error {
	return l.api.RegisterTargets(ctx, tg, descriptions(ts))
}

func (l loadBalancing) DeregisterTargets(ctx context.Context, tg string, ts []ecs.LBTarget) error {
	return l.api.DeregisterTargets(ctx, tg, descriptions(ts))
}

// TargetStates: the registered targets with the states DescribeTargetHealth reports.
func (l loadBalancing) TargetStates(tgARN string) map[string]string { return l.api.TargetStates(tgARN) }

// resolveInstance reaches an instance target (a container instance's EC2
// ID) on this host: agents on other hosts are not addressable yet.
func resolveInstance(id string) (string, bool) {
	return "127.0.0.1", strings.HasPrefix(id, "i-")
}
