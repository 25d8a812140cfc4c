package autoscaling

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"

	"tide/internal/awserr"
)

// Tags live on scalable targets, named by their ScalableTargetARN.

type TagResourceInput struct {
	ResourceARN *string           `json:"ResourceARN"`
	Tags        map[string]string `json:"Tags"`
}

type UntagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN"`
	TagKeys     []string `json:"TagKeys"`
}

type ListTagsForResourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
}

type ListTagsForResourceOutput struct {
	Tags map[string]string `json:"Tags"`
}

// maxTags is AWS's limit of tags on a resource.
const maxTags = 50

// targetARNPattern is the model's AmazonResourceName pattern.
var targetARNPattern = regexp.MustCompile(`^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target/[a-zA-Z0-9-]+$`)

// targetByARN returns the resource ID of the scalable target arn names.
func (a *API) targetByARN(v *violations, arn *string) (string, error) {
	if arn == nil {
		v.null("resourceARN")
	} else if v.length("resourceARN", *arn, 1, 1011); !targetARNPattern.MatchString(*arn) {
		*v = append(*v, "Value '"+*arn+"' at 'resourceARN' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target\\/[a-zA-Z0-9-]+$")
	}
	if err := v.err(); err != nil {
		return "", err
	}
	for _, kv := range a.store.List(targetsPrefix) {
		var r targetRecord
		if json.Unmarshal(kv.Value, &r) == nil && r.ScalableTargetARN == *arn {
			return r.ResourceId, nil
		}
	}
	return "", awserr.Client("ResourceNotFoundException", "Scalable target with ARN %s not found", *arn)
}

func (a *API) tagResource(ctx context.Context, in *TagResourceInput) (*Empty, error) {
	var v violations
	if in.Tags == nil {
		v.null("tags")
	}
	checkTags(&v, "tags", in.Tags)
	resource, err := a.targetByARN(&v, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	_, err = a.updateTarget(ctx, resource, func(r *targetRecord) error {
		tags := maps.Clone(r.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, in.Tags)
		if len(tags) > maxTags {
			return awserr.Client("TooManyTagsException", "A scalable target can have at most %d tags", maxTags)
		}
		r.Tags = tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (a *API) untagResource(ctx context.Context, in *UntagResourceInput) (*Empty, error) {
	var v violations
	if in.TagKeys == nil {
		v.null("tagKeys")
	}
	for _, k := range in.TagKeys {
		v.length("tagKeys.member", k, 1, 128)
	}
	resource, err := a.targetByARN(&v, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	_, err = a.updateTarget(ctx, resource, func(r *targetRecord) error {
		for _, k := range in.TagKeys {
			delete(r.Tags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (a *API) listTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	var v violations
	resource, err := a.targetByARN(&v, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	t, ok := a.target(resource)
	if !ok {
		return nil, awserr.Client("ResourceNotFoundException", "Scalable target with ARN %s not found", *in.ResourceARN)
	}
	out := &ListTagsForResourceOutput{Tags: map[string]string{}}
	maps.Copy(out.Tags, t.Tags)
	return out, nil
}
