package ecs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/store"
	"tide/internal/taskdef"
)

func (a *API) taskOps(ops map[string]edge.Handler) {
	ops["RunTask"] = edge.Op(a.RunTask)
	ops["StartTask"] = edge.Op(a.StartTask)
	ops["StopTask"] = edge.Op(a.StopTask)
	ops["DescribeTasks"] = edge.Op(a.DescribeTasks)
	ops["ListTasks"] = edge.Op(a.ListTasks)
}

func taskKey(cluster, id string) string { return "tasks/" + cluster + "/" + id }

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newUUID() string {
	h := newID()
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// RunTaskInput is the RunTask request.
type RunTaskInput struct {
	Cluster                  *string                        `json:"cluster"`
	TaskDefinition           *string                        `json:"taskDefinition"`
	Count                    *int32                         `json:"count"`
	LaunchType               *string                        `json:"launchType"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy"`
	Group                    *string                        `json:"group"`
	StartedBy                *string                        `json:"startedBy"`
	Overrides                *TaskOverride                  `json:"overrides"`
	NetworkConfiguration     *NetworkConfiguration          `json:"networkConfiguration"`
	PlacementConstraints     []PlacementConstraint          `json:"placementConstraints"`
	PlacementStrategy        []PlacementStrategy            `json:"placementStrategy"`
	PlatformVersion          *string                        `json:"platformVersion"`
	PropagateTags            *string                        `json:"propagateTags"`
	ReferenceId              *string                        `json:"referenceId"`
	Tags                     []Tag                          `json:"tags"`
	EnableECSManagedTags     *bool                          `json:"enableECSManagedTags"`
	EnableExecuteCommand     *bool                          `json:"enableExecuteCommand"`
	ClientToken              *string                        `json:"clientToken"`
}

// TasksOutput is the response of RunTask, StartTask and DescribeTasks.
type TasksOutput struct {
	Tasks    []*Task   `json:"tasks"`
	Failures []Failure `json:"failures"`
}

// RunTask creates count tasks of a task definition. They wait in
// PROVISIONING (FARGATE) or PENDING (EC2) until the scheduler places them.
func (a *API) RunTask(ctx context.Context, in *RunTaskInput) (*TasksOutput, error) {
	if deref(in.TaskDefinition) == "" {
		return nil, awserr.InvalidParameter("TaskDefinition can not be blank.")
	}
	count := int32(1)
	if in.Count != nil {
		count = *in.Count
		if count < 1 || count > 10 {
			return nil, awserr.InvalidParameter("Count must be between 1 and 10.")
		}
	}
	if in.LaunchType != nil && len(in.CapacityProviderStrategy) > 0 {
		return nil, awserr.InvalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	c, td, err := a.taskTarget(in.Cluster, in.TaskDefinition, in.NetworkConfiguration, in.StartedBy, in.Group, in.Overrides, in.Tags)
	if err != nil {
		return nil, err
	}
	launch, err := launchTypeFor(deref(in.LaunchType), in.CapacityProviderStrategy, td)
	if err != nil {
		return nil, err
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return nil, err
	}
	out := &TasksOutput{Tasks: []*Task{}, Failures: []Failure{}}
	if launch == "EC2" && len(a.activeInstances(c.ClusterName)) == 0 {
		out.Failures = append(out.Failures, Failure{Reason: "No Container Instances were found in your cluster."})
		return out, nil
	}
	group := deref(in.Group)
	if group == "" {
		group = "family:" + td.Family
	}
	spec := taskSpec{
		cluster: c, td: td, launchType: launch, group: group, startedBy: deref(in.StartedBy),
		overrides: in.Overrides, network: in.NetworkConfiguration, tags: in.Tags,
		platformVersion: deref(in.PlatformVersion), exec: in.EnableExecuteCommand != nil && *in.EnableExecuteCommand,
		constraints: in.PlacementConstraints, strategy: in.PlacementStrategy,
	}
	var writes []store.Write
	for range count {
		t := a.newTask(spec, "")
		writes = append(writes, store.Put(taskKey(c.ClusterName, taskID(t.TaskArn)), mustJSON(t), store.MustBeNew))
		out.Tasks = append(out.Tasks, t)
	}
	if _, err := a.store.Commit(ctx, writes...); err != nil {
		return nil, storeErr(err)
	}
	return out, nil
}

// taskSpec is what newTask needs to build a task.
type taskSpec struct {
	cluster         *Cluster
	td              *taskdef.TaskDefinition
	launchType      string
	group           string
	startedBy       string
	overrides       *TaskOverride
	network         *NetworkConfiguration
	tags            []Tag
	platformVersion string
	exec            bool
	constraints     []PlacementConstraint
	strategy        []PlacementStrategy
}

func (a *API) newTask(s taskSpec, instanceArn string) *Task {
	id := newID()
	arn := a.arn("task/" + s.cluster.ClusterName + "/" + id)
	now := awsjson.At(a.now())
	ov := s.overrides
	if ov == nil {
		ov = &TaskOverride{}
	}
	if ov.ContainerOverrides == nil {
		ov.ContainerOverrides = []ContainerOverride{}
	}
	if ov.InferenceAcceleratorOverrides == nil {
		ov.InferenceAcceleratorOverrides = []json.RawMessage{}
	}
	status := "PENDING"
	if s.launchType == "FARGATE" || s.td.NetworkMode == "awsvpc" {
		status = "PROVISIONING"
	}
	t := &Task{
		TaskArn: arn, ClusterArn: s.cluster.ClusterArn, TaskDefinitionArn: s.td.TaskDefinitionARN,
		ContainerInstanceArn: instanceArn, Overrides: ov,
		LastStatus: status, DesiredStatus: "RUNNING", HealthStatus: "UNKNOWN",
		Cpu: firstNonEmpty(ov.Cpu, s.td.CPU), Memory: firstNonEmpty(ov.Memory, s.td.Memory),
		StartedBy: s.startedBy, Version: 1, CreatedAt: now, Group: s.group, LaunchType: s.launchType,
		Attachments: []Attachment{}, Tags: nonNil(s.tags), EnableExecuteCommand: s.exec,
		NetworkConfiguration:     s.network,
		TidePlacementConstraints: s.constraints, TidePlacementStrategy: s.strategy,
	}
	if nc := s.network; nc != nil && nc.AwsvpcConfiguration != nil && len(nc.AwsvpcConfiguration.Subnets) > 0 {
		// The task's network interface: PRECREATED until a host attaches it.
		t.Attachments = []Attachment{{
			Id: newUUID(), Type: "ElasticNetworkInterface", Status: "PRECREATED",
			Details: []KeyValuePair{{Name: str("subnetId"), Value: str(nc.AwsvpcConfiguration.Subnets[0])}},
		}}
	}
	if s.launchType == "FARGATE" {
		t.PlatformVersion = firstNonEmpty(s.platformVersion, "1.4.0")
		t.PlatformFamily = "Linux"
		t.CapacityProviderName = "FARGATE"
		t.EphemeralStorage = json.RawMessage(`{"sizeInGiB":20}`)
	}
	for _, cd := range s.td.ContainerDefinitions {
		c := Container{
			ContainerArn: a.arn("container/" + s.cluster.ClusterName + "/" + id + "/" + newUUID()),
			TaskArn:      arn, Name: cd.Name, Image: cd.Image, LastStatus: "PENDING",
			NetworkBindings: []NetworkBinding{}, NetworkInterfaces: []NetworkInterface{},
			Cpu: "0",
		}
		if cd.CPU != nil {
			c.Cpu = itoa(*cd.CPU)
		}
		if cd.Memory != nil {
			c.Memory = itoa(*cd.Memory)
		}
		if cd.MemoryReservation != nil {
			c.MemoryReservation = itoa(*cd.MemoryReservation)
		}
		t.Containers = append(t.Containers, c)
	}
	return t
}

// taskDefForUse resolves a task definition that new tasks may use.
func (a *API) taskDefForUse(ref string) (*taskdef.TaskDefinition, error) {
	_, rec, err := a.resolveTaskDef(ref)
	if err != nil {
		return nil, awserr.InvalidParameter("TaskDefinition not found.")
	}
	if rec.TaskDefinition.Status != "ACTIVE" {
		return nil, awserr.ClientException("TaskDefinition is inactive")
	}
	return rec.TaskDefinition, nil
}

// launchTypeFor picks the launch type: the one asked for, the capacity
// provider strategy's, else FARGATE when the definition supports it and EC2
// otherwise (Tide's local capacity serves FARGATE; see docs/ecs.md).
func launchTypeFor(asked string, strategy []CapacityProviderStrategyItem, td *taskdef.TaskDefinition) (string, error) {
	if asked == "" && len(strategy) > 0 {
		asked = "FARGATE"
		if !slices.ContainsFunc(strategy, func(s CapacityProviderStrategyItem) bool { return strings.HasPrefix(s.CapacityProvider, "FARGATE") }) {
			return "", awserr.InvalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster.")
		}
	}
	if asked == "" {
		if slices.Contains(td.Compatibilities, "FARGATE") {
			return "FARGATE", nil
		}
		return "EC2", nil
	}
	if !slices.Contains([]string{"EC2", "FARGATE", "EXTERNAL"}, asked) {
		return "", awserr.InvalidParameter("1 validation error detected: Value '%s' at 'launchType' failed to satisfy constraint: Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL]", asked)
	}
	if !slices.Contains(td.Compatibilities, asked) {
		return "", awserr.InvalidParameter("Task definition does not support launch_type %s.", asked)
	}
	return asked, nil
}

func checkNetworking(td *taskdef.TaskDefinition, nc *NetworkConfiguration) error {
	if td.NetworkMode == "awsvpc" {
		if nc == nil || nc.AwsvpcConfiguration == nil {
			return awserr.InvalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
		}
		if len(nc.AwsvpcConfiguration.Subnets) == 0 {
			return awserr.InvalidParameter("subnets can not be empty.")
		}
		if len(nc.AwsvpcConfiguration.Subnets) > 16 || len(nc.AwsvpcConfiguration.SecurityGroups) > 5 {
			return awserr.InvalidParameter("awsvpcConfiguration allows at most 16 subnets and 5 security groups.")
		}
		if ip := nc.AwsvpcConfiguration.AssignPublicIp; ip != "" && ip != "ENABLED" && ip != "DISABLED" {
			return awserr.InvalidParameter("assignPublicIp must be ENABLED or DISABLED.")
		}
		return nil
	}
	if nc != nil && nc.AwsvpcConfiguration != nil {
		return awserr.InvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")
	}
	return nil
}

// taskTarget resolves and checks what RunTask and StartTask share: the
// cluster, the task definition, and the task's networking and settings.
func (a *API) taskTarget(cluster, tdRef *string, nc *NetworkConfiguration, startedBy, group *string, ov *TaskOverride, tags []Tag) (*Cluster, *taskdef.TaskDefinition, error) {
	c, err := a.activeCluster(cluster)
	if err != nil {
		return nil, nil, err
	}
	td, err := a.taskDefForUse(deref(tdRef))
	if err != nil {
		return nil, nil, err
	}
	if err := checkNetworking(td, nc); err != nil {
		return nil, nil, err
	}
	if err := checkTaskInput(startedBy, group, ov, td, tags); err != nil {
		return nil, nil, err
	}
	return c, td, nil
}

func checkTaskInput(startedBy, group *string, ov *TaskOverride, td *taskdef.TaskDefinition, tags []Tag) error {
	if len(deref(startedBy)) > 128 {
		return awserr.InvalidParameter("startedBy must be at most 128 characters.")
	}
	if len(deref(group)) > 255 {
		return awserr.InvalidParameter("group must be at most 255 characters.")
	}
	if ov != nil {
		for _, co := range ov.ContainerOverrides {
			if !slices.ContainsFunc(td.ContainerDefinitions, func(cd taskdef.ContainerDefinition) bool { return cd.Name == co.Name }) {
				return awserr.InvalidParameter("Override for container named %s is not a container in the TaskDefinition.", co.Name)
			}
		}
	}
	return validateTags(tags)
}

// StartTaskInput is the StartTask request.
type StartTaskInput struct {
	Cluster              *string               `json:"cluster"`
	TaskDefinition       *string               `json:"taskDefinition"`
	ContainerInstances   []string              `json:"containerInstances"`
	Group                *string               `json:"group"`
	StartedBy            *string               `json:"startedBy"`
	Overrides            *TaskOverride         `json:"overrides"`
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration"`
	Tags                 []Tag                 `json:"tags"`
	EnableExecuteCommand *bool                 `json:"enableExecuteCommand"`
	PropagateTags        *string               `json:"propagateTags"`
	ReferenceId          *string               `json:"referenceId"`
	EnableECSManagedTags *bool                 `json:"enableECSManagedTags"`
}

// StartTask creates one task on each named container instance (EC2).
func (a *API) StartTask(ctx context.Context, in *StartTaskInput) (*TasksOutput, error) {
	if deref(in.TaskDefinition) == "" {
		return nil, awserr.InvalidParameter("TaskDefinition can not be blank.")
	}
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > 10 {
		return nil, awserr.InvalidParameter("Container instances must contain between 1 and 10 items.")
	}
	c, td, err := a.taskTarget(in.Cluster, in.TaskDefinition, in.NetworkConfiguration, in.StartedBy, in.Group, in.Overrides, in.Tags)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(td.Compatibilities, "EC2") {
		return nil, awserr.InvalidParameter("Task definition does not support launch_type EC2.")
	}
	out := &TasksOutput{Tasks: []*Task{}, Failures: []Failure{}}
	group := firstNonEmpty(deref(in.Group), "family:"+td.Family)
	spec := taskSpec{cluster: c, td: td, launchType: "EC2", group: group, startedBy: deref(in.StartedBy),
		overrides: in.Overrides, network: in.NetworkConfiguration, tags: in.Tags,
		exec: in.EnableExecuteCommand != nil && *in.EnableExecuteCommand}
	var writes []store.Write
	for _, ref := range in.ContainerInstances {
		ci, err := a.instance(c.ClusterName, ref)
		if err != nil || ci.Status != "ACTIVE" {
			out.Failures = append(out.Failures, Failure{Arn: ref, Reason: "MISSING"})
			continue
		}
		t := a.newTask(spec, ci.ContainerInstanceArn)
		writes = append(writes, store.Put(taskKey(c.ClusterName, taskID(t.TaskArn)), mustJSON(t), store.MustBeNew))
		out.Tasks = append(out.Tasks, t)
	}
	if len(writes) > 0 {
		if _, err := a.store.Commit(ctx, writes...); err != nil {
			return nil, storeErr(err)
		}
	}
	return out, nil
}

// StopTaskInput is the StopTask request.
type StopTaskInput struct {
	Cluster *string `json:"cluster"`
	Task    *string `json:"task"`
	Reason  *string `json:"reason"`
}

// TaskOutput is the StopTask response.
type TaskOutput struct {
	Task *Task `json:"task"`
}

// StopTask sets a task's desired status to STOPPED. A task that no host has
// started yet stops at once; a placed one stops when its agent says so.
func (a *API) StopTask(ctx context.Context, in *StopTaskInput) (*TaskOutput, error) {
	if deref(in.Task) == "" {
		return nil, awserr.InvalidParameter("Task can not be blank.")
	}
	if len(deref(in.Reason)) > 1024 {
		return nil, awserr.InvalidParameter("Reason must be at most 1024 characters.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	id, ok := a.taskRefID(c.ClusterName, *in.Task)
	if !ok {
		return nil, awserr.InvalidParameter("The referenced task was not found.")
	}
	now := a.now()
	t, err := updateJSON(ctx, a.store, taskKey(c.ClusterName, id), func(t *Task) error {
		if t.DesiredStatus == "STOPPED" {
			return nil
		}
		t.DesiredStatus = "STOPPED"
		t.StoppingAt = awsjson.At(now)
		t.StopCode = "UserInitiated"
		t.StoppedReason = firstNonEmpty(deref(in.Reason), "Task stopped by user")
		t.Version++
		if t.TideHost == "" { // no host has it: nothing runs
			markStopped(t, now)
		}
		return nil
	})
	if isNotFound(err) {
		return nil, awserr.InvalidParameter("The referenced task was not found.")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &TaskOutput{Task: t}, nil
}

// taskRefID returns the ID of the task that ref (an ID or ARN) names in cluster.
func (a *API) taskRefID(cluster, ref string) (string, bool) {
	id := ref
	if kind, rest, ok := a.parseARN(ref); ok {
		c, tid, ok := strings.Cut(rest, "/")
		if kind != "task" || !ok || c != cluster {
			return "", false
		}
		id = tid
	}
	if id == "" || strings.Contains(id, "/") {
		return "", false
	}
	_, ok := a.store.Get(taskKey(cluster, id))
	return id, ok
}

func taskID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }
