// Package runtime defines how an agent runs a task's containers on its host,
// whatever runs them: the docker runtime (Docker Engine) or the process
// runtime (host processes). The agent is level-triggered over this interface:
// it lists what the runtime has, compares it with what the server assigned,
// and starts or stops the difference; so every method is idempotent by task
// ARN, and List must find again what an earlier agent process started.
//
// It depends on nothing in Tide; the implementations live in subpackages.
package runtime

import (
	"context"
	"time"
)

// Runtime runs tasks.
type Runtime interface {
	// Name is "docker" or "process".
	Name() string
	// Start creates and starts every container of spec. Calling it again for a
	// task the runtime already has does nothing and returns nil.
	Start(ctx context.Context, spec TaskSpec) error
	// Stop stops every container of the task: SIGTERM, then SIGKILL after each
	// container's StopTimeout. The task's record stays listable (exited) until
	// Remove. Stopping a task that is not running is not an error.
	Stop(ctx context.Context, taskArn string) error
	// Remove forgets an exited task and frees what it held (containers, files).
	Remove(ctx context.Context, taskArn string) error
	// List reports every task the runtime has, running or exited, with fresh
	// state and resource usage.
	List(ctx context.Context) ([]TaskStatus, error)
}

// TaskSpec is what a runtime needs to run one task.
type TaskSpec struct {
	TaskArn     string
	Cluster     string
	Family      string
	Revision    int32
	NetworkMode string // bridge, host, awsvpc or none; "" means bridge
	Containers  []ContainerSpec
}

// ContainerSpec is one container of a task, resolved from the task
// definition and the task's overrides.
type ContainerSpec struct {
	Name              string
	Image             string
	EntryPoint        []string
	Command           []string
	Env               []string // KEY=VALUE
	WorkingDirectory  string
	User              string
	CPU               int32 // CPU units; 1024 = one core; 0 = no limit
	Memory            int32 // hard limit, MiB; 0 = none
	MemoryReservation int32 // soft limit, MiB; 0 = none
	PortMappings      []PortMapping
	Essential         bool
	HealthCheck       *HealthCheck
	StopTimeout       time.Duration // 0 means 30s
	Ulimits           []Ulimit
	// LogDir, when set, is where the runtime writes the container's output
	// as LogDir/<name>.log, one line per write with stdout and stderr merged.
	LogDir string
	// LogDriver and LogOptions are the task definition's logConfiguration;
	// runtimes ignore them (they always write LogDir), the agent ships the
	// output of "awslogs" containers to CloudWatch Logs.
	LogDriver  string            `json:",omitempty"`
	LogOptions map[string]string `json:",omitempty"`
}

// PortMapping maps a container port to a host port; HostPort 0 asks the
// runtime to pick a free one.
type PortMapping struct {
	ContainerPort int32
	HostPort      int32
	Protocol      string // tcp or udp
}

// HealthCheck is a container health check as ECS defines it; Command starts
// with CMD or CMD-SHELL.
type HealthCheck struct {
	Command     []string
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int
	StartPeriod time.Duration
}

// Ulimit is a resource limit.
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// TaskStatus is what a runtime knows of one task.
type TaskStatus struct {
	TaskArn    string
	Containers []ContainerStatus
	// PullStartedAt and PullStoppedAt bound the pulls of the task's images
	// (zero when the runtime pulls nothing, as the process runtime).
	PullStartedAt time.Time `json:",omitzero"`
	PullStoppedAt time.Time `json:",omitzero"`
}

// Container states.
const (
	StateCreated = "created" // not started yet (or starting)
	StateRunning = "running"
	StateExited  = "exited"
)

// ContainerStatus is the observed state of one container.
type ContainerStatus struct {
	Name       string
	RuntimeID  string // docker container ID or process ID
	State      string // StateCreated, StateRunning or StateExited
	ExitCode   *int32 // set once exited
	Reason     string // why it exited, when the runtime knows (OOM, start failure)
	Health     string // HEALTHY, UNHEALTHY or UNKNOWN (no health check)
	StartedAt  time.Time
	FinishedAt time.Time
	Bindings   []Binding
	IPAddress  string // the task's address on its network (awsvpc, bridge)
	Usage      Usage
}

// Binding is a port a container was given on the host.
type Binding struct {
	BindIP        string
	ContainerPort int32
	HostPort      int32
	Protocol      string
}

// Usage is a container's resource use at one instant.
type Usage struct {
	At          time.Time
	CPUNanos    uint64 // cumulative CPU time used
	MemoryBytes uint64 // current memory use
	RxBytes     uint64 // cumulative network bytes received (0 when unknown)
	TxBytes     uint64
}
