package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/store"
)

// UpdateServiceInput is the UpdateService request.
type UpdateServiceInput struct {
	Cluster                       *string                        `json:"cluster"`
	Service                       *string                        `json:"service"`
	DesiredCount                  *int32                         `json:"desiredCount"`
	TaskDefinition                *string                        `json:"taskDefinition"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy"`
	PlatformVersion               *string                        `json:"platformVersion"`
	ForceNewDeployment            *bool                          `json:"forceNewDeployment"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds"`
	EnableExecuteCommand          *bool                          `json:"enableExecuteCommand"`
	EnableECSManagedTags          *bool                          `json:"enableECSManagedTags"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers"`
	PropagateTags                 *string                        `json:"propagateTags"`
	ServiceRegistries             []json.RawMessage              `json:"serviceRegistries"`
	AvailabilityZoneRebalancing   *string                        `json:"availabilityZoneRebalancing"`
}

// UpdateService changes a service. A new task definition, network
// configuration, platform version, capacity provider strategy, set of load
// balancers, or forceNewDeployment starts a new PRIMARY deployment; the old
// one becomes ACTIVE until the scheduler drains it. Concurrent updates are
// applied one after the other, never lost.
func (a *API) UpdateService(ctx context.Context, in *UpdateServiceInput) (*ServiceOutput, error) {
	if deref(in.Service) == "" {
		return nil, awserr.InvalidParameter("Service can not be blank.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	name := a.serviceRef(c.ClusterName, *in.Service)
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return nil, awserr.InvalidParameter("DesiredCount must be greater than or equal to 0.")
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return nil, err
	}
	if p := deref(in.PropagateTags); p != "" && !slices.Contains([]string{"TASK_DEFINITION", "SERVICE", "NONE"}, p) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'propagateTags' failed to satisfy constraint: Member must satisfy enum value set: [TASK_DEFINITION, SERVICE, NONE]", p)
	}
	tdArn := ""
	if ref := deref(in.TaskDefinition); ref != "" {
		td, err := a.taskDefForUse(ref)
		if err != nil {
			return nil, err
		}
		tdArn = td.TaskDefinitionARN
	}
	if name == "" {
		return nil, awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	svc, err := updateJSON(ctx, a.store, serviceKey(c.ClusterName, name), func(s *Service) error {
		if s.Status != "ACTIVE" {
			return awserr.Client("ServiceNotActiveException", "Service was not ACTIVE.")
		}
		return a.applyUpdate(s, in, tdArn)
	})
	if isNotFound(err) {
		return nil, awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &ServiceOutput{Service: a.describeService(c.ClusterName, svc)}, nil
}

func (a *API) applyUpdate(s *Service, in *UpdateServiceInput, tdArn string) error {
	if s.SchedulingStrategy == "DAEMON" && in.DesiredCount != nil {
		return awserr.InvalidParameter("The daemon scheduling strategy does not support a desired count for services.")
	}
	dc, err := deploymentConfig(in.DeploymentConfiguration, s.DeploymentConfiguration, s.SchedulingStrategy)
	if err != nil {
		return err
	}
	s.DeploymentConfiguration = dc
	if in.DesiredCount != nil {
		s.DesiredCount = *in.DesiredCount
	}
	redeploy := in.ForceNewDeployment != nil && *in.ForceNewDeployment
	if tdArn != "" && tdArn != s.TaskDefinition {
		s.TaskDefinition, redeploy = tdArn, true
	}
	if in.NetworkConfiguration != nil {
		s.NetworkConfiguration, redeploy = in.NetworkConfiguration, true
	}
	if in.PlatformVersion != nil && *in.PlatformVersion != s.PlatformVersion {
		s.PlatformVersion, redeploy = *in.PlatformVersion, true
	}
	if in.CapacityProviderStrategy != nil {
		s.CapacityProviderStrategy, s.LaunchType, redeploy = in.CapacityProviderStrategy, "", true
	}
	if in.LoadBalancers != nil {
		s.LoadBalancers, redeploy = in.LoadBalancers, true
	}
	if in.ServiceRegistries != nil {
		s.ServiceRegistries = in.ServiceRegistries
	}
	if in.PlacementConstraints != nil {
		s.PlacementConstraints = in.PlacementConstraints
	}
	if in.PlacementStrategy != nil {
		s.PlacementStrategy = in.PlacementStrategy
	}
	if in.HealthCheckGracePeriodSeconds != nil {
		s.HealthCheckGracePeriodSeconds = in.HealthCheckGracePeriodSeconds
	}
	if in.EnableExecuteCommand != nil {
		s.EnableExecuteCommand = *in.EnableExecuteCommand
	}
	if in.EnableECSManagedTags != nil {
		s.EnableECSManagedTags = *in.EnableECSManagedTags
	}
	if in.PropagateTags != nil {
		s.PropagateTags = *in.PropagateTags
	}
	if in.AvailabilityZoneRebalancing != nil {
		s.AvailabilityZoneRebalancing = *in.AvailabilityZoneRebalancing
	}
	now := awsjson.At(a.now())
	if redeploy && s.DeploymentController.Type == "ECS" {
		for _, d := range s.Deployments {
			if d.Status == "PRIMARY" {
				d.Status, d.UpdatedAt = "ACTIVE", now
			}
		}
		s.Deployments = append([]*Deployment{a.newDeployment(s)}, s.Deployments...)
	}
	for _, d := range s.Deployments {
		if d.Status == "PRIMARY" && d.DesiredCount != s.DesiredCount {
			d.DesiredCount, d.UpdatedAt = s.DesiredCount, now
		}
	}
	return nil
}

// DescribeServicesInput is the DescribeServices request.
type DescribeServicesInput struct {
	Cluster  *string  `json:"cluster"`
	Services []string `json:"services"`
	Include  []string `json:"include"`
}

// DescribeServicesOutput is the DescribeServices response.
type DescribeServicesOutput struct {
	Services []*Service `json:"services"`
	Failures []Failure  `json:"failures"`
}

// DescribeServices describes up to 10 services by name or ARN.
func (a *API) DescribeServices(ctx context.Context, in *DescribeServicesInput) (*DescribeServicesOutput, error) {
	out, _, err := a.describeServices(in)
	return out, err
}

// describeServices is DescribeServices, plus for each service described the
// key under which its encoding may be memoized: its store key, mod revision,
// the store revision its counts come from, and whether tags are included.
func (a *API) describeServices(in *DescribeServicesInput) (*DescribeServicesOutput, []string, error) {
	if len(in.Services) == 0 {
		return nil, nil, awserr.InvalidParameter("Services cannot be empty.")
	}
	if len(in.Services) > 10 {
		return nil, nil, awserr.InvalidParameter("Services cannot have more than 10 elements")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, nil, err
	}
	var memo []string
	tags := slices.Contains(in.Include, "TAGS")
	rev := a.store.Revision()
	out := &DescribeServicesOutput{Services: []*Service{}, Failures: []Failure{}}
	for _, ref := range in.Services {
		name := a.serviceRef(c.ClusterName, ref)
		var shared *Service
		ok := false
		if name != "" {
			shared, ok, err = cachedRecord[Service](a, serviceKey(c.ClusterName, name))
			if err != nil {
				return nil, nil, err
			}
		}
		if !ok {
			arn := ref
			if !isARN(ref) {
				arn = a.arn("service/" + c.ClusterName + "/" + ref)
			}
			out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
			continue
		}
		s := *shared
		s.Deployments = make([]*Deployment, len(shared.Deployments))
		for i, d := range shared.Deployments {
			cp := *d
			s.Deployments[i] = &cp
		}
		if !tags {
			s.Tags = nil
		}
		out.Services = append(out.Services, a.describeService(c.ClusterName, &s))
		kv, _ := a.store.Get(serviceKey(c.ClusterName, name))
		memo = append(memo, fmt.Sprintf("%s|%d|%d|%t", kv.Key, kv.ModRev, rev, tags))
	}
	return out, memo, nil
}

// describeServicesWire is DescribeServices as the edge serves it: each
// service's JSON is encoded once per change of the service or of the store
// (its counts), not once per request.
func (a *API) describeServicesWire(ctx context.Context, in *DescribeServicesInput) (*edge.RawJSON, error) {
	out, memo, err := a.describeServices(in)
	if err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, 2048*len(out.Services)+64), `{"services":[`...)
	for i, s := range out.Services {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, a.encodedService(memo[i], s)...)
	}
	b = append(b, `],"failures":`...)
	b = append(b, mustJSON(out.Failures)...)
	b = append(b, '}')
	raw := edge.RawJSON(b)
	return &raw, nil
}

func (a *API) encodedService(memo string, s *Service) []byte {
	key, _, _ := strings.Cut(memo, "|")
	a.encodedMu.Lock()
	e, ok := a.encoded[key]
	a.encodedMu.Unlock()
	if ok && e.memo == memo {
		return e.b
	}
	b := mustJSON(s)
	a.encodedMu.Lock()
	if a.encoded == nil {
		a.encoded = map[string]encodedEntry{}
	}
	a.encoded[key] = encodedEntry{memo: memo, b: b}
	a.encodedMu.Unlock()
	return b
}

type encodedEntry struct {
	memo string
	b    []byte
}

// describeService derives the running and pending counts, per deployment
// and in total, from the service's tasks.
func (a *API) describeService(cluster string, s *Service) *Service {
	tc := a.clusterTaskCounts(cluster)
	g := tc.byGroup["service:"+s.ServiceName]
	s.RunningCount, s.PendingCount = g.running, g.pending
	for _, d := range s.Deployments {
		dc := tc.byStartedBy[d.Id]
		d.RunningCount, d.PendingCount = dc.running, dc.pending
	}
	return s
}

// ListServicesInput is the ListServices request.
type ListServicesInput struct {
	Cluster            *string `json:"cluster"`
	LaunchType         *string `json:"launchType"`
	SchedulingStrategy *string `json:"schedulingStrategy"`
	NextToken          *string `json:"nextToken"`
	MaxResults         *int32  `json:"maxResults"`
}

// ListServicesOutput is the ListServices response.
type ListServicesOutput struct {
	ServiceArns []string `json:"serviceArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

// ListServices lists a cluster's ACTIVE and DRAINING services, 10 a page
// by default as on AWS.
func (a *API) ListServices(ctx context.Context, in *ListServicesInput) (*ListServicesOutput, error) {
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	arns, next, err := a.page("services/"+c.ClusterName+"/", pageArgs{in.NextToken, in.MaxResults}, 10, func(kv store.KV) (string, bool) {
		var s Service
		if json.Unmarshal(kv.Value, &s) != nil || s.Status == "INACTIVE" {
			return "", false
		}
		if in.LaunchType != nil && s.LaunchType != *in.LaunchType || in.SchedulingStrategy != nil && s.SchedulingStrategy != *in.SchedulingStrategy {
			return "", false
		}
		return s.ServiceArn, true
	})
	if err != nil {
		return nil, err
	}
	return &ListServicesOutput{ServiceArns: arns, NextToken: next}, nil
}

// DeleteServiceInput is the DeleteService request.
type DeleteServiceInput struct {
	Cluster *string `json:"cluster"`
	Service *string `json:"service"`
	Force   *bool   `json:"force"`
}

// DeleteService puts a service in DRAINING; it becomes INACTIVE once its
// tasks have stopped (see Reconcile).
func (a *API) DeleteService(ctx context.Context, in *DeleteServiceInput) (*ServiceOutput, error) {
	if deref(in.Service) == "" {
		return nil, awserr.InvalidParameter("Service can not be blank.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	name := a.serviceRef(c.ClusterName, *in.Service)
	force := in.Force != nil && *in.Force
	if name == "" {
		return nil, awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	svc, err := updateJSON(ctx, a.store, serviceKey(c.ClusterName, name), func(s *Service) error {
		if s.Status != "ACTIVE" {
			return awserr.Client("ServiceNotActiveException", "Service was not ACTIVE.")
		}
		if s.DesiredCount > 0 && !force && s.SchedulingStrategy == "REPLICA" {
			return awserr.InvalidParameter("The service cannot be stopped while it is scaled above 0.")
		}
		s.Status, s.DesiredCount = "DRAINING", 0
		for _, d := range s.Deployments {
			d.DesiredCount = 0
		}
		return nil
	})
	if isNotFound(err) {
		return nil, awserr.Client("ServiceNotFoundException", "Service not found.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &ServiceOutput{Service: a.describeService(c.ClusterName, svc)}, nil
}
