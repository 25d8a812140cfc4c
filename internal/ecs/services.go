package ecs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/cql"
	"tide/internal/edge"
	"tide/internal/store"
	"tide/internal/taskdef"
)

func serviceKey(cluster, name string) string { return "services/" + cluster + "/" + name }

func (a *API) serviceOps(ops map[string]edge.Handler) {
	ops["CreateService"] = edge.Op(a.CreateService)
	ops["UpdateService"] = edge.Op(a.UpdateService)
	ops["DescribeServices"] = edge.Op(a.describeServicesWire)
	ops["ListServices"] = edge.Op(a.ListServices)
	ops["DeleteService"] = edge.Op(a.DeleteService)
}

// CreateServiceInput is the CreateService request.
type CreateServiceInput struct {
	Cluster                       *string                        `json:"cluster"`
	ServiceName                   *string                        `json:"serviceName"`
	TaskDefinition                *string                        `json:"taskDefinition"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers"`
	ServiceRegistries             []json.RawMessage              `json:"serviceRegistries"`
	DesiredCount                  *int32                         `json:"desiredCount"`
	ClientToken                   *string                        `json:"clientToken"`
	LaunchType                    *string                        `json:"launchType"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy"`
	PlatformVersion               *string                        `json:"platformVersion"`
	Role                          *string                        `json:"role"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds"`
	SchedulingStrategy            *string                        `json:"schedulingStrategy"`
	DeploymentController          *DeploymentController          `json:"deploymentController"`
	Tags                          []Tag                          `json:"tags"`
	EnableECSManagedTags          *bool                          `json:"enableECSManagedTags"`
	PropagateTags                 *string                        `json:"propagateTags"`
	EnableExecuteCommand          *bool                          `json:"enableExecuteCommand"`
	AvailabilityZoneRebalancing   *string                        `json:"availabilityZoneRebalancing"`
}

// ServiceOutput is the response of Create/Update/DeleteService.
type ServiceOutput struct {
	Service *Service `json:"service"`
}

// CreateService records a service and its first deployment. The scheduler
// (elsewhere) starts its tasks.
func (a *API) CreateService(ctx context.Context, in *CreateServiceInput) (*ServiceOutput, error) {
	name := deref(in.ServiceName)
	if name == "" {
		return nil, awserr.InvalidParameter("ServiceName can not be blank.")
	}
	if !nameRE.MatchString(name) {
		return nil, awserr.InvalidParameter("Service names can only contain letters (uppercase and lowercase), numbers, underscores, and hyphens, and must be between 1 and 255 characters long.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	strategy := firstNonEmpty(deref(in.SchedulingStrategy), "REPLICA")
	if strategy != "REPLICA" && strategy != "DAEMON" {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'schedulingStrategy' failed to satisfy constraint: Member must satisfy enum value set: [REPLICA, DAEMON]", strategy)
	}
	controller := &DeploymentController{Type: "ECS"}
	if in.DeploymentController != nil {
		controller = in.DeploymentController
		if !slices.Contains([]string{"ECS", "CODE_DEPLOY", "EXTERNAL"}, controller.Type) {
			return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'deploymentController.type' failed to satisfy constraint: Member must satisfy enum value set: [ECS, CODE_DEPLOY, EXTERNAL]", controller.Type)
		}
	}
	if deref(in.TaskDefinition) == "" && controller.Type != "EXTERNAL" {
		return nil, awserr.InvalidParameter("TaskDefinition can not be blank.")
	}
	var desired int32
	if in.DesiredCount != nil {
		desired = *in.DesiredCount
		if desired < 0 {
			return nil, awserr.InvalidParameter("DesiredCount must be greater than or equal to 0.")
		}
		if strategy == "DAEMON" {
			return nil, awserr.InvalidParameter("The daemon scheduling strategy does not support a desired count for services.")
		}
	}
	if in.LaunchType != nil && len(in.CapacityProviderStrategy) > 0 {
		return nil, awserr.InvalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	dc, err := deploymentConfig(in.DeploymentConfiguration, nil, strategy)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return nil, err
	}
	if p := deref(in.PropagateTags); p != "" && !slices.Contains([]string{"TASK_DEFINITION", "SERVICE", "NONE"}, p) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'propagateTags' failed to satisfy constraint: Member must satisfy enum value set: [TASK_DEFINITION, SERVICE, NONE]", p)
	}
	if g := in.HealthCheckGracePeriodSeconds; g != nil && (*g < 0 || *g > 2147483647) {
		return nil, awserr.InvalidParameter("healthCheckGracePeriodSeconds must be between 0 and 2147483647.")
	}
	svc := &Service{
		ServiceArn: a.arn("service/" + c.ClusterName + "/" + name), ServiceName: name, ClusterArn: c.ClusterArn,
		LoadBalancers: nonNil(in.LoadBalancers), ServiceRegistries: nonNil(in.ServiceRegistries),
		Status: "ACTIVE", DesiredCount: desired, CapacityProviderStrategy: in.CapacityProviderStrategy,
		DeploymentConfiguration: dc, Events: []ServiceEvent{}, CreatedAt: awsjson.At(a.now()),
		PlacementConstraints: nonNil(in.PlacementConstraints), PlacementStrategy: nonNil(in.PlacementStrategy),
		NetworkConfiguration: in.NetworkConfiguration, HealthCheckGracePeriodSeconds: in.HealthCheckGracePeriodSeconds,
		SchedulingStrategy: strategy, DeploymentController: controller, Tags: nonNil(in.Tags), CreatedBy: a.principal(),
		EnableECSManagedTags:        in.EnableECSManagedTags != nil && *in.EnableECSManagedTags,
		PropagateTags:               firstNonEmpty(deref(in.PropagateTags), "NONE"),
		EnableExecuteCommand:        in.EnableExecuteCommand != nil && *in.EnableExecuteCommand,
		AvailabilityZoneRebalancing: firstNonEmpty(deref(in.AvailabilityZoneRebalancing), "DISABLED"),
		RoleArn:                     deref(in.Role),
	}
	if controller.Type != "EXTERNAL" {
		td, err := a.taskDefForUse(deref(in.TaskDefinition))
		if err != nil {
			return nil, err
		}
		launch, err := launchTypeFor(deref(in.LaunchType), in.CapacityProviderStrategy, td)
		if err != nil {
			return nil, err
		}
		if len(in.CapacityProviderStrategy) == 0 {
			svc.LaunchType = launch
		}
		if launch == "FARGATE" {
			svc.PlatformVersion = firstNonEmpty(deref(in.PlatformVersion), "LATEST")
			svc.PlatformFamily = "Linux"
		}
		if err := checkNetworking(td, in.NetworkConfiguration); err != nil {
			return nil, err
		}
		if err := checkLoadBalancers(in.LoadBalancers, td); err != nil {
			return nil, err
		}
		if err := a.checkTargetGroups(in.LoadBalancers, td); err != nil {
			return nil, err
		}
		svc.TaskDefinition = td.TaskDefinitionARN
		svc.Deployments = []*Deployment{a.newDeployment(svc)}
	} else {
		svc.Deployments = []*Deployment{}
	}
	for {
		var old Service
		kv, ok, err := a.getJSON(serviceKey(c.ClusterName, name), &old)
		if err != nil {
			return nil, err
		}
		guard := store.MustBeNew
		if ok {
			if old.Status != "INACTIVE" {
				return nil, awserr.InvalidParameter("Creation of service was not idempotent.")
			}
			guard = kv.ModRev
		}
		_, err = a.store.Commit(ctx, store.Put(serviceKey(c.ClusterName, name), mustJSON(svc), guard))
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		return &ServiceOutput{Service: a.describeService(c.ClusterName, svc)}, nil
	}
}

// newDeployment starts a PRIMARY deployment of the service's current settings.
func (a *API) newDeployment(svc *Service) *Deployment {
	n, _ := rand.Int(rand.Reader, big.NewInt(9e18))
	id := fmt.Sprintf("ecs-svc/%019d", n.Int64()+1e17)
	now := awsjson.At(a.now())
	return &Deployment{
		Id: id, Status: "PRIMARY", TaskDefinition: svc.TaskDefinition, DesiredCount: svc.DesiredCount,
		CreatedAt: now, UpdatedAt: now, CapacityProviderStrategy: svc.CapacityProviderStrategy,
		LaunchType: svc.LaunchType, PlatformVersion: svc.PlatformVersion, PlatformFamily: svc.PlatformFamily,
		NetworkConfiguration: svc.NetworkConfiguration,
		RolloutState:         "IN_PROGRESS", RolloutStateReason: "ECS deployment " + id + " in progress.",
	}
}

// deploymentConfig applies AWS's defaults (100/200 for REPLICA, 0/100 for
// DAEMON, circuit breaker off) over cur and checks the ranges.
func deploymentConfig(in, cur *DeploymentConfiguration, strategy string) (*DeploymentConfiguration, error) {
	out := &DeploymentConfiguration{}
	if cur != nil {
		*out = *cur
	}
	if in != nil {
		if in.MaximumPercent != nil {
			out.MaximumPercent = in.MaximumPercent
		}
		if in.MinimumHealthyPercent != nil {
			out.MinimumHealthyPercent = in.MinimumHealthyPercent
		}
		if in.DeploymentCircuitBreaker != nil {
			out.DeploymentCircuitBreaker = in.DeploymentCircuitBreaker
		}
		if in.Alarms != nil {
			out.Alarms = in.Alarms
		}
		if in.Strategy != "" {
			out.Strategy = in.Strategy
		}
		if in.BakeTimeInMinutes != nil {
			out.BakeTimeInMinutes = in.BakeTimeInMinutes
		}
	}
	maxDef, minDef := int32(200), int32(100)
	if strategy == "DAEMON" {
		maxDef, minDef = 100, 0
	}
	if out.MaximumPercent == nil {
		out.MaximumPercent = &maxDef
	}
	if out.MinimumHealthyPercent == nil {
		out.MinimumHealthyPercent = &minDef
	}
	if out.DeploymentCircuitBreaker == nil {
		out.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{}
	}
	if s := out.Strategy; s != "" && s != "ROLLING" && s != "BLUE_GREEN" {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'deploymentConfiguration.strategy' failed to satisfy constraint: Member must satisfy enum value set: [ROLLING, BLUE_GREEN]", s)
	}
	if *out.MinimumHealthyPercent < 0 || *out.MinimumHealthyPercent > 100 {
		return nil, awserr.InvalidParameter("minimumHealthyPercent must be between 0 and 100.")
	}
	if *out.MaximumPercent < 100 || *out.MaximumPercent > 2147483647 {
		return nil, awserr.InvalidParameter("maximumPercent must be at least 100.")
	}
	return out, nil
}

func validatePlacement(cons []PlacementConstraint, strat []PlacementStrategy) error {
	if len(cons) > 10 {
		return awserr.InvalidParameter("placementConstraints can have at most 10 items.")
	}
	for _, pc := range cons {
		if pc.Type != "distinctInstance" && pc.Type != "memberOf" {
			return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'placementConstraints.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [distinctInstance, memberOf]", pc.Type)
		}
		if pc.Type == "memberOf" && pc.Expression == "" {
			return awserr.InvalidParameter("Expression is required for memberOf placement constraints.")
		}
		if pc.Type == "memberOf" {
			if _, err := cql.Parse(pc.Expression); err != nil {
				return awserr.InvalidParameter("%s", err.Error())
			}
		}
	}
	if len(strat) > 5 {
		return awserr.InvalidParameter("placementStrategy can have at most 5 items.")
	}
	for _, ps := range strat {
		switch ps.Type {
		case "random":
		case "spread":
			if ps.Field == "" {
				return awserr.InvalidParameter("Field is required for spread placement strategies.")
			}
		case "binpack":
			if ps.Field != "cpu" && ps.Field != "memory" {
				return awserr.InvalidParameter("Invalid field '%s' for binpack strategy: use cpu or memory.", ps.Field)
			}
		default:
			return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'placementStrategy.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [random, spread, binpack]", ps.Type)
		}
	}
	return nil
}

// checkTargetGroups checks, when a load balancer is wired in, that the
// target groups exist and suit the task's network mode, with ECS's errors.
func (a *API) checkTargetGroups(lbs []LoadBalancer, td *taskdef.TaskDefinition) error {
	if a.lb == nil {
		return nil
	}
	for _, l := range lbs {
		if l.TargetGroupArn == "" {
			continue
		}
		tt, _, ok := a.lb.TargetGroup(l.TargetGroupArn)
		if !ok {
			return awserr.InvalidParameter("Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.")
		}
		if td.NetworkMode == "awsvpc" && tt != "ip" {
			return awserr.InvalidParameter("The provided target group %s has target type %s, which is incompatible with the awsvpc network mode specified in the task definition.", l.TargetGroupArn, tt)
		}
	}
	return nil
}

func checkLoadBalancers(lbs []LoadBalancer, td *taskdef.TaskDefinition) error {
	if len(lbs) > 5 {
		return awserr.InvalidParameter("loadBalancers can have at most 5 items.")
	}
	for _, lb := range lbs {
		if lb.TargetGroupArn == "" && lb.LoadBalancerName == "" {
			return awserr.InvalidParameter("Either targetGroupArn or loadBalancerName must be specified.")
		}
		if lb.ContainerName == "" || lb.ContainerPort == nil {
			return awserr.InvalidParameter("containerName and containerPort must be specified for a load balancer.")
		}
		i := slices.IndexFunc(td.ContainerDefinitions, func(cd taskdef.ContainerDefinition) bool { return cd.Name == lb.ContainerName })
		if i < 0 {
			return awserr.InvalidParameter("The container %s does not exist in the task definition.", lb.ContainerName)
		}
		ok := slices.ContainsFunc(td.ContainerDefinitions[i].PortMappings, func(pm taskdef.PortMapping) bool {
			return pm.ContainerPort != nil && *pm.ContainerPort == *lb.ContainerPort
		})
		if !ok {
			return awserr.InvalidParameter("The container %s did not have a container port %d defined.", lb.ContainerName, *lb.ContainerPort)
		}
	}
	return nil
}

// serviceRef resolves ref (a name or ARN) in cluster to a service name.
func (a *API) serviceRef(cluster, ref string) string {
	if kind, rest, ok := a.parseARN(ref); ok && kind == "service" {
		c, name, ok := strings.Cut(rest, "/")
		if !ok {
			return rest // old ARN format without the cluster
		}
		if c != cluster {
			return ""
		}
		return name
	}
	return ref
}
