package ecs

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strings"

	"tide/internal/awsjson"
	"tide/internal/placement"
	"tide/internal/taskdef"
)

// hostUsage is what the tasks assigned to a host hold of it.
type hostUsage struct {
	cpu, mem int32
	tcp, udp map[int32]bool
	groups   map[string]int
	tasks    int
}

// placeTasks assigns every task that waits for a host: FARGATE tasks to the
// servers' local agents, EC2 tasks to their cluster's container instances by
// the placement engine, StartTask's tasks to the instance they name.
func (a *API) placeTasks(ctx context.Context) error {
	var waiting []*Task
	usage := map[string]*hostUsage{}
	for _, kv := range a.store.List("tasks/") {
		if bytesContains(kv.Value, `"lastStatus":"STOPPED"`) {
			continue
		}
		var t Task
		if json.Unmarshal(kv.Value, &t) != nil || t.LastStatus == "STOPPED" {
			continue
		}
		if t.TideHost == "" {
			if t.DesiredStatus == "RUNNING" {
				waiting = append(waiting, &t)
			}
			continue
		}
		a.addUsage(usage, t.TideHost, &t)
	}
	if len(waiting) == 0 {
		return nil
	}
	sort.SliceStable(waiting, func(i, j int) bool { return createdBefore(waiting[i], waiting[j]) })
	fargate := a.fargateHosts()
	rng := rand.New(rand.NewPCG(uint64(a.now().UnixNano()), 0x7469646520706c63))
	failures := map[string]string{} // service key → event
	for _, t := range waiting {
		cluster, _, _ := taskClusterID(a, t.TaskArn)
		td, err := a.taskDefByArn(t.TaskDefinitionArn)
		if err != nil {
			continue
		}
		cpu, mem := taskReservation(t)
		tcp := fixedHostPorts(td)
		var host, instanceArn, az string
		switch {
		case t.ContainerInstanceArn != "": // StartTask named the instance
			ci, err := a.instance(cluster, t.ContainerInstanceArn)
			if err != nil || !ci.AgentConnected || ci.TideHostID == "" {
				continue // no agent there (yet): the task waits, honestly PENDING
			}
			host, instanceArn, az = ci.TideHostID, ci.ContainerInstanceArn, attr(ci.Attributes, "ecs.availability-zone")
		case t.LaunchType == "FARGATE":
			h := pickFargate(fargate, usage, cpu, mem)
			if h == nil {
				if name, ok := strings.CutPrefix(t.Group, "service:"); ok {
					failures[serviceKey(cluster, name)] = "(service " + name + ") was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone."
				}
				continue
			}
			host, az = h.HostID, h.AvailabilityZone
		default:
			views := a.instanceViews(cluster, usage)
			strategies := toStrategies(t.TidePlacementStrategy)
			if len(strategies) == 0 && strings.HasPrefix(t.Group, "service:") {
				strategies = placement.ServiceDefault()
			}
			res, err := placement.Place(views, placement.Request{
				Count: 1, CPU: cpu, Memory: mem, TCPPorts: tcp, Group: t.Group,
				Constraints: toConstraints(t.TidePlacementConstraints), Strategies: strategies, Rand: rng,
			})
			if err != nil || len(res.Placements) == 0 {
				if strings.HasPrefix(t.Group, "service:") && len(res.Failures) > 0 {
					name := strings.TrimPrefix(t.Group, "service:")
					failures[serviceKey(cluster, name)] = res.Failures[0].ServiceEvent(name)
				}
				continue
			}
			instanceArn = res.Placements[0]
			for _, v := range views {
				if v.Arn == instanceArn {
					host, az = v.Attributes["tide.host-id"], v.Attributes["ecs.availability-zone"]
				}
			}
		}
		if err := a.assign(ctx, cluster, t, host, instanceArn, az); err != nil {
			return err
		}
		t.TideHost = host
		a.addUsage(usage, host, t)
	}
	for key, msg := range failures {
		a.addServiceEvent(ctx, key, msg)
	}
	return nil
}

func createdBefore(a, b *Task) bool {
	if a.CreatedAt == nil || b.CreatedAt == nil {
		return false
	}
	return a.CreatedAt.Before(b.CreatedAt.Time)
}

func (a *API) addUsage(usage map[string]*hostUsage, host string, t *Task) {
	u := usage[host]
	if u == nil {
		u = &hostUsage{tcp: map[int32]bool{}, udp: map[int32]bool{}, groups: map[string]int{}}
		usage[host] = u
	}
	cpu, mem := taskReservation(t)
	u.cpu, u.mem, u.tasks = u.cpu+cpu, u.mem+mem, u.tasks+1
	u.groups[t.Group]++
	if td, err := a.taskDefByArn(t.TaskDefinitionArn); err == nil {
		for _, p := range fixedHostPorts(td) {
			u.tcp[p] = true
		}
	}
}

// fixedHostPorts are the host ports a task needs for itself: fixed host
// ports in bridge and host mode. Dynamic ports (0) and awsvpc tasks, which
// have an address of their own, need none.
func fixedHostPorts(td *taskdef.TaskDefinition) []int32 {
	if td.NetworkMode == "awsvpc" {
		return nil
	}
	var ports []int32
	for _, cd := range td.ContainerDefinitions {
		for _, pm := range cd.PortMappings {
			hp := val(pm.HostPort)
			if td.NetworkMode == "host" {
				hp = val(pm.ContainerPort)
			}
			if hp != 0 && firstNonEmpty(pm.Protocol, "tcp") == "tcp" {
				ports = append(ports, hp)
			}
		}
	}
	return ports
}

func (a *API) fargateHosts() []*fargateHost {
	var out []*fargateHost
	for _, kv := range a.store.List("fargatehosts/") {
		var h fargateHost
		if json.Unmarshal(kv.Value, &h) == nil && h.Connected {
			out = append(out, &h)
		}
	}
	return out
}

// pickFargate chooses the connected local agent with the most memory left
// that fits the task.
func pickFargate(hosts []*fargateHost, usage map[string]*hostUsage, cpu, mem int32) *fargateHost {
	var best *fargateHost
	var bestFree int32 = -1
	for _, h := range hosts {
		u := usage[h.HostID]
		usedCPU, usedMem := int32(0), int32(0)
		if u != nil {
			usedCPU, usedMem = u.cpu, u.mem
		}
		if h.CPU-usedCPU < cpu || h.Memory-usedMem < mem {
			continue
		}
		if free := h.Memory - usedMem; free > bestFree {
			best, bestFree = h, free
		}
	}
	return best
}

// instanceViews is the placement engine's view of a cluster's instances that
// can take tasks: ACTIVE, with a connected agent.
func (a *API) instanceViews(cluster string, usage map[string]*hostUsage) []placement.Instance {
	var out []placement.Instance
	for _, ci := range a.activeInstances(cluster) {
		if !ci.AgentConnected || ci.TideHostID == "" {
			continue
		}
		v := placement.Instance{Arn: ci.ContainerInstanceArn, ID: ci.Ec2InstanceId, Attributes: map[string]string{"tide.host-id": ci.TideHostID},
			TCPPorts: map[int32]bool{}, UDPPorts: map[int32]bool{}, TaskGroups: map[string]int{}, AgentConnected: true}
		if ci.VersionInfo != nil {
			v.AgentVersion = ci.VersionInfo.AgentVersion
		}
		if ci.RegisteredAt != nil {
			v.RegisteredAt = ci.RegisteredAt.Time
		}
		for _, at := range ci.Attributes {
			v.Attributes[at.Name] = deref(at.Value)
		}
		for _, r := range ci.RegisteredResources {
			switch r.Name {
			case "CPU":
				v.CPU = r.IntegerValue
			case "MEMORY":
				v.Memory = r.IntegerValue
			}
		}
		if u := usage[ci.TideHostID]; u != nil {
			v.CPU, v.Memory, v.RunningTasksCount = v.CPU-u.cpu, v.Memory-u.mem, u.tasks
			for p := range u.tcp {
				v.TCPPorts[p] = true
			}
			for g, n := range u.groups {
				v.TaskGroups[g] = n
			}
		}
		out = append(out, v)
	}
	return out
}

func toConstraints(cs []PlacementConstraint) []placement.Constraint {
	var out []placement.Constraint
	for _, c := range cs {
		out = append(out, placement.Constraint{Type: c.Type, Expression: c.Expression})
	}
	return out
}

func toStrategies(ss []PlacementStrategy) []placement.Strategy {
	var out []placement.Strategy
	for _, s := range ss {
		out = append(out, placement.Strategy{Type: s.Type, Field: s.Field})
	}
	return out
}

func attr(attrs []Attribute, name string) string {
	for _, a := range attrs {
		if a.Name == name {
			return deref(a.Value)
		}
	}
	return ""
}

// assign records a placement: the host that runs the task, its instance for
// EC2, and PENDING once a host has it.
func (a *API) assign(ctx context.Context, cluster string, t *Task, host, instanceArn, az string) error {
	_, err := updateJSON(ctx, a.store, taskKey(cluster, taskID(t.TaskArn)), func(cur *Task) error {
		if cur.TideHost != "" || cur.DesiredStatus != "RUNNING" {
			return nil
		}
		cur.TideHost, cur.ContainerInstanceArn, cur.AvailabilityZone = host, instanceArn, az
		if cur.LastStatus == "PROVISIONING" {
			cur.LastStatus = "PENDING"
		}
		cur.Version++
		return nil
	})
	return storeErr(err)
}

// addServiceEvent records msg on a service unless it is already the latest.
func (a *API) addServiceEvent(ctx context.Context, key, msg string) {
	_, err := updateJSON(ctx, a.store, key, func(s *Service) error {
		if len(s.Events) > 0 && s.Events[0].Message == msg {
			return nil
		}
		s.Events = append([]ServiceEvent{{Id: newUUID(), CreatedAt: awsjson.At(a.now()), Message: msg}}, s.Events...)
		if len(s.Events) > 100 {
			s.Events = s.Events[:100]
		}
		return nil
	})
	if err != nil {
		a.log.Warn("service event", "service", key, "err", err)
	}
}
