package ecs

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"tide/internal/awserr"
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

// parseFilter compiles the subset of the cluster query language that
// ListContainerInstances accepts: terms joined by "and", each
// `attribute:NAME == VALUE`, `attribute:NAME != VALUE`, `attribute:NAME in [A, B]`
// or `attribute:NAME exists`.
func parseFilter(expr string) (func([]Attribute) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return func([]Attribute) bool { return true }, nil
	}
	if len(expr) > 1024 {
		return nil, awserr.InvalidParameter("The filter expression is too long.")
	}
	var terms []func([]Attribute) bool
	for _, term := range splitAnd(expr) {
		f, err := parseTerm(strings.TrimSpace(term))
		if err != nil {
			return nil, err
		}
		terms = append(terms, f)
	}
	return func(attrs []Attribute) bool {
		for _, f := range terms {
			if !f(attrs) {
				return false
			}
		}
		return true
	}, nil
}

func splitAnd(expr string) []string {
	var out []string
	for {
		i := strings.Index(strings.ToLower(expr), " and ")
		if i < 0 {
			return append(out, expr)
		}
		out = append(out, expr[:i])
		expr = expr[i+5:]
	}
}

func parseTerm(term string) (func([]Attribute) bool, error) {
	bad := awserr.InvalidParameter("Invalid filter expression: %s", term)
	fields := strings.Fields(term)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "attribute:") {
		return nil, bad
	}
	name := strings.TrimPrefix(fields[0], "attribute:")
	value := func(attrs []Attribute) (string, bool) {
		for _, at := range attrs {
			if at.Name == name {
				return deref(at.Value), true
			}
		}
		return "", false
	}
	op := fields[1]
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(term, fields[0])), op))
	switch {
	case op == "exists" && rest == "":
		return func(attrs []Attribute) bool { _, ok := value(attrs); return ok }, nil
	case (op == "==" || op == "!=") && rest != "":
		want := op == "=="
		return func(attrs []Attribute) bool { v, ok := value(attrs); return (ok && v == rest) == want }, nil
	case op == "in" && strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]"):
		var set []string
		for _, s := range strings.Split(rest[1:len(rest)-1], ",") {
			set = append(set, strings.TrimSpace(s))
		}
		return func(attrs []Attribute) bool { v, ok := value(attrs); return ok && slices.Contains(set, v) }, nil
	}
	return nil, bad
}
