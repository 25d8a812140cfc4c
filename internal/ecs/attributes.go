package ecs

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"tide/internal/awserr"
	"tide/internal/cql"
	"tide/internal/store"
)

var (
	attrNameRE  = regexp.MustCompile(`^[a-zA-Z0-9_./\\-]{1,128}$`)
	attrValueRE = regexp.MustCompile(`^[a-zA-Z0-9_./\\@: -]{0,128}$`)
)

func validateAttributes(attrs []Attribute) error {
	for _, at := range attrs {
		if !attrNameRE.MatchString(at.Name) {
			return awserr.InvalidParameter("Attribute name %q is invalid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.", at.Name)
		}
		if v := deref(at.Value); !attrValueRE.MatchString(v) || strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
			return awserr.InvalidParameter("Attribute value %q is invalid: up to 128 letters, numbers, hyphens, underscores, periods, at signs, slashes, colons or spaces, not starting or ending with a space.", v)
		}
		if at.TargetType != "" && at.TargetType != "container-instance" {
			return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [container-instance]", at.TargetType)
		}
	}
	return nil
}

// AttributesInput is the PutAttributes and DeleteAttributes request.
type AttributesInput struct {
	Cluster    *string     `json:"cluster"`
	Attributes []Attribute `json:"attributes"`
}

// AttributesOutput is the PutAttributes and DeleteAttributes response.
type AttributesOutput struct {
	Attributes []Attribute `json:"attributes"`
}

// PutAttributes sets custom attributes on container instances.
func (a *API) PutAttributes(ctx context.Context, in *AttributesInput) (*AttributesOutput, error) {
	return a.editAttributes(ctx, in, func(attrs []Attribute, at Attribute) []Attribute {
		return setAttribute(attrs, Attribute{Name: at.Name, Value: at.Value})
	})
}

// DeleteAttributes removes custom attributes from container instances.
func (a *API) DeleteAttributes(ctx context.Context, in *AttributesInput) (*AttributesOutput, error) {
	return a.editAttributes(ctx, in, func(attrs []Attribute, at Attribute) []Attribute {
		return slices.DeleteFunc(attrs, func(x Attribute) bool { return x.Name == at.Name })
	})
}

func (a *API) editAttributes(ctx context.Context, in *AttributesInput, edit func([]Attribute, Attribute) []Attribute) (*AttributesOutput, error) {
	if len(in.Attributes) == 0 {
		return nil, awserr.InvalidParameter("Attributes can not be empty.")
	}
	if len(in.Attributes) > 10 {
		return nil, awserr.Client("AttributeLimitExceededException", "You can apply up to 10 custom attributes per resource.")
	}
	if err := validateAttributes(in.Attributes); err != nil {
		return nil, err
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	// Check every target before changing any, so a bad one changes nothing.
	targets := map[string]*ContainerInstance{}
	for _, at := range in.Attributes {
		if at.TargetId == "" {
			return nil, awserr.InvalidParameter("targetId can not be blank.")
		}
		ci, err := a.instance(c.ClusterName, at.TargetId)
		if err != nil {
			return nil, awserr.Client("TargetNotFoundException", "Could not find %s.", at.TargetId)
		}
		targets[at.TargetId] = ci
	}
	out := &AttributesOutput{Attributes: []Attribute{}}
	for _, at := range in.Attributes {
		ci := targets[at.TargetId]
		_, err := updateJSON(ctx, a.store, instanceKey(c.ClusterName, taskID(ci.ContainerInstanceArn)), func(ci *ContainerInstance) error {
			ci.Attributes = edit(ci.Attributes, at)
			custom := 0
			for _, x := range ci.Attributes {
				if !strings.HasPrefix(x.Name, "ecs.") && !strings.HasPrefix(x.Name, "com.amazonaws.") {
					custom++
				}
			}
			if custom > 10 {
				return awserr.Client("AttributeLimitExceededException", "You can apply up to 10 custom attributes per resource.")
			}
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		out.Attributes = append(out.Attributes, Attribute{Name: at.Name, Value: at.Value, TargetType: "container-instance", TargetId: ci.ContainerInstanceArn})
	}
	return out, nil
}

// ListAttributesInput is the ListAttributes request.
type ListAttributesInput struct {
	Cluster        *string `json:"cluster"`
	TargetType     *string `json:"targetType"`
	AttributeName  *string `json:"attributeName"`
	AttributeValue *string `json:"attributeValue"`
	NextToken      *string `json:"nextToken"`
	MaxResults     *int32  `json:"maxResults"`
}

// ListAttributesOutput is the ListAttributes response.
type ListAttributesOutput struct {
	Attributes []Attribute `json:"attributes"`
	NextToken  *string     `json:"nextToken,omitempty"`
}

// ListAttributes lists the attributes of a cluster's container instances.
func (a *API) ListAttributes(ctx context.Context, in *ListAttributesInput) (*ListAttributesOutput, error) {
	if deref(in.TargetType) != "container-instance" {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [container-instance]", deref(in.TargetType))
	}
	if in.AttributeValue != nil && in.AttributeName == nil {
		return nil, awserr.InvalidParameter("AttributeValue requires AttributeName.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var out []Attribute
	_, next, err := a.page("instances/"+c.ClusterName+"/", pageArgs{in.NextToken, in.MaxResults}, 100, func(kv store.KV) (string, bool) {
		var ci ContainerInstance
		if json.Unmarshal(kv.Value, &ci) != nil || ci.Status == "INACTIVE" {
			return "", false
		}
		any := false
		for _, at := range ci.Attributes {
			if in.AttributeName != nil && at.Name != *in.AttributeName || in.AttributeValue != nil && deref(at.Value) != *in.AttributeValue {
				continue
			}
			out = append(out, Attribute{Name: at.Name, Value: at.Value, TargetType: "container-instance", TargetId: ci.ContainerInstanceArn})
			any = true
		}
		return kv.Key, any
	})
	if err != nil {
		return nil, err
	}
	return &ListAttributesOutput{Attributes: nonNil(out), NextToken: next}, nil
}

// parseFilter compiles a ListContainerInstances filter in the cluster
// query language into a predicate over an instance.
func (a *API) parseFilter(cluster, expr string) (func(*ContainerInstance) bool, error) {
	if strings.TrimSpace(expr) == "" {
		return func(*ContainerInstance) bool { return true }, nil
	}
	e, err := cql.Parse(expr)
	if err != nil {
		return nil, awserr.InvalidParameter("%s", err.Error())
	}
	var groups map[string]map[string]int // instance ARN → task group → count
	if e.UsesTasks() {
		groups = map[string]map[string]int{}
		for _, t := range a.tasksOf(cluster) {
			if t.ContainerInstanceArn == "" || t.LastStatus == "STOPPED" {
				continue
			}
			if groups[t.ContainerInstanceArn] == nil {
				groups[t.ContainerInstanceArn] = map[string]int{}
			}
			groups[t.ContainerInstanceArn][t.Group]++
		}
	}
	return func(ci *ContainerInstance) bool {
		return e.Match(cqlInstance(ci, groups[ci.ContainerInstanceArn]))
	}, nil
}

func cqlInstance(ci *ContainerInstance, groups map[string]int) cql.Instance {
	in := cql.Instance{Attributes: map[string]string{}, AgentConnected: ci.AgentConnected, EC2InstanceID: ci.Ec2InstanceId,
		RunningTasksCount: int(ci.RunningTasksCount), TaskGroups: groups}
	for _, at := range ci.Attributes {
		in.Attributes[at.Name] = deref(at.Value)
	}
	if ci.VersionInfo != nil {
		in.AgentVersion = ci.VersionInfo.AgentVersion
	}
	if ci.RegisteredAt != nil {
		in.RegisteredAt = ci.RegisteredAt.Time
	}
	return in
}
