package ecs

import (
	"encoding/json"

	"tide/internal/awsjson"
)

// Task is ECS's Task shape as the store holds it. The agent and scheduler
// (elsewhere) advance lastStatus; this package only creates and stops tasks.
type Task struct {
	TaskArn              string          `json:"taskArn"`
	ClusterArn           string          `json:"clusterArn"`
	TaskDefinitionArn    string          `json:"taskDefinitionArn"`
	ContainerInstanceArn string          `json:"containerInstanceArn,omitempty"`
	Overrides            *TaskOverride   `json:"overrides"`
	LastStatus           string          `json:"lastStatus"`
	DesiredStatus        string          `json:"desiredStatus"`
	HealthStatus         string          `json:"healthStatus"`
	Cpu                  string          `json:"cpu,omitempty"`
	Memory               string          `json:"memory,omitempty"`
	Containers           []Container     `json:"containers"`
	StartedBy            string          `json:"startedBy,omitempty"`
	Version              int64           `json:"version"`
	StoppedReason        string          `json:"stoppedReason,omitempty"`
	StopCode             string          `json:"stopCode,omitempty"`
	Connectivity         string          `json:"connectivity,omitempty"`
	ConnectivityAt       *awsjson.Time   `json:"connectivityAt,omitempty"`
	PullStartedAt        *awsjson.Time   `json:"pullStartedAt,omitempty"`
	PullStoppedAt        *awsjson.Time   `json:"pullStoppedAt,omitempty"`
	ExecutionStoppedAt   *awsjson.Time   `json:"executionStoppedAt,omitempty"`
	CreatedAt            *awsjson.Time   `json:"createdAt,omitempty"`
	StartedAt            *awsjson.Time   `json:"startedAt,omitempty"`
	StoppingAt           *awsjson.Time   `json:"stoppingAt,omitempty"`
	StoppedAt            *awsjson.Time   `json:"stoppedAt,omitempty"`
	Group                string          `json:"group,omitempty"`
	LaunchType           string          `json:"launchType,omitempty"`
	CapacityProviderName string          `json:"capacityProviderName,omitempty"`
	PlatformVersion      string          `json:"platformVersion,omitempty"`
	PlatformFamily       string          `json:"platformFamily,omitempty"`
	AvailabilityZone     string          `json:"availabilityZone,omitempty"`
	Attachments          []Attachment    `json:"attachments"`
	Attributes           []Attribute     `json:"attributes,omitempty"`
	Tags                 []Tag           `json:"tags,omitempty"`
	EnableExecuteCommand bool            `json:"enableExecuteCommand"`
	EphemeralStorage     json.RawMessage `json:"ephemeralStorage,omitempty"`
	// NetworkConfiguration is kept for the scheduler; AWS reports it through
	// attachments, not as a member of Task.
	NetworkConfiguration *NetworkConfiguration `json:"tideNetworkConfiguration,omitempty"`
	// TideHost is the agent host the task is assigned to (FARGATE tasks have
	// no container instance); AWS clients ignore it.
	TideHost string `json:"tideHost,omitempty"`
	// The placement rules the task was started with (RunTask or service).
	TidePlacementConstraints []PlacementConstraint `json:"tidePlacementConstraints,omitempty"`
	TidePlacementStrategy    []PlacementStrategy   `json:"tidePlacementStrategy,omitempty"`
	// Load balancing (services with loadBalancers): TideActivating holds a
	// task in ACTIVATING until its targets are healthy; TideTargets are the
	// targets registered for it; TideDrainUntil holds its containers
	// running, DEACTIVATING, until its targets have drained.
	TideActivating bool          `json:"tideActivating,omitempty"`
	TideTargets    []TaskTarget  `json:"tideTargets,omitempty"`
	TideDrainUntil *awsjson.Time `json:"tideDrainUntil,omitempty"`
}

// Container is one container of a task.
type Container struct {
	ContainerArn      string             `json:"containerArn"`
	TaskArn           string             `json:"taskArn"`
	Name              string             `json:"name"`
	Image             string             `json:"image,omitempty"`
	ImageDigest       string             `json:"imageDigest,omitempty"`
	RuntimeId         string             `json:"runtimeId,omitempty"`
	LastStatus        string             `json:"lastStatus"`
	ExitCode          *int32             `json:"exitCode,omitempty"`
	Reason            string             `json:"reason,omitempty"`
	NetworkBindings   []NetworkBinding   `json:"networkBindings"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces"`
	HealthStatus      string             `json:"healthStatus,omitempty"`
	Cpu               string             `json:"cpu,omitempty"`
	Memory            string             `json:"memory,omitempty"`
	MemoryReservation string             `json:"memoryReservation,omitempty"`
	GpuIds            []string           `json:"gpuIds,omitempty"`
}

// NetworkBinding maps a container port to a host port.
type NetworkBinding struct {
	BindIP             string `json:"bindIP,omitempty"`
	ContainerPort      *int32 `json:"containerPort,omitempty"`
	HostPort           *int32 `json:"hostPort,omitempty"`
	Protocol           string `json:"protocol,omitempty"`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
	HostPortRange      string `json:"hostPortRange,omitempty"`
}

// NetworkInterface is a task's network interface (awsvpc).
type NetworkInterface struct {
	AttachmentId       string `json:"attachmentId,omitempty"`
	PrivateIpv4Address string `json:"privateIpv4Address,omitempty"`
	Ipv6Address        string `json:"ipv6Address,omitempty"`
}

// Attachment is a resource attached to a task, such as its ENI.
type Attachment struct {
	Id      string         `json:"id,omitempty"`
	Type    string         `json:"type,omitempty"`
	Status  string         `json:"status,omitempty"`
	Details []KeyValuePair `json:"details,omitempty"`
}

// TaskOverride holds RunTask's overrides.
type TaskOverride struct {
	ContainerOverrides            []ContainerOverride `json:"containerOverrides"`
	Cpu                           string              `json:"cpu,omitempty"`
	Memory                        string              `json:"memory,omitempty"`
	ExecutionRoleArn              string              `json:"executionRoleArn,omitempty"`
	TaskRoleArn                   string              `json:"taskRoleArn,omitempty"`
	EphemeralStorage              json.RawMessage     `json:"ephemeralStorage,omitempty"`
	InferenceAcceleratorOverrides []json.RawMessage   `json:"inferenceAcceleratorOverrides"`
}

// ContainerOverride overrides one container's settings for one task.
type ContainerOverride struct {
	Name                 string            `json:"name,omitempty"`
	Command              []string          `json:"command,omitempty"`
	Environment          []KeyValuePair    `json:"environment,omitempty"`
	EnvironmentFiles     []json.RawMessage `json:"environmentFiles,omitempty"`
	Cpu                  *int32            `json:"cpu,omitempty"`
	Memory               *int32            `json:"memory,omitempty"`
	MemoryReservation    *int32            `json:"memoryReservation,omitempty"`
	ResourceRequirements []json.RawMessage `json:"resourceRequirements,omitempty"`
}

// NetworkConfiguration is the awsvpc configuration of a task or service.
type NetworkConfiguration struct {
	AwsvpcConfiguration *AwsVpcConfiguration `json:"awsvpcConfiguration,omitempty"`
}

// AwsVpcConfiguration names subnets and security groups. Tide has one
// network per host; it keeps the values and reports them back.
type AwsVpcConfiguration struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	AssignPublicIp string   `json:"assignPublicIp,omitempty"`
}

// Attribute is a name/value attribute of a container instance or task.
type Attribute struct {
	Name       string  `json:"name"`
	Value      *string `json:"value,omitempty"`
	TargetType string  `json:"targetType,omitempty"`
	TargetId   string  `json:"targetId,omitempty"`
}

// PlacementConstraint is a task placement constraint.
type PlacementConstraint struct {
	Type       string `json:"type,omitempty"`
	Expression string `json:"expression,omitempty"`
}

// PlacementStrategy is a task placement strategy.
type PlacementStrategy struct {
	Type  string `json:"type,omitempty"`
	Field string `json:"field,omitempty"`
}
