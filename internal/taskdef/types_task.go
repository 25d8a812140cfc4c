// Package taskdef holds the wire types of ECS task definitions, the rules AWS
// applies when one is registered, and the defaults AWS fills in before it
// returns one from DescribeTaskDefinition.
//
// The package is pure: it keeps no state, performs no I/O and reads no clock.
// Go type names are the shape names of the ECS service model (botocore's
// ecs/2014-11-13), except that RegisterTaskDefinitionRequest is RegisterInput.
// JSON tags are the model's member names. Scalars and pointers carry
// omitempty; lists and maps carry omitzero instead, so that an absent list
// stays absent while an empty list a client sent, or one AWS returns empty
// (such as a container's environment), is encoded as [].
package taskdef

import "tide/internal/awsjson"

// Network modes a task definition may name.
const (
	NetworkModeBridge = "bridge"
	NetworkModeHost   = "host"
	NetworkModeAWSVPC = "awsvpc"
	NetworkModeNone   = "none"
)

// Launch types a task definition may require or be compatible with.
const (
	CompatibilityEC2              = "EC2"
	CompatibilityFargate          = "FARGATE"
	CompatibilityExternal         = "EXTERNAL"
	CompatibilityManagedInstances = "MANAGED_INSTANCES"
)

// Statuses of a registered task definition.
const (
	StatusActive           = "ACTIVE"
	StatusInactive         = "INACTIVE"
	StatusDeleteInProgress = "DELETE_IN_PROGRESS"
)

// RegisterInput is the body of a RegisterTaskDefinition request (the model's
// RegisterTaskDefinitionRequest shape).
type RegisterInput struct {
	Family                  string                              `json:"family,omitempty"`
	TaskRoleARN             string                              `json:"taskRoleArn,omitempty"`
	ExecutionRoleARN        string                              `json:"executionRoleArn,omitempty"`
	NetworkMode             string                              `json:"networkMode,omitempty"`
	ContainerDefinitions    []ContainerDefinition               `json:"containerDefinitions,omitzero"`
	Volumes                 []Volume                            `json:"volumes,omitzero"`
	PlacementConstraints    []TaskDefinitionPlacementConstraint `json:"placementConstraints,omitzero"`
	RequiresCompatibilities []string                            `json:"requiresCompatibilities,omitzero"`
	CPU                     string                              `json:"cpu,omitempty"`
	Memory                  string                              `json:"memory,omitempty"`
	Tags                    []Tag                               `json:"tags,omitzero"`
	PIDMode                 string                              `json:"pidMode,omitempty"`
	IPCMode                 string                              `json:"ipcMode,omitempty"`
	ProxyConfiguration      *ProxyConfiguration                 `json:"proxyConfiguration,omitempty"`
	InferenceAccelerators   []InferenceAccelerator              `json:"inferenceAccelerators,omitzero"`
	EphemeralStorage        *EphemeralStorage                   `json:"ephemeralStorage,omitempty"`
	RuntimePlatform         *RuntimePlatform                    `json:"runtimePlatform,omitempty"`
	EnableFaultInjection    *bool                               `json:"enableFaultInjection,omitempty"`
}

// TaskDefinition is a registered task definition as DescribeTaskDefinition,
// RegisterTaskDefinition and DeregisterTaskDefinition return it. Its tags are
// not part of it; the API returns them beside it.
type TaskDefinition struct {
	TaskDefinitionARN       string                              `json:"taskDefinitionArn,omitempty"`
	ContainerDefinitions    []ContainerDefinition               `json:"containerDefinitions,omitzero"`
	Family                  string                              `json:"family,omitempty"`
	TaskRoleARN             string                              `json:"taskRoleArn,omitempty"`
	ExecutionRoleARN        string                              `json:"executionRoleArn,omitempty"`
	NetworkMode             string                              `json:"networkMode,omitempty"`
	Revision                *int32                              `json:"revision,omitempty"`
	Volumes                 []Volume                            `json:"volumes,omitzero"`
	Status                  string                              `json:"status,omitempty"`
	RequiresAttributes      []Attribute                         `json:"requiresAttributes,omitzero"`
	PlacementConstraints    []TaskDefinitionPlacementConstraint `json:"placementConstraints,omitzero"`
	Compatibilities         []string                            `json:"compatibilities,omitzero"`
	RuntimePlatform         *RuntimePlatform                    `json:"runtimePlatform,omitempty"`
	RequiresCompatibilities []string                            `json:"requiresCompatibilities,omitzero"`
	CPU                     string                              `json:"cpu,omitempty"`
	Memory                  string                              `json:"memory,omitempty"`
	InferenceAccelerators   []InferenceAccelerator              `json:"inferenceAccelerators,omitzero"`
	PIDMode                 string                              `json:"pidMode,omitempty"`
	IPCMode                 string                              `json:"ipcMode,omitempty"`
	ProxyConfiguration      *ProxyConfiguration                 `json:"proxyConfiguration,omitempty"`
	RegisteredAt            *awsjson.Time                       `json:"registeredAt,omitempty"`
	DeregisteredAt          *awsjson.Time                       `json:"deregisteredAt,omitempty"`
	DeleteRequestedAt       *awsjson.Time                       `json:"deleteRequestedAt,omitempty"`
	RegisteredBy            string                              `json:"registeredBy,omitempty"`
	EphemeralStorage        *EphemeralStorage                   `json:"ephemeralStorage,omitempty"`
	EnableFaultInjection    *bool                               `json:"enableFaultInjection,omitempty"`
}

// Tag is a key and an optional value attached to a resource.
type Tag struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Attribute is a container instance attribute that tasks of a definition
// require, such as "ecs.capability.task-eni".
type Attribute struct {
	Name       string `json:"name,omitempty"`
	Value      string `json:"value,omitempty"`
	TargetType string `json:"targetType,omitempty"`
	TargetID   string `json:"targetId,omitempty"`
}

// TaskDefinitionPlacementConstraint is a placement constraint stored in a task
// definition; its only type is "memberOf".
type TaskDefinitionPlacementConstraint struct {
	Type       string `json:"type,omitempty"`
	Expression string `json:"expression,omitempty"`
}

// RuntimePlatform names the operating system family and CPU architecture the
// task runs on.
type RuntimePlatform struct {
	CPUArchitecture       string `json:"cpuArchitecture,omitempty"`
	OperatingSystemFamily string `json:"operatingSystemFamily,omitempty"`
}

// ProxyConfiguration configures an App Mesh proxy for the task.
type ProxyConfiguration struct {
	Type          string         `json:"type,omitempty"`
	ContainerName string         `json:"containerName,omitempty"`
	Properties    []KeyValuePair `json:"properties,omitzero"`
}

// InferenceAccelerator is an Elastic Inference accelerator the task uses.
type InferenceAccelerator struct {
	DeviceName string `json:"deviceName,omitempty"`
	DeviceType string `json:"deviceType,omitempty"`
}

// EphemeralStorage is the amount of ephemeral storage, in GiB, for a Fargate
// task.
type EphemeralStorage struct {
	SizeInGiB *int32 `json:"sizeInGiB,omitempty"`
}

// Volume is a data volume that containers of the task may mount. At most one
// of its configurations is set; with none set it is a bind mount whose host
// path Docker chooses.
type Volume struct {
	Name                                    string                                   `json:"name,omitempty"`
	Host                                    *HostVolumeProperties                    `json:"host,omitempty"`
	DockerVolumeConfiguration               *DockerVolumeConfiguration               `json:"dockerVolumeConfiguration,omitempty"`
	EFSVolumeConfiguration                  *EFSVolumeConfiguration                  `json:"efsVolumeConfiguration,omitempty"`
	S3FilesVolumeConfiguration              *S3FilesVolumeConfiguration              `json:"s3filesVolumeConfiguration,omitempty"`
	FSxWindowsFileServerVolumeConfiguration *FSxWindowsFileServerVolumeConfiguration `json:"fsxWindowsFileServerVolumeConfiguration,omitempty"`
	ConfiguredAtLaunch                      *bool                                    `json:"configuredAtLaunch,omitempty"`
}

// HostVolumeProperties is a bind mount of a path on the container instance.
type HostVolumeProperties struct {
	SourcePath string `json:"sourcePath,omitempty"`
}

// DockerVolumeConfiguration is a Docker volume managed by a volume driver.
type DockerVolumeConfiguration struct {
	Scope         string            `json:"scope,omitempty"`
	Autoprovision *bool             `json:"autoprovision,omitempty"`
	Driver        string            `json:"driver,omitempty"`
	DriverOpts    map[string]string `json:"driverOpts,omitzero"`
	Labels        map[string]string `json:"labels,omitzero"`
}

// EFSVolumeConfiguration is an Amazon EFS file system mounted as a volume.
type EFSVolumeConfiguration struct {
	FileSystemID          string                  `json:"fileSystemId,omitempty"`
	RootDirectory         string                  `json:"rootDirectory,omitempty"`
	TransitEncryption     string                  `json:"transitEncryption,omitempty"`
	TransitEncryptionPort *int32                  `json:"transitEncryptionPort,omitempty"`
	AuthorizationConfig   *EFSAuthorizationConfig `json:"authorizationConfig,omitempty"`
}

// EFSAuthorizationConfig selects the access point and IAM use of an EFS
// volume.
type EFSAuthorizationConfig struct {
	AccessPointID string `json:"accessPointId,omitempty"`
	IAM           string `json:"iam,omitempty"`
}

// S3FilesVolumeConfiguration is an Amazon S3 Files file system mounted as a
// volume.
type S3FilesVolumeConfiguration struct {
	FileSystemARN         string `json:"fileSystemArn,omitempty"`
	RootDirectory         string `json:"rootDirectory,omitempty"`
	TransitEncryptionPort *int32 `json:"transitEncryptionPort,omitempty"`
	AccessPointARN        string `json:"accessPointArn,omitempty"`
}

// FSxWindowsFileServerVolumeConfiguration is an Amazon FSx for Windows File
// Server file system mounted as a volume.
type FSxWindowsFileServerVolumeConfiguration struct {
	FileSystemID        string                                   `json:"fileSystemId,omitempty"`
	RootDirectory       string                                   `json:"rootDirectory,omitempty"`
	AuthorizationConfig *FSxWindowsFileServerAuthorizationConfig `json:"authorizationConfig,omitempty"`
}

// FSxWindowsFileServerAuthorizationConfig holds the credentials and domain
// used to mount an FSx for Windows File Server volume.
type FSxWindowsFileServerAuthorizationConfig struct {
	CredentialsParameter string `json:"credentialsParameter,omitempty"`
	Domain               string `json:"domain,omitempty"`
}
