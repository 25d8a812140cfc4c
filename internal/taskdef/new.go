package taskdef

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"tide/internal/awsjson"
)

// Health check settings AWS fills in when a container's health check omits
// them. startPeriod has no default: it stays off.
const (
	defaultHealthCheckInterval = 30
	defaultHealthCheckTimeout  = 5
	defaultHealthCheckRetries  = 3
)

// ecrImage matches an image in a private Amazon ECR registry.
var ecrImage = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/`)

// New builds the task definition that registering in produces, as
// DescribeTaskDefinition returns it: status ACTIVE, the given ARN, revision,
// registration time and principal, task cpu and memory as integer strings
// ("1 vCPU" becomes "1024", "2 GB" becomes "2048"), the compatibilities and
// required attributes AWS derives, and the defaults AWS fills in (see
// containerDefaults). Everything else in in is copied unchanged; tags are not
// part of a task definition. New does not validate in and does not retain or
// modify it; call Validate first.
func New(in *RegisterInput, arn string, revision int32, registeredAt time.Time, registeredBy string) *TaskDefinition {
	c := cloneInput(in)
	td := &TaskDefinition{
		TaskDefinitionARN:       arn,
		ContainerDefinitions:    c.ContainerDefinitions,
		Family:                  c.Family,
		TaskRoleARN:             c.TaskRoleARN,
		ExecutionRoleARN:        c.ExecutionRoleARN,
		NetworkMode:             c.NetworkMode,
		Revision:                &revision,
		Volumes:                 orEmpty(c.Volumes),
		Status:                  StatusActive,
		PlacementConstraints:    orEmpty(c.PlacementConstraints),
		RuntimePlatform:         c.RuntimePlatform,
		RequiresCompatibilities: c.RequiresCompatibilities,
		CPU:                     c.CPU,
		Memory:                  c.Memory,
		InferenceAccelerators:   c.InferenceAccelerators,
		PIDMode:                 c.PIDMode,
		IPCMode:                 c.IPCMode,
		ProxyConfiguration:      c.ProxyConfiguration,
		RegisteredAt:            awsjson.At(registeredAt),
		RegisteredBy:            registeredBy,
		EphemeralStorage:        c.EphemeralStorage,
		EnableFaultInjection:    c.EnableFaultInjection,
	}
	var cpu, mem int32
	if n, err := ParseCPU(c.CPU); err == nil {
		cpu, td.CPU = n, strconv.Itoa(int(n))
	}
	if n, err := ParseMemory(c.Memory); err == nil {
		mem, td.Memory = n, strconv.Itoa(int(n))
	}
	mode := effectiveMode(c.NetworkMode)
	for i := range td.ContainerDefinitions {
		containerDefaults(&td.ContainerDefinitions[i], mode)
	}
	td.Compatibilities = compatibilitiesOf(c, cpu, mem)
	td.RequiresAttributes = requiresAttributes(c)
	return td
}

// cloneInput returns a deep copy of in, or an empty input for nil.
func cloneInput(in *RegisterInput) *RegisterInput {
	out := &RegisterInput{}
	if in == nil {
		return out
	}
	b, err := json.Marshal(in)
	if err != nil || json.Unmarshal(b, out) != nil {
		*out = *in // cannot happen: the types hold only JSON-safe values
	}
	return out
}

// orEmpty returns s, or an empty non-nil slice that encodes as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// containerDefaults fills in what AWS fills in on a container definition:
// cpu 0; essential true; empty environment, mountPoints, portMappings and
// volumesFrom lists; protocol tcp on port mappings and, in awsvpc and host
// mode, a hostPort equal to the container port; and a health check's
// interval, timeout and retries.
func containerDefaults(c *ContainerDefinition, mode string) {
	if c.CPU == nil {
		c.CPU = new(int32)
	}
	if c.Essential == nil {
		c.Essential = new(true)
	}
	c.Environment = orEmpty(c.Environment)
	c.MountPoints = orEmpty(c.MountPoints)
	c.PortMappings = orEmpty(c.PortMappings)
	c.VolumesFrom = orEmpty(c.VolumesFrom)
	for i := range c.PortMappings {
		p := &c.PortMappings[i]
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		if (mode == NetworkModeAWSVPC || mode == NetworkModeHost) && p.ContainerPort != nil && (p.HostPort == nil || *p.HostPort == 0) {
			p.HostPort = new(*p.ContainerPort)
		}
	}
	if h := c.HealthCheck; h != nil {
		if h.Interval == nil {
			h.Interval = new(int32(defaultHealthCheckInterval))
		}
		if h.Timeout == nil {
			h.Timeout = new(int32(defaultHealthCheckTimeout))
		}
		if h.Retries == nil {
			h.Retries = new(int32(defaultHealthCheckRetries))
		}
	}
}

// requiresAttributes returns the container instance attributes AWS derives
// from a definition. It covers the rules seen in real DescribeTaskDefinition
// output; AWS derives further docker-remote-api attributes whose rules are
// not documented, and Tide omits those.
func requiresAttributes(in *RegisterInput) []Attribute {
	var names []string
	add := func(cond bool, name string) {
		if cond && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	cs := in.ContainerDefinitions
	some := func(f func(ContainerDefinition) bool) bool { return slices.ContainsFunc(cs, f) }
	awslogs := some(func(c ContainerDefinition) bool {
		return c.LogConfiguration != nil && c.LogConfiguration.LogDriver == "awslogs"
	})
	ecr := some(func(c ContainerDefinition) bool { return ecrImage.MatchString(c.Image) })
	execRole := in.ExecutionRoleARN != ""
	for _, c := range cs {
		if l := c.LogConfiguration; l != nil && slices.Contains(logDrivers, l.LogDriver) {
			add(true, "com.amazonaws.ecs.capability.logging-driver."+l.LogDriver)
		}
	}
	add(awslogs && execRole, "ecs.capability.execution-role-awslogs")
	add(ecr, "com.amazonaws.ecs.capability.ecr-auth")
	add(awslogs, "com.amazonaws.ecs.capability.docker-remote-api.1.19")
	add(some(func(c ContainerDefinition) bool { return len(c.EnvironmentFiles) > 0 }), "ecs.capability.env-files.s3")
	add(in.TaskRoleARN != "", "com.amazonaws.ecs.capability.task-iam-role")
	add(some(func(c ContainerDefinition) bool { return c.HealthCheck != nil }), "ecs.capability.container-health-check")
	add(ecr && execRole, "ecs.capability.execution-role-ecr-pull")
	for _, c := range cs {
		for _, s := range c.Secrets {
			add(strings.Contains(s.ValueFrom, ":secretsmanager:"), "ecs.capability.secrets.asm.environment-variables")
			add(!strings.Contains(s.ValueFrom, ":secretsmanager:"), "ecs.capability.secrets.ssm.environment-variables")
		}
	}
	add(some(func(c ContainerDefinition) bool { return isTrue(c.Privileged) }), "com.amazonaws.ecs.capability.privileged-container")
	add(in.PIDMode != "" || in.IPCMode != "", "ecs.capability.pid-ipc-namespace-sharing")
	add(in.NetworkMode == NetworkModeAWSVPC, "com.amazonaws.ecs.capability.docker-remote-api.1.18")
	add(in.NetworkMode == NetworkModeAWSVPC, "ecs.capability.task-eni")
	add(some(func(c ContainerDefinition) bool { return len(c.DependsOn) > 0 }), "ecs.capability.container-ordering")
	if len(names) == 0 {
		return nil
	}
	out := make([]Attribute, len(names))
	for i, n := range names {
		out[i] = Attribute{Name: n}
	}
	return out
}
