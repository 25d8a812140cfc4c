package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"tide/internal/awserr"
	"tide/internal/edge"
)

func (a *API) tagOps(ops map[string]edge.Handler) {
	ops["TagResource"] = edge.Op(a.TagResource)
	ops["UntagResource"] = edge.Op(a.UntagResource)
	ops["ListTagsForResource"] = edge.Op(a.ListTagsForResource)
}

// validateTags applies ECS's tag rules.
func validateTags(tags []Tag) error {
	if len(tags) > 50 {
		return awserr.InvalidParameter("The number of tags exceeds the limit of 50.")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		k := deref(t.Key)
		if len(k) < 1 || len(k) > 128 {
			return awserr.InvalidParameter("Tag keys must be between 1 and 128 characters.")
		}
		if len(deref(t.Value)) > 256 {
			return awserr.InvalidParameter("Tag values must be at most 256 characters.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return awserr.InvalidParameter("Tag keys with the prefix 'aws:' are reserved for AWS use.")
		}
		if seen[k] {
			return awserr.InvalidParameter("Duplicate tag key '%s'.", k)
		}
		seen[k] = true
	}
	return nil
}

// resourceKey maps a taggable ECS ARN to its store key.
func (a *API) resourceKey(arn string) (string, error) {
	kind, rest, ok := a.parseARN(arn)
	if !ok {
		return "", awserr.InvalidParameter("Invalid resource ARN: %s", arn)
	}
	switch kind {
	case "cluster":
		return clusterKey(rest), nil
	case "service":
		return "services/" + rest, nil
	case "task":
		return "tasks/" + rest, nil
	case "container-instance":
		return "instances/" + rest, nil
	case "task-definition":
		family, rev, ok := strings.Cut(rest, ":")
		if !ok {
			return "", awserr.InvalidParameter("Invalid resource ARN: %s", arn)
		}
		var n int32
		if _, err := fmt.Sscan(rev, &n); err != nil || n < 1 {
			return "", awserr.InvalidParameter("Invalid resource ARN: %s", arn)
		}
		return taskDefKey(family, n), nil
	}
	return "", awserr.InvalidParameter("Unsupported resource type in ARN: %s", arn)
}

// TagResourceInput is the TagResource request.
type TagResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
	Tags        []Tag   `json:"tags"`
}

// Empty is the response of operations that return nothing.
type Empty struct{}

// TagResource adds or replaces tags on a resource.
func (a *API) TagResource(ctx context.Context, in *TagResourceInput) (*Empty, error) {
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	err := a.editTags(ctx, deref(in.ResourceArn), func(tags []Tag) ([]Tag, error) {
		for _, t := range in.Tags {
			tags = setTag(tags, t)
		}
		if len(tags) > 50 {
			return nil, awserr.InvalidParameter("The number of tags exceeds the limit of 50.")
		}
		return tags, nil
	})
	return &Empty{}, err
}

// UntagResourceInput is the UntagResource request.
type UntagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

// UntagResource removes tags from a resource.
func (a *API) UntagResource(ctx context.Context, in *UntagResourceInput) (*Empty, error) {
	err := a.editTags(ctx, deref(in.ResourceArn), func(tags []Tag) ([]Tag, error) {
		out := []Tag{}
		for _, t := range tags {
			keep := true
			for _, k := range in.TagKeys {
				if deref(t.Key) == k {
					keep = false
				}
			}
			if keep {
				out = append(out, t)
			}
		}
		return out, nil
	})
	return &Empty{}, err
}

// ListTagsForResourceInput is the ListTagsForResource request.
type ListTagsForResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
}

// ListTagsForResourceOutput is the ListTagsForResource response.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"tags"`
}

// ListTagsForResource returns a resource's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	key, err := a.resourceKey(deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	var rec struct {
		Status string `json:"status"`
		Tags   []Tag  `json:"tags"`
	}
	_, ok, err := a.getJSON(key, &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(deref(in.ResourceArn))
	}
	if isClusterKey(key) && rec.Status != "ACTIVE" {
		return nil, inactiveCluster()
	}
	return &ListTagsForResourceOutput{Tags: nonNil(rec.Tags)}, nil
}

func notFound(arn string) error {
	return awserr.InvalidParameter("The specified resource could not be found: %s", arn)
}

// editTags rewrites the "tags" member of the record behind arn, leaving every
// other member as stored.
func (a *API) editTags(ctx context.Context, arn string, fn func([]Tag) ([]Tag, error)) error {
	key, err := a.resourceKey(arn)
	if err != nil {
		return err
	}
	_, err = updateJSON(ctx, a.store, key, func(rec *map[string]json.RawMessage) error {
		if isClusterKey(key) && string((*rec)["status"]) != `"ACTIVE"` {
			return inactiveCluster()
		}
		var tags []Tag
		if raw, ok := (*rec)["tags"]; ok {
			if err := json.Unmarshal(raw, &tags); err != nil {
				return fmt.Errorf("decode tags of %s: %w", key, err)
			}
		}
		tags, err := fn(tags)
		if err != nil {
			return err
		}
		(*rec)["tags"] = mustJSON(nonNil(tags))
		return nil
	})
	if err != nil && awserr.As(err) == nil && isNotFound(err) {
		return notFound(arn)
	}
	return storeErr(err)
}

func setTag(tags []Tag, t Tag) []Tag {
	for i := range tags {
		if deref(tags[i].Key) == deref(t.Key) {
			tags[i] = t
			return tags
		}
	}
	return append(tags, t)
}

func isClusterKey(key string) bool { return strings.HasPrefix(key, "clusters/") }

// inactiveCluster is AWS's answer to tagging a deleted cluster.
func inactiveCluster() error {
	return awserr.InvalidParameter("The specified cluster is inactive. Specify an active cluster and try again.")
}
