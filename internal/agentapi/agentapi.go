// Package agentapi is the wire protocol between Tide's agents and servers:
// JSON over HTTP on the edge port, signed with Signature V4 like every other
// request. An agent registers once, then polls: each poll carries the full
// observed state of its tasks and returns the full desired state, so either
// side can restart at any time and both converge (level-triggered).
//
// It depends only on the runtime package's types.
package agentapi

import "tide/internal/runtime"

// Paths and the SigV4 service name of the protocol.
const (
	PathRegister   = "/_tide/agent/v1/register"
	PathPoll       = "/_tide/agent/v1/poll"
	SigningService = "tide"
)

// RegisterRequest announces a host and its capacity.
type RegisterRequest struct {
	// HostID is the agent's stable identity, kept in its state directory, so
	// that a restarted agent is the same host.
	HostID string `json:"hostId"`
	// Cluster is the cluster the host joins as a container instance (EC2
	// capacity). Empty with Fargate set.
	Cluster string `json:"cluster,omitempty"`
	// Fargate marks the server's own local agent: capacity for tasks with
	// launch type FARGATE in any cluster, not a container instance.
	Fargate          bool              `json:"fargate,omitempty"`
	Hostname         string            `json:"hostname"`
	CPU              int32             `json:"cpu"`    // CPU units, 1,024 per core
	Memory           int32             `json:"memory"` // MiB
	Attributes       map[string]string `json:"attributes,omitempty"`
	AvailabilityZone string            `json:"availabilityZone,omitempty"`
	Runtime          string            `json:"runtime"`
	AgentVersion     string            `json:"agentVersion"`
	DockerVersion    string            `json:"dockerVersion,omitempty"`
}

// RegisterResponse says how the server knows the host.
type RegisterResponse struct {
	ContainerInstanceArn string `json:"containerInstanceArn,omitempty"`
	// PollWaitMillis is how long a poll may wait for a change; agents
	// heartbeat by polling at least that often.
	PollWaitMillis int `json:"pollWaitMillis"`
}

// PollRequest reports the host's observed state and asks for its desired
// state.
type PollRequest struct {
	HostID  string `json:"hostId"`
	Cluster string `json:"cluster,omitempty"`
	// Tasks is every task the host's runtime has, running or exited.
	Tasks []runtime.TaskStatus `json:"tasks"`
	// AfterRevision, when set, lets the server hold the poll until the
	// desired state may have changed after that store revision (or the wait
	// ends).
	AfterRevision int64 `json:"afterRevision,omitempty"`
}

// PollResponse is the host's desired state.
type PollResponse struct {
	Revision int64        `json:"revision"`
	Tasks    []Assignment `json:"tasks"`
	// Images are the images of the services this host may run tasks of:
	// the agent pulls them ahead of need.
	Images []string `json:"images,omitempty"`
	// Unknown is set when the server no longer knows the host (its instance
	// was deregistered): the agent registers again.
	Unknown bool `json:"unknown,omitempty"`
}

// Assignment is one task the host must run, or stop.
type Assignment struct {
	TaskArn       string           `json:"taskArn"`
	DesiredStatus string           `json:"desiredStatus"` // RUNNING or STOPPED
	Spec          runtime.TaskSpec `json:"spec"`
}
