package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"tide/internal/agentapi"
	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/store"
)

// fargateHost is a server's local agent: capacity for FARGATE tasks of every
// cluster. It is not a container instance and no ECS call lists it.
type fargateHost struct {
	HostID           string        `json:"hostId"`
	Hostname         string        `json:"hostname"`
	CPU              int32         `json:"cpu"`
	Memory           int32         `json:"memory"`
	AvailabilityZone string        `json:"availabilityZone,omitempty"`
	Runtime          string        `json:"runtime"`
	AgentVersion     string        `json:"agentVersion"`
	Connected        bool          `json:"connected"`
	LastHeartbeat    *awsjson.Time `json:"lastHeartbeat,omitempty"`
}

func fargateHostKey(id string) string { return "fargatehosts/" + id }

// AgentConfig tunes the agent protocol.
type AgentConfig struct {
	PollWait             time.Duration // how long a poll may wait for a change
	HeartbeatTimeout     time.Duration // silence after which a host is disconnected
	StoppedTaskRetention time.Duration // how long stopped tasks stay visible
	// DeploymentSettle is how long a deployment's tasks must have been
	// healthy before it is COMPLETED.
	DeploymentSettle time.Duration
}

// MountAgentAPI serves the agent protocol on e.
func (a *API) MountAgentAPI(e *edge.Edge) {
	e.HandleSigned("POST "+agentapi.PathRegister, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req agentapi.RegisterRequest
		if err := json.Unmarshal(body, &req); err != nil || req.HostID == "" {
			edge.WriteJSON(w, nil, awserr.Serialization("invalid register request"))
			return
		}
		resp, err := a.registerAgent(r.Context(), &req)
		edge.WriteJSON(w, resp, err)
	})
	e.HandleSigned("POST "+agentapi.PathPoll, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req agentapi.PollRequest
		if err := json.Unmarshal(body, &req); err != nil || req.HostID == "" {
			edge.WriteJSON(w, nil, awserr.Serialization("invalid poll request"))
			return
		}
		resp, err := a.poll(r.Context(), &req)
		edge.WriteJSON(w, resp, err)
	})
}

func (a *API) registerAgent(ctx context.Context, req *agentapi.RegisterRequest) (*agentapi.RegisterResponse, error) {
	now := awsjson.At(a.now())
	resp := &agentapi.RegisterResponse{PollWaitMillis: int(a.agentCfg.PollWait / time.Millisecond)}
	if req.Fargate {
		h := fargateHost{HostID: req.HostID, Hostname: req.Hostname, CPU: req.CPU, Memory: req.Memory,
			AvailabilityZone: req.AvailabilityZone, Runtime: req.Runtime, AgentVersion: req.AgentVersion,
			Connected: true, LastHeartbeat: now}
		_, err := a.store.Commit(ctx, store.Put(fargateHostKey(req.HostID), mustJSON(h), store.Any))
		return resp, storeErr(err)
	}
	c, err := a.activeCluster(&req.Cluster)
	if err != nil {
		return nil, err
	}
	attrs := []Attribute{
		{Name: "ecs.os-type", Value: str("linux")},
		{Name: "ecs.cpu-architecture", Value: str(cpuArch())},
		{Name: "ecs.instance-type", Value: str("tide." + req.Runtime)},
		{Name: "tide.hostname", Value: str(req.Hostname)},
	}
	if req.AvailabilityZone != "" {
		attrs = append(attrs, Attribute{Name: "ecs.availability-zone", Value: str(req.AvailabilityZone)})
	}
	keys := make([]string, 0, len(req.Attributes))
	for k := range req.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs = setAttribute(attrs, Attribute{Name: k, Value: str(req.Attributes[k])})
	}
	if err := validateAttributes(attrs); err != nil {
		return nil, err
	}
	res, _ := registeredResources([]Resource{{Name: "CPU", Type: "INTEGER", IntegerValue: req.CPU}, {Name: "MEMORY", Type: "INTEGER", IntegerValue: req.Memory}})
	version := &VersionInfo{AgentVersion: req.AgentVersion, DockerVersion: req.DockerVersion}
	if kv, ci := a.instanceByHost(c.ClusterName, req.HostID); ci != nil {
		out, err := updateJSON(ctx, a.store, kv.Key, func(ci *ContainerInstance) error {
			ci.Status, ci.AgentConnected, ci.TideLastHeartbeat = "ACTIVE", true, now
			ci.RegisteredResources, ci.VersionInfo, ci.Version = res, version, ci.Version+1
			for _, at := range attrs {
				ci.Attributes = setAttribute(ci.Attributes, at)
			}
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		resp.ContainerInstanceArn = out.ContainerInstanceArn
		return resp, nil
	}
	id := newID()
	ci := &ContainerInstance{
		ContainerInstanceArn: a.arn("container-instance/" + c.ClusterName + "/" + id),
		Ec2InstanceId:        "i-" + newID()[:17], Version: 1, VersionInfo: version,
		RegisteredResources: res, Status: "ACTIVE", AgentConnected: true, Attributes: attrs,
		RegisteredAt: now, Attachments: []Attachment{}, TideHostID: req.HostID, TideLastHeartbeat: now,
	}
	if _, err := a.store.Commit(ctx, store.Put(instanceKey(c.ClusterName, id), mustJSON(ci), store.MustBeNew)); err != nil {
		return nil, storeErr(err)
	}
	resp.ContainerInstanceArn = ci.ContainerInstanceArn
	return resp, nil
}

// instanceByHost finds the cluster's instance registered by host, if any.
func (a *API) instanceByHost(cluster, host string) (store.KV, *ContainerInstance) {
	for _, kv := range a.store.List("instances/" + cluster + "/") {
		if !bytesContains(kv.Value, host) {
			continue
		}
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) == nil && ci.TideHostID == host && ci.Status != "INACTIVE" {
			return kv, &ci
		}
	}
	return store.KV{}, nil
}

// poll records a host's heartbeat and observed tasks and answers with its
// desired tasks, holding the answer until something may have changed when
// the host had nothing new to say.
func (a *API) poll(ctx context.Context, req *agentapi.PollRequest) (*agentapi.PollResponse, error) {
	known, err := a.heartbeat(ctx, req)
	if err != nil {
		return nil, err
	}
	if !known {
		return &agentapi.PollResponse{Unknown: true}, nil
	}
	wrote := false
	for _, st := range req.Tasks {
		changed, err := a.applyReport(ctx, req.HostID, st)
		if err != nil {
			return nil, err
		}
		wrote = wrote || changed
	}
	if req.AfterRevision > 0 && !wrote {
		wctx, cancel := context.WithTimeout(ctx, a.agentCfg.PollWait)
		a.store.WaitFor(wctx, req.AfterRevision+1) // a timeout just ends the wait
		cancel()
	}
	rev := a.store.Revision()
	tasks, err := a.assignments(req.HostID)
	if err != nil {
		return nil, err
	}
	return &agentapi.PollResponse{Revision: rev, Tasks: tasks, Images: a.serviceImages(req.Cluster)}, nil
}

// heartbeat marks the host alive, writing at most every few seconds, and
// reports whether the server knows it.
func (a *API) heartbeat(ctx context.Context, req *agentapi.PollRequest) (bool, error) {
	now := a.now()
	stale := func(t *awsjson.Time) bool { return t == nil || now.Sub(t.Time) > a.agentCfg.HeartbeatTimeout/4 }
	if req.Cluster == "" {
		var h fargateHost
		kv, ok, err := a.getJSON(fargateHostKey(req.HostID), &h)
		if err != nil || !ok {
			return false, err
		}
		if h.Connected && !stale(h.LastHeartbeat) {
			return true, nil
		}
		_, err = updateJSON(ctx, a.store, kv.Key, func(h *fargateHost) error {
			h.Connected, h.LastHeartbeat = true, awsjson.At(now)
			return nil
		})
		return true, storeErr(err)
	}
	name := strings.TrimSpace(req.Cluster)
	kv, ci := a.instanceByHost(name, req.HostID)
	if ci == nil {
		return false, nil
	}
	if ci.AgentConnected && !stale(ci.TideLastHeartbeat) {
		return true, nil
	}
	_, err := updateJSON(ctx, a.store, kv.Key, func(ci *ContainerInstance) error {
		ci.AgentConnected, ci.TideLastHeartbeat = true, awsjson.At(now)
		return nil
	})
	return true, storeErr(err)
}

// serviceImages lists the images of the task definitions that the active
// services' deployments run where this agent could run them: the FARGATE
// ones for a Fargate agent (cluster ""), the others of its cluster for an
// EC2 one. Agents pull them ahead, so that a scale-out never waits on a pull.
func (a *API) serviceImages(cluster string) []string {
	var out []string
	for _, kv := range a.store.List("services/") {
		if bytes.Contains(kv.Value, []byte(`"status":"INACTIVE"`)) {
			continue
		}
		if cluster != "" && strings.Split(kv.Key, "/")[1] != cluster[strings.LastIndex(cluster, "/")+1:] {
			continue
		}
		var s Service
		if json.Unmarshal(kv.Value, &s) != nil || s.Status != "ACTIVE" {
			continue
		}
		for _, d := range s.Deployments {
			if (d.LaunchType == "FARGATE") != (cluster == "") {
				continue
			}
			td, err := a.taskDefByArn(d.TaskDefinition)
			if err != nil {
				continue
			}
			for _, c := range td.ContainerDefinitions {
				if c.Image != "" && !slices.Contains(out, c.Image) {
					out = append(out, c.Image)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
