package taskdef

// ContainerDefinition describes one container of a task.
type ContainerDefinition struct {
	Name                   string                  `json:"name,omitempty"`
	Image                  string                  `json:"image,omitempty"`
	RepositoryCredentials  *RepositoryCredentials  `json:"repositoryCredentials,omitempty"`
	CPU                    *int32                  `json:"cpu,omitempty"`
	Memory                 *int32                  `json:"memory,omitempty"`
	MemoryReservation      *int32                  `json:"memoryReservation,omitempty"`
	Links                  []string                `json:"links,omitzero"`
	PortMappings           []PortMapping           `json:"portMappings,omitzero"`
	Essential              *bool                   `json:"essential,omitempty"`
	RestartPolicy          *ContainerRestartPolicy `json:"restartPolicy,omitempty"`
	EntryPoint             []string                `json:"entryPoint,omitzero"`
	Command                []string                `json:"command,omitzero"`
	Environment            []KeyValuePair          `json:"environment,omitzero"`
	EnvironmentFiles       []EnvironmentFile       `json:"environmentFiles,omitzero"`
	MountPoints            []MountPoint            `json:"mountPoints,omitzero"`
	VolumesFrom            []VolumeFrom            `json:"volumesFrom,omitzero"`
	LinuxParameters        *LinuxParameters        `json:"linuxParameters,omitempty"`
	Secrets                []Secret                `json:"secrets,omitzero"`
	DependsOn              []ContainerDependency   `json:"dependsOn,omitzero"`
	StartTimeout           *int32                  `json:"startTimeout,omitempty"`
	StopTimeout            *int32                  `json:"stopTimeout,omitempty"`
	VersionConsistency     string                  `json:"versionConsistency,omitempty"`
	Hostname               string                  `json:"hostname,omitempty"`
	User                   string                  `json:"user,omitempty"`
	WorkingDirectory       string                  `json:"workingDirectory,omitempty"`
	DisableNetworking      *bool                   `json:"disableNetworking,omitempty"`
	Privileged             *bool                   `json:"privileged,omitempty"`
	ReadonlyRootFilesystem *bool                   `json:"readonlyRootFilesystem,omitempty"`
	DNSServers             []string                `json:"dnsServers,omitzero"`
	DNSSearchDomains       []string                `json:"dnsSearchDomains,omitzero"`
	ExtraHosts             []HostEntry             `json:"extraHosts,omitzero"`
	DockerSecurityOptions  []string                `json:"dockerSecurityOptions,omitzero"`
	Interactive            *bool                   `json:"interactive,omitempty"`
	PseudoTerminal         *bool                   `json:"pseudoTerminal,omitempty"`
	DockerLabels           map[string]string       `json:"dockerLabels,omitzero"`
	Ulimits                []Ulimit                `json:"ulimits,omitzero"`
	LogConfiguration       *LogConfiguration       `json:"logConfiguration,omitempty"`
	HealthCheck            *HealthCheck            `json:"healthCheck,omitempty"`
	SystemControls         []SystemControl         `json:"systemControls,omitzero"`
	ResourceRequirements   []ResourceRequirement   `json:"resourceRequirements,omitzero"`
	FirelensConfiguration  *FirelensConfiguration  `json:"firelensConfiguration,omitempty"`
	CredentialSpecs        []string                `json:"credentialSpecs,omitzero"`
}

// RepositoryCredentials names the secret holding private registry
// credentials.
type RepositoryCredentials struct {
	CredentialsParameter string `json:"credentialsParameter,omitempty"`
}

// PortMapping maps a container port, or a range of them, to the host.
type PortMapping struct {
	ContainerPort      *int32 `json:"containerPort,omitempty"`
	HostPort           *int32 `json:"hostPort,omitempty"`
	Protocol           string `json:"protocol,omitempty"`
	Name               string `json:"name,omitempty"`
	AppProtocol        string `json:"appProtocol,omitempty"`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
}

// ContainerRestartPolicy lets ECS restart an exited container in place.
type ContainerRestartPolicy struct {
	Enabled              *bool   `json:"enabled,omitempty"`
	IgnoredExitCodes     []int32 `json:"ignoredExitCodes,omitzero"`
	RestartAttemptPeriod *int32  `json:"restartAttemptPeriod,omitempty"`
}

// KeyValuePair is a name and a value, such as an environment variable.
type KeyValuePair struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// EnvironmentFile is an S3 object holding environment variables.
type EnvironmentFile struct {
	Value string `json:"value,omitempty"`
	Type  string `json:"type,omitempty"`
}

// MountPoint mounts a task volume into the container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume,omitempty"`
	ContainerPath string `json:"containerPath,omitempty"`
	ReadOnly      *bool  `json:"readOnly,omitempty"`
}

// VolumeFrom mounts every volume of another container of the task.
type VolumeFrom struct {
	SourceContainer string `json:"sourceContainer,omitempty"`
	ReadOnly        *bool  `json:"readOnly,omitempty"`
}

// LinuxParameters are Linux-specific container settings.
type LinuxParameters struct {
	Capabilities       *KernelCapabilities `json:"capabilities,omitempty"`
	Devices            []Device            `json:"devices,omitzero"`
	InitProcessEnabled *bool               `json:"initProcessEnabled,omitempty"`
	SharedMemorySize   *int32              `json:"sharedMemorySize,omitempty"`
	Tmpfs              []Tmpfs             `json:"tmpfs,omitzero"`
	MaxSwap            *int32              `json:"maxSwap,omitempty"`
	Swappiness         *int32              `json:"swappiness,omitempty"`
}

// KernelCapabilities are Linux capabilities added to or dropped from Docker's
// default set.
type KernelCapabilities struct {
	Add  []string `json:"add,omitzero"`
	Drop []string `json:"drop,omitzero"`
}

// Device exposes a host device to the container.
type Device struct {
	HostPath      string   `json:"hostPath,omitempty"`
	ContainerPath string   `json:"containerPath,omitempty"`
	Permissions   []string `json:"permissions,omitzero"`
}

// Tmpfs is a tmpfs mount of the given size in MiB.
type Tmpfs struct {
	ContainerPath string   `json:"containerPath,omitempty"`
	Size          *int32   `json:"size,omitempty"`
	MountOptions  []string `json:"mountOptions,omitzero"`
}

// Secret is a secret exposed to the container, taken from Secrets Manager or
// the SSM Parameter Store.
type Secret struct {
	Name      string `json:"name,omitempty"`
	ValueFrom string `json:"valueFrom,omitempty"`
}

// ContainerDependency makes a container wait for another to reach a
// condition.
type ContainerDependency struct {
	ContainerName string `json:"containerName,omitempty"`
	Condition     string `json:"condition,omitempty"`
}

// HostEntry is a line appended to the container's /etc/hosts.
type HostEntry struct {
	Hostname  string `json:"hostname,omitempty"`
	IPAddress string `json:"ipAddress,omitempty"`
}

// Ulimit is a resource limit set in the container.
type Ulimit struct {
	Name      string `json:"name,omitempty"`
	SoftLimit *int32 `json:"softLimit,omitempty"`
	HardLimit *int32 `json:"hardLimit,omitempty"`
}

// LogConfiguration selects the container's log driver and its options.
type LogConfiguration struct {
	LogDriver     string            `json:"logDriver,omitempty"`
	Options       map[string]string `json:"options,omitzero"`
	SecretOptions []Secret          `json:"secretOptions,omitzero"`
}

// HealthCheck is a container health check run by the container runtime.
type HealthCheck struct {
	Command     []string `json:"command,omitzero"`
	Interval    *int32   `json:"interval,omitempty"`
	Timeout     *int32   `json:"timeout,omitempty"`
	Retries     *int32   `json:"retries,omitempty"`
	StartPeriod *int32   `json:"startPeriod,omitempty"`
}

// SystemControl is a namespaced kernel parameter (sysctl) set in the
// container.
type SystemControl struct {
	Namespace string `json:"namespace,omitempty"`
	Value     string `json:"value,omitempty"`
}

// ResourceRequirement reserves GPUs or an inference accelerator for the
// container.
type ResourceRequirement struct {
	Value string `json:"value,omitempty"`
	Type  string `json:"type,omitempty"`
}

// FirelensConfiguration makes the container a FireLens log router.
type FirelensConfiguration struct {
	Type    string            `json:"type,omitempty"`
	Options map[string]string `json:"options,omitzero"`
}
