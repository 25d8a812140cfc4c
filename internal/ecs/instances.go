package ecs

import (
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/store"
	"tide/internal/taskdef"
)

// ContainerInstance is ECS's ContainerInstance shape. Counts and remaining
// resources are derived from the tasks placed on it when it is described.
type ContainerInstance struct {
	ContainerInstanceArn string        `json:"containerInstanceArn"`
	Ec2InstanceId        string        `json:"ec2InstanceId,omitempty"`
	CapacityProviderName string        `json:"capacityProviderName,omitempty"`
	Version              int64         `json:"version"`
	VersionInfo          *VersionInfo  `json:"versionInfo,omitempty"`
	RemainingResources   []Resource    `json:"remainingResources"`
	RegisteredResources  []Resource    `json:"registeredResources"`
	Status               string        `json:"status"`
	StatusReason         string        `json:"statusReason,omitempty"`
	AgentConnected       bool          `json:"agentConnected"`
	RunningTasksCount    int32         `json:"runningTasksCount"`
	PendingTasksCount    int32         `json:"pendingTasksCount"`
	AgentUpdateStatus    string        `json:"agentUpdateStatus,omitempty"`
	Attributes           []Attribute   `json:"attributes"`
	RegisteredAt         *awsjson.Time `json:"registeredAt,omitempty"`
	Attachments          []Attachment  `json:"attachments"`
	Tags                 []Tag         `json:"tags,omitempty"`
	// TideHostID names the agent's host; TideLastHeartbeat is its last poll.
	// AWS clients ignore both.
	TideHostID        string        `json:"tideHostId,omitempty"`
	TideLastHeartbeat *awsjson.Time `json:"tideLastHeartbeat,omitempty"`
}

// VersionInfo describes the agent and Docker versions of an instance.
type VersionInfo struct {
	AgentVersion  string `json:"agentVersion,omitempty"`
	AgentHash     string `json:"agentHash,omitempty"`
	DockerVersion string `json:"dockerVersion,omitempty"`
}

// Resource is a CPU, MEMORY, PORTS or PORTS_UDP resource of an instance.
type Resource struct {
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	DoubleValue    float64  `json:"doubleValue"`
	LongValue      int64    `json:"longValue"`
	IntegerValue   int32    `json:"integerValue"`
	StringSetValue []string `json:"stringSetValue,omitempty"`
}

func instanceKey(cluster, id string) string { return "instances/" + cluster + "/" + id }

func (a *API) instanceOps(ops map[string]edge.Handler) {
	ops["RegisterContainerInstance"] = edge.Op(a.RegisterContainerInstance)
	ops["DeregisterContainerInstance"] = edge.Op(a.DeregisterContainerInstance)
	ops["DescribeContainerInstances"] = edge.Op(a.DescribeContainerInstances)
	ops["ListContainerInstances"] = edge.Op(a.ListContainerInstances)
	ops["UpdateContainerInstancesState"] = edge.Op(a.UpdateContainerInstancesState)
	ops["PutAttributes"] = edge.Op(a.PutAttributes)
	ops["DeleteAttributes"] = edge.Op(a.DeleteAttributes)
	ops["ListAttributes"] = edge.Op(a.ListAttributes)
}

// instance finds the container instance that ref (an ID or ARN) names.
func (a *API) instance(cluster, ref string) (*ContainerInstance, error) {
	id := ref
	if kind, rest, ok := a.parseARN(ref); ok {
		c, iid, ok := strings.Cut(rest, "/")
		if kind != "container-instance" || !ok || c != cluster {
			return nil, awserr.InvalidParameter("The referenced container instance %s was not found.", ref)
		}
		id = iid
	}
	var ci ContainerInstance
	_, ok, err := a.getJSON(instanceKey(cluster, id), &ci)
	if err != nil {
		return nil, err
	}
	if !ok || strings.Contains(id, "/") {
		return nil, awserr.InvalidParameter("The referenced container instance %s was not found.", ref)
	}
	return &ci, nil
}

// activeInstances returns the cluster's ACTIVE container instances.
func (a *API) activeInstances(cluster string) []*ContainerInstance {
	var out []*ContainerInstance
	for _, kv := range a.store.List("instances/" + cluster + "/") {
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) == nil && ci.Status == "ACTIVE" {
			out = append(out, &ci)
		}
	}
	return out
}

// RegisterContainerInstanceInput is the RegisterContainerInstance request.
type RegisterContainerInstanceInput struct {
	Cluster                           *string           `json:"cluster"`
	InstanceIdentityDocument          *string           `json:"instanceIdentityDocument"`
	InstanceIdentityDocumentSignature *string           `json:"instanceIdentityDocumentSignature"`
	TotalResources                    []Resource        `json:"totalResources"`
	VersionInfo                       *VersionInfo      `json:"versionInfo"`
	ContainerInstanceArn              *string           `json:"containerInstanceArn"`
	Attributes                        []Attribute       `json:"attributes"`
	Tags                              []Tag             `json:"tags"`
	PlatformDevices                   []json.RawMessage `json:"platformDevices"`
}

// ContainerInstanceOutput is the response of single-instance operations.
type ContainerInstanceOutput struct {
	ContainerInstance *ContainerInstance `json:"containerInstance"`
}

// RegisterContainerInstance registers a host's capacity with a cluster, or
// updates the registration named by containerInstanceArn. An instance
// registered through the API has no agent behind it until one connects, and
// says so with agentConnected=false.
func (a *API) RegisterContainerInstance(ctx context.Context, in *RegisterContainerInstanceInput) (*ContainerInstanceOutput, error) {
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := validateAttributes(in.Attributes); err != nil {
		return nil, err
	}
	res, err := registeredResources(in.TotalResources)
	if err != nil {
		return nil, err
	}
	ec2ID := "i-" + newID()[:17]
	if doc := deref(in.InstanceIdentityDocument); doc != "" {
		var d struct {
			InstanceID string `json:"instanceId"`
		}
		if json.Unmarshal([]byte(doc), &d) != nil {
			return nil, awserr.InvalidParameter("instanceIdentityDocument is not a valid JSON document.")
		}
		if d.InstanceID != "" {
			ec2ID = d.InstanceID
		}
	}
	attrs := []Attribute{
		{Name: "ecs.os-type", Value: str("linux")},
		{Name: "ecs.cpu-architecture", Value: str(cpuArch())},
	}
	for _, at := range in.Attributes {
		attrs = setAttribute(attrs, Attribute{Name: at.Name, Value: at.Value})
	}
	ci := &ContainerInstance{
		Ec2InstanceId: ec2ID, Version: 1, VersionInfo: in.VersionInfo,
		RegisteredResources: res, Status: "ACTIVE", Attributes: attrs,
		RegisteredAt: awsjson.At(a.now()), Attachments: []Attachment{}, Tags: nonNil(in.Tags),
	}
	if ci.VersionInfo == nil {
		ci.VersionInfo = &VersionInfo{}
	}
	key := ""
	guard := store.MustBeNew
	if ref := deref(in.ContainerInstanceArn); ref != "" {
		old, err := a.instance(c.ClusterName, ref)
		if err != nil {
			return nil, err
		}
		kv, _ := a.store.Get(instanceKey(c.ClusterName, taskID(old.ContainerInstanceArn)))
		key, guard = kv.Key, kv.ModRev
		ci.ContainerInstanceArn, ci.Ec2InstanceId, ci.Version = old.ContainerInstanceArn, old.Ec2InstanceId, old.Version+1
		ci.RegisteredAt, ci.AgentConnected = old.RegisteredAt, old.AgentConnected
	} else {
		id := newID()
		key = instanceKey(c.ClusterName, id)
		ci.ContainerInstanceArn = a.arn("container-instance/" + c.ClusterName + "/" + id)
	}
	if _, err := a.store.Commit(ctx, store.Put(key, mustJSON(ci), guard)); err != nil {
		return nil, storeErr(err)
	}
	return &ContainerInstanceOutput{ContainerInstance: a.describeInstance(c.ClusterName, ci)}, nil
}

func cpuArch() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

// registeredResources validates totalResources and adds the defaults ECS
// reports for what the agent did not send.
func registeredResources(total []Resource) ([]Resource, error) {
	res := []Resource{
		{Name: "CPU", Type: "INTEGER"},
		{Name: "MEMORY", Type: "INTEGER"},
		{Name: "PORTS", Type: "STRINGSET", StringSetValue: []string{"22", "2375", "2376", "51678", "51679"}},
		{Name: "PORTS_UDP", Type: "STRINGSET", StringSetValue: []string{}},
	}
	for _, r := range total {
		i := slices.IndexFunc(res, func(x Resource) bool { return x.Name == r.Name })
		if r.Name == "" {
			return nil, awserr.InvalidParameter("Resource name can not be blank.")
		}
		if r.IntegerValue < 0 || r.LongValue < 0 || r.DoubleValue < 0 {
			return nil, awserr.InvalidParameter("Resource %s can not be negative.", r.Name)
		}
		if r.Type == "" {
			r.Type = "INTEGER"
			if r.StringSetValue != nil {
				r.Type = "STRINGSET"
			}
		}
		if i < 0 {
			res = append(res, r)
		} else {
			res[i] = r
		}
	}
	return res, nil
}

// describeInstance fills in the counts and remaining resources from the
// tasks placed on ci.
func (a *API) describeInstance(cluster string, ci *ContainerInstance) *ContainerInstance {
	var cpu, mem int64
	var ports []string
	ci.RunningTasksCount, ci.PendingTasksCount = 0, 0
	for _, t := range a.tasksOf(cluster) {
		if t.ContainerInstanceArn != ci.ContainerInstanceArn || t.LastStatus == "STOPPED" {
			continue
		}
		if t.LastStatus == "RUNNING" {
			ci.RunningTasksCount++
		} else {
			ci.PendingTasksCount++
		}
		c, m := taskReservation(t)
		cpu, mem = cpu+int64(c), mem+int64(m)
		for _, ct := range t.Containers {
			for _, nb := range ct.NetworkBindings {
				if nb.HostPort != nil {
					ports = append(ports, strconv.Itoa(int(*nb.HostPort)))
				}
			}
		}
	}
	ci.RemainingResources = make([]Resource, len(ci.RegisteredResources))
	for i, r := range ci.RegisteredResources {
		r.StringSetValue = slices.Clone(r.StringSetValue)
		switch r.Name {
		case "CPU":
			r.IntegerValue -= int32(cpu)
		case "MEMORY":
			r.IntegerValue -= int32(mem)
		case "PORTS":
			r.StringSetValue = append(r.StringSetValue, ports...)
		}
		ci.RemainingResources[i] = r
	}
	return ci
}

// taskReservation is the CPU units and MiB of memory a task reserves.
func taskReservation(t *Task) (cpu, mem int32) {
	if t.Cpu != "" {
		if n, err := taskdef.ParseCPU(t.Cpu); err == nil {
			cpu = n
		}
	}
	if t.Memory != "" {
		if n, err := taskdef.ParseMemory(t.Memory); err == nil {
			mem = n
		}
	}
	var ccpu, cmem int32
	for _, c := range t.Containers {
		n, _ := strconv.Atoi(c.Cpu)
		ccpu += int32(n)
		m, _ := strconv.Atoi(firstNonEmpty(c.Memory, c.MemoryReservation))
		cmem += int32(m)
	}
	if cpu == 0 {
		cpu = ccpu
	}
	if mem == 0 {
		mem = cmem
	}
	return cpu, mem
}

// DeregisterContainerInstanceInput is the DeregisterContainerInstance request.
type DeregisterContainerInstanceInput struct {
	Cluster           *string `json:"cluster"`
	ContainerInstance *string `json:"containerInstance"`
	Force             *bool   `json:"force"`
}

// DeregisterContainerInstance removes an instance from its cluster; with
// tasks still on it only when forced.
func (a *API) DeregisterContainerInstance(ctx context.Context, in *DeregisterContainerInstanceInput) (*ContainerInstanceOutput, error) {
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if deref(in.ContainerInstance) == "" {
		return nil, awserr.InvalidParameter("ContainerInstance can not be blank.")
	}
	ci, err := a.instance(c.ClusterName, *in.ContainerInstance)
	if err != nil {
		return nil, err
	}
	d := a.describeInstance(c.ClusterName, ci)
	if d.RunningTasksCount+d.PendingTasksCount > 0 && (in.Force == nil || !*in.Force) {
		return nil, awserr.InvalidParameter("Found running tasks on the instance. Deregister the instance with force=true or stop the tasks first.")
	}
	out, err := updateJSON(ctx, a.store, instanceKey(c.ClusterName, taskID(ci.ContainerInstanceArn)), func(ci *ContainerInstance) error {
		ci.Status = "INACTIVE"
		ci.AgentConnected = false
		ci.Version++
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &ContainerInstanceOutput{ContainerInstance: a.describeInstance(c.ClusterName, out)}, nil
}

// DescribeContainerInstancesInput is the DescribeContainerInstances request.
type DescribeContainerInstancesInput struct {
	Cluster            *string  `json:"cluster"`
	ContainerInstances []string `json:"containerInstances"`
	Include            []string `json:"include"`
}

// ContainerInstancesOutput is the response of the multi-instance operations.
type ContainerInstancesOutput struct {
	ContainerInstances []*ContainerInstance `json:"containerInstances"`
	Failures           []Failure            `json:"failures"`
}

// DescribeContainerInstances describes up to 100 instances.
func (a *API) DescribeContainerInstances(ctx context.Context, in *DescribeContainerInstancesInput) (*ContainerInstancesOutput, error) {
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > 100 {
		return nil, awserr.InvalidParameter("containerInstances must contain between 1 and 100 items.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ContainerInstancesOutput{ContainerInstances: []*ContainerInstance{}, Failures: []Failure{}}
	for _, ref := range in.ContainerInstances {
		ci, err := a.instance(c.ClusterName, ref)
		if err != nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = a.arn("container-instance/" + c.ClusterName + "/" + ref)
			}
			out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
			continue
		}
		if !slices.Contains(in.Include, "TAGS") {
			ci.Tags = nil
		}
		out.ContainerInstances = append(out.ContainerInstances, a.describeInstance(c.ClusterName, ci))
	}
	return out, nil
}

// ListContainerInstancesInput is the ListContainerInstances request.
type ListContainerInstancesInput struct {
	Cluster    *string `json:"cluster"`
	Filter     *string `json:"filter"`
	Status     *string `json:"status"`
	NextToken  *string `json:"nextToken"`
	MaxResults *int32  `json:"maxResults"`
}

// ListContainerInstancesOutput is the ListContainerInstances response.
type ListContainerInstancesOutput struct {
	ContainerInstanceArns []string `json:"containerInstanceArns"`
	NextToken             *string  `json:"nextToken,omitempty"`
}

// ListContainerInstances lists instances by status (ACTIVE and DRAINING when
// none is given) and a cluster query language filter.
func (a *API) ListContainerInstances(ctx context.Context, in *ListContainerInstancesInput) (*ListContainerInstancesOutput, error) {
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	status := deref(in.Status)
	if status != "" && !slices.Contains([]string{"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"}, status) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [REGISTERING, DEREGISTERING, ACTIVE, DRAINING, REGISTRATION_FAILED]", status)
	}
	filter, err := a.parseFilter(c.ClusterName, deref(in.Filter))
	if err != nil {
		return nil, err
	}
	arns, next, err := a.page("instances/"+c.ClusterName+"/", pageArgs{in.NextToken, in.MaxResults}, 100, func(kv store.KV) (string, bool) {
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) != nil {
			return "", false
		}
		if status == "" && ci.Status != "ACTIVE" && ci.Status != "DRAINING" || status != "" && ci.Status != status {
			return "", false
		}
		return ci.ContainerInstanceArn, filter(a.describeInstance(c.ClusterName, &ci))
	})
	if err != nil {
		return nil, err
	}
	return &ListContainerInstancesOutput{ContainerInstanceArns: arns, NextToken: next}, nil
}

// UpdateContainerInstancesStateInput is the UpdateContainerInstancesState request.
type UpdateContainerInstancesStateInput struct {
	Cluster            *string  `json:"cluster"`
	ContainerInstances []string `json:"containerInstances"`
	Status             *string  `json:"status"`
}

// UpdateContainerInstancesState sets instances ACTIVE or DRAINING.
func (a *API) UpdateContainerInstancesState(ctx context.Context, in *UpdateContainerInstancesStateInput) (*ContainerInstancesOutput, error) {
	status := deref(in.Status)
	if status != "ACTIVE" && status != "DRAINING" {
		return nil, awserr.InvalidParameter("Container instances status should be one of [ACTIVE,DRAINING]")
	}
	if len(in.ContainerInstances) == 0 || len(in.ContainerInstances) > 10 {
		return nil, awserr.InvalidParameter("containerInstances must contain between 1 and 10 items.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ContainerInstancesOutput{ContainerInstances: []*ContainerInstance{}, Failures: []Failure{}}
	for _, ref := range in.ContainerInstances {
		ci, err := a.instance(c.ClusterName, ref)
		if err != nil || ci.Status == "INACTIVE" {
			out.Failures = append(out.Failures, Failure{Arn: ref, Reason: "MISSING"})
			continue
		}
		u, err := updateJSON(ctx, a.store, instanceKey(c.ClusterName, taskID(ci.ContainerInstanceArn)), func(ci *ContainerInstance) error {
			if ci.Status != status {
				ci.Status = status
				ci.Version++
			}
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		out.ContainerInstances = append(out.ContainerInstances, a.describeInstance(c.ClusterName, u))
	}
	return out, nil
}

func setAttribute(attrs []Attribute, at Attribute) []Attribute {
	for i := range attrs {
		if attrs[i].Name == at.Name {
			attrs[i] = at
			return attrs
		}
	}
	return append(attrs, at)
}
