package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"tide/internal/agentapi"
	"tide/internal/awsjson"
	"tide/internal/runtime"
	"tide/internal/taskdef"
)

// taskDefByArn returns the (shared, read-only) task definition of an ARN.
func (a *API) taskDefByArn(arn string) (*taskdef.TaskDefinition, error) {
	_, rest, ok := a.parseARN(arn)
	family, revStr, ok2 := strings.Cut(rest, ":")
	var rev int32
	if _, err := fmt.Sscan(revStr, &rev); !ok || !ok2 || err != nil {
		return nil, fmt.Errorf("bad task definition ARN %q", arn)
	}
	rec, found, err := cachedRecord[taskDefRecord](a, taskDefKey(family, rev))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("task definition %s not found", arn)
	}
	return rec.TaskDefinition, nil
}

// applyReport folds a host's observation of one task into the task record,
// writing only when something a client can see changed.
func (a *API) applyReport(ctx context.Context, host string, st runtime.TaskStatus) (bool, error) {
	cluster, id, ok := taskClusterID(a, st.TaskArn)
	if !ok {
		return false, nil
	}
	var t Task
	_, found, err := a.getJSON(taskKey(cluster, id), &t)
	// A stopped task's record is final: late or racy reports change nothing.
	if err != nil || !found || t.TideHost != host || t.LastStatus == "STOPPED" {
		return false, err
	}
	td, err := a.taskDefByArn(t.TaskDefinitionArn)
	if err != nil {
		return false, nil // nothing sensible to fold in; the agent stops it when unassigned
	}
	a.usage.record(cluster, t.Group, td.Family, st, a.now())
	before := mustJSON(&t)
	now := a.now()
	observe(&t, st, td, now)
	if string(mustJSON(&t)) == string(before) {
		return false, nil
	}
	_, err = updateJSON(ctx, a.store, taskKey(cluster, id), func(cur *Task) error {
		if cur.TideHost != host || cur.LastStatus == "STOPPED" {
			return nil
		}
		prev := string(mustJSON(cur))
		observe(cur, st, td, now)
		if string(mustJSON(cur)) != prev {
			cur.Version++
		}
		return nil
	})
	return err == nil, storeErr(err)
}

func taskClusterID(a *API, arn string) (cluster, id string, ok bool) {
	kind, rest, ok := a.parseARN(arn)
	if !ok || kind != "task" {
		return "", "", false
	}
	cluster, id, ok = strings.Cut(rest, "/")
	return cluster, id, ok && !strings.Contains(id, "/")
}

// observe applies a runtime observation to a task, following ECS's
// lifecycle: PENDING while containers start, RUNNING when all essential ones
// run, STOPPING once the task is told to stop or an essential container
// exits, STOPPED when nothing runs. It is a pure function of its inputs.
func observe(t *Task, st runtime.TaskStatus, td *taskdef.TaskDefinition, now time.Time) {
	essential := map[string]bool{}
	for _, cd := range td.ContainerDefinitions {
		essential[cd.Name] = cd.Essential == nil || *cd.Essential
	}
	seen := map[string]runtime.ContainerStatus{}
	for _, c := range st.Containers {
		seen[c.Name] = c
	}
	allStopped, allRunning, essentialExit, failedStart := true, true, false, ""
	for i := range t.Containers {
		c := &t.Containers[i]
		o, ok := seen[c.Name]
		if !ok {
			allStopped, allRunning = false, false
			continue
		}
		c.RuntimeId = o.RuntimeID
		c.Reason = o.Reason
		if o.Health != "" && o.State == runtime.StateRunning {
			c.HealthStatus = o.Health // an exited container keeps its last verdict
		}
		c.NetworkBindings = []NetworkBinding{}
		for _, b := range o.Bindings {
			c.NetworkBindings = append(c.NetworkBindings, NetworkBinding{BindIP: b.BindIP, ContainerPort: ptr(b.ContainerPort), HostPort: ptr(b.HostPort), Protocol: b.Protocol})
		}
		if o.IPAddress != "" {
			c.NetworkInterfaces = []NetworkInterface{{AttachmentId: attachmentID(t), PrivateIpv4Address: o.IPAddress}}
		}
		switch o.State {
		case runtime.StateRunning:
			c.LastStatus = "RUNNING"
			allStopped = false
		case runtime.StateExited:
			c.LastStatus = "STOPPED"
			c.ExitCode = o.ExitCode
			allRunning = allRunning && !essential[c.Name]
			if essential[c.Name] {
				essentialExit = true
			}
			if strings.HasPrefix(o.Reason, "Cannot") {
				failedStart = o.Reason
			}
		default:
			c.LastStatus = "PENDING"
			allStopped, allRunning = false, false
		}
	}
	at := awsjson.At(now)
	if !st.PullStartedAt.IsZero() { // the runtime timed its pulls
		t.PullStartedAt, t.PullStoppedAt = awsjson.At(st.PullStartedAt), awsjson.At(st.PullStoppedAt)
	}
	if essentialExit && t.DesiredStatus == "RUNNING" {
		t.DesiredStatus, t.StoppingAt = "STOPPED", at
		if failedStart != "" {
			t.StopCode, t.StoppedReason = "TaskFailedToStart", failedStart
		} else {
			t.StopCode, t.StoppedReason = "EssentialContainerExited", "Essential container in task exited"
		}
	}
	switch {
	case allStopped:
		if t.LastStatus != "STOPPED" {
			t.LastStatus, t.StoppedAt, t.ExecutionStoppedAt = "STOPPED", at, at
			if t.StoppingAt == nil {
				t.StoppingAt = at
			}
			t.Connectivity = "DISCONNECTED"
			setAttachmentStatus(t, "DELETED")
		}
	case t.DesiredStatus == "STOPPED" && t.TideDrainUntil != nil && now.Before(t.TideDrainUntil.Time):
		t.LastStatus = "DEACTIVATING"
	case t.DesiredStatus == "STOPPED":
		t.LastStatus = "STOPPING"
	case allRunning && t.TideActivating:
		if t.LastStatus != "ACTIVATING" {
			t.LastStatus, t.StartedAt, t.Connectivity, t.ConnectivityAt = "ACTIVATING", at, "CONNECTED", at
			if t.PullStartedAt == nil {
				t.PullStartedAt = at
			}
			if t.PullStoppedAt == nil {
				t.PullStoppedAt = at
			}
			setAttachmentStatus(t, "ATTACHED")
		}
	case allRunning:
		if t.LastStatus != "RUNNING" {
			t.LastStatus, t.StartedAt, t.Connectivity, t.ConnectivityAt = "RUNNING", at, "CONNECTED", at
			if t.PullStartedAt == nil {
				t.PullStartedAt = at
			}
			if t.PullStoppedAt == nil {
				t.PullStoppedAt = at
			}
			setAttachmentStatus(t, "ATTACHED")
		}
	default:
		if t.LastStatus == "PROVISIONING" {
			t.LastStatus = "PENDING"
		}
		if t.PullStartedAt == nil {
			t.PullStartedAt = at
		}
	}
	t.HealthStatus = taskHealth(t, essential)
}

// taskHealth is HEALTHY when every essential container with a health check
// is healthy, UNHEALTHY when one is not, and UNKNOWN otherwise.
func taskHealth(t *Task, essential map[string]bool) string {
	health := "UNKNOWN"
	for _, c := range t.Containers {
		if !essential[c.Name] {
			continue
		}
		switch c.HealthStatus {
		case "UNHEALTHY":
			return "UNHEALTHY"
		case "HEALTHY":
			health = "HEALTHY"
		}
	}
	return health
}

func attachmentID(t *Task) string {
	if len(t.Attachments) > 0 {
		return t.Attachments[0].Id
	}
	return ""
}

func setAttachmentStatus(t *Task, status string) {
	for i := range t.Attachments {
		t.Attachments[i].Status = status
	}
}

func ptr[T any](v T) *T { return &v }

// assignments lists the tasks a host must run or stop: those assigned to it
// that have not yet stopped.
func (a *API) assignments(host string) ([]agentapi.Assignment, error) {
	out := []agentapi.Assignment{}
	needle := `"tideHost":"` + host + `"`
	for _, kv := range a.store.List("tasks/") {
		if !bytesContains(kv.Value, needle) {
			continue
		}
		var t Task
		if json.Unmarshal(kv.Value, &t) != nil || t.TideHost != host || t.LastStatus == "STOPPED" {
			continue
		}
		td, err := a.taskDefByArn(t.TaskDefinitionArn)
		if err != nil {
			continue
		}
		desired := t.DesiredStatus
		if desired == "STOPPED" && t.TideDrainUntil != nil && a.now().Before(t.TideDrainUntil.Time) {
			desired = "RUNNING" // its targets are draining: the containers serve in-flight requests
		}
		out = append(out, agentapi.Assignment{TaskArn: t.TaskArn, DesiredStatus: desired, Spec: buildSpec(&t, td)})
	}
	return out, nil
}

// buildSpec resolves what a runtime needs from a task and its definition.
func buildSpec(t *Task, td *taskdef.TaskDefinition) runtime.TaskSpec {
	_, rest, _ := strings.Cut(t.TaskArn, ":task/")
	cluster, _, _ := strings.Cut(rest, "/")
	spec := runtime.TaskSpec{TaskArn: t.TaskArn, Cluster: cluster, Family: td.Family, Revision: val(td.Revision), NetworkMode: td.NetworkMode}
	overrides := map[string]ContainerOverride{}
	if t.Overrides != nil {
		for _, o := range t.Overrides.ContainerOverrides {
			overrides[o.Name] = o
		}
	}
	for _, cd := range td.ContainerDefinitions {
		o := overrides[cd.Name]
		c := runtime.ContainerSpec{
			Name: cd.Name, Image: cd.Image, EntryPoint: cd.EntryPoint, Command: cd.Command,
			WorkingDirectory: cd.WorkingDirectory, User: cd.User,
			CPU: val(cd.CPU), Memory: val(cd.Memory), MemoryReservation: val(cd.MemoryReservation),
			Essential: cd.Essential == nil || *cd.Essential,
		}
		if o.Command != nil {
			c.Command = o.Command
		}
		if o.Cpu != nil {
			c.CPU = *o.Cpu
		}
		if o.Memory != nil {
			c.Memory = *o.Memory
		}
		if o.MemoryReservation != nil {
			c.MemoryReservation = *o.MemoryReservation
		}
		env := map[string]string{}
		var order []string
		for _, kv := range cd.Environment {
			if _, dup := env[kv.Name]; !dup {
				order = append(order, kv.Name)
			}
			env[kv.Name] = kv.Value
		}
		for _, kv := range o.Environment {
			if _, dup := env[deref(kv.Name)]; !dup {
				order = append(order, deref(kv.Name))
			}
			env[deref(kv.Name)] = deref(kv.Value)
		}
		for _, k := range order {
			c.Env = append(c.Env, k+"="+env[k])
		}
		for _, pm := range cd.PortMappings {
			c.PortMappings = append(c.PortMappings, runtime.PortMapping{ContainerPort: val(pm.ContainerPort), HostPort: val(pm.HostPort), Protocol: firstNonEmpty(pm.Protocol, "tcp")})
		}
		if hc := cd.HealthCheck; hc != nil && len(hc.Command) > 0 {
			c.HealthCheck = &runtime.HealthCheck{
				Command: hc.Command, Interval: secs(hc.Interval, 30), Timeout: secs(hc.Timeout, 5),
				Retries: int(valOr(hc.Retries, 3)), StartPeriod: secs(hc.StartPeriod, 0),
			}
		}
		c.StopTimeout = secs(cd.StopTimeout, 30)
		if lc := cd.LogConfiguration; lc != nil {
			c.LogDriver, c.LogOptions = lc.LogDriver, lc.Options
		}
		for _, u := range cd.Ulimits {
			c.Ulimits = append(c.Ulimits, runtime.Ulimit{Name: u.Name, Soft: int64(val(u.SoftLimit)), Hard: int64(val(u.HardLimit))})
		}
		spec.Containers = append(spec.Containers, c)
	}
	return spec
}

func val(p *int32) int32 { return valOr(p, 0) }

func valOr(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

func secs(p *int32, def int32) time.Duration { return time.Duration(valOr(p, def)) * time.Second }
