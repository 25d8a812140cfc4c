package ecs

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/store"
)

// markStopped records that nothing of t runs any more.
func markStopped(t *Task, now time.Time) {
	t.LastStatus = "STOPPED"
	t.StoppedAt = awsjson.At(now)
	t.ExecutionStoppedAt = awsjson.At(now)
	for i := range t.Containers {
		t.Containers[i].LastStatus = "STOPPED"
	}
}

// DescribeTasksInput is the DescribeTasks request.
type DescribeTasksInput struct {
	Cluster *string  `json:"cluster"`
	Tasks   []string `json:"tasks"`
	Include []string `json:"include"`
}

// DescribeTasks describes up to 100 tasks by ID or ARN.
func (a *API) DescribeTasks(ctx context.Context, in *DescribeTasksInput) (*TasksOutput, error) {
	if len(in.Tasks) == 0 {
		return nil, awserr.InvalidParameter("Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, awserr.InvalidParameter("Tasks cannot have more than 100 elements")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &TasksOutput{Tasks: []*Task{}, Failures: []Failure{}}
	tags := slices.Contains(in.Include, "TAGS")
	for _, ref := range in.Tasks {
		id, ok := a.taskRefID(c.ClusterName, ref)
		var t Task
		if ok {
			_, ok, err = a.getJSON(taskKey(c.ClusterName, id), &t)
			if err != nil {
				return nil, err
			}
		}
		if !ok {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = a.arn("task/" + c.ClusterName + "/" + ref)
			}
			out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
			continue
		}
		if !tags {
			t.Tags = nil
		}
		out.Tasks = append(out.Tasks, &t)
	}
	return out, nil
}

// ListTasksInput is the ListTasks request.
type ListTasksInput struct {
	Cluster           *string `json:"cluster"`
	ContainerInstance *string `json:"containerInstance"`
	Family            *string `json:"family"`
	StartedBy         *string `json:"startedBy"`
	ServiceName       *string `json:"serviceName"`
	DesiredStatus     *string `json:"desiredStatus"`
	LaunchType        *string `json:"launchType"`
	NextToken         *string `json:"nextToken"`
	MaxResults        *int32  `json:"maxResults"`
}

// ListTasksOutput is the ListTasks response.
type ListTasksOutput struct {
	TaskArns  []string `json:"taskArns"`
	NextToken *string  `json:"nextToken,omitempty"`
}

// ListTasks lists task ARNs by the given filters; by default those whose
// desired status is RUNNING.
func (a *API) ListTasks(ctx context.Context, in *ListTasksInput) (*ListTasksOutput, error) {
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	desired := firstNonEmpty(deref(in.DesiredStatus), "RUNNING")
	if !slices.Contains([]string{"RUNNING", "PENDING", "STOPPED"}, desired) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'desiredStatus' failed to satisfy constraint: Member must satisfy enum value set: [PENDING, RUNNING, STOPPED]", desired)
	}
	if lt := deref(in.LaunchType); lt != "" && !slices.Contains([]string{"EC2", "FARGATE", "EXTERNAL"}, lt) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'launchType' failed to satisfy constraint: Member must satisfy enum value set: [EC2, FARGATE, EXTERNAL]", lt)
	}
	if in.Family != nil && in.ServiceName != nil {
		return nil, awserr.InvalidParameter("Family and ServiceName cannot both be specified.")
	}
	instanceArn := ""
	if ref := deref(in.ContainerInstance); ref != "" {
		ci, err := a.instance(c.ClusterName, ref)
		if err != nil {
			return nil, err
		}
		instanceArn = ci.ContainerInstanceArn
	}
	family := deref(in.Family)
	group := ""
	if s := deref(in.ServiceName); s != "" {
		group = "service:" + s
	}
	arns, next, err := a.page("tasks/"+c.ClusterName+"/", pageArgs{in.NextToken, in.MaxResults}, 100, func(kv store.KV) (string, bool) {
		var t Task
		if json.Unmarshal(kv.Value, &t) != nil {
			return "", false
		}
		// No task ever has desired status PENDING, so that filter finds
		// nothing, as on AWS.
		if t.DesiredStatus != desired {
			return "", false
		}
		if instanceArn != "" && t.ContainerInstanceArn != instanceArn ||
			family != "" && taskDefFamily(t.TaskDefinitionArn) != family ||
			group != "" && t.Group != group ||
			in.StartedBy != nil && t.StartedBy != *in.StartedBy ||
			in.LaunchType != nil && t.LaunchType != *in.LaunchType {
			return "", false
		}
		return t.TaskArn, true
	})
	if err != nil {
		return nil, err
	}
	return &ListTasksOutput{TaskArns: arns, NextToken: next}, nil
}

// tasksOf decodes every task of a cluster.
func (a *API) tasksOf(cluster string) []*Task {
	var out []*Task
	for _, kv := range a.store.List("tasks/" + cluster + "/") {
		var t Task
		if json.Unmarshal(kv.Value, &t) == nil {
			out = append(out, &t)
		}
	}
	return out
}

func taskDefFamily(arn string) string {
	rest := arn[strings.LastIndexByte(arn, '/')+1:]
	family, _, _ := strings.Cut(rest, ":")
	return family
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
