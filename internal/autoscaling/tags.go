package autoscaling

import (
	"context"
	"encoding/json"

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

// targetByARN returns the resource ID of the scalable target arn names.
func (a *API) targetByARN(arn *string) (string, error) {
	if arn == nil {
		return "", validation("1 validation error detected: Value null at 'resourceARN' failed to satisfy constraint: Member must not be null")
	}
	for _, kv := range a.store.List("autoscaling/targets/") {
		var r targetRecord
		if json.Unmarshal(kv.Value, &r) == nil && r.ScalableTargetARN == *arn {
			return r.ResourceId, nil
		}
	}
	return "", awserr.Client("ResourceNotFoundException", "No scalable target found for ARN %s", *arn)
}

func (a *API) tagResource(ctx context.Context, in *TagResourceInput) (*Empty, error) {
	resource, err := a.targetByARN(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	_, err = a.updateTarget(ctx, resource, func(r *targetRecord) error {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			r.Tags[k] = v
		}
		if len(r.Tags) > maxTags {
			return awserr.Client("TooManyTagsException", "A resource can have at most %d tags", maxTags)
		}
		return nil
	})
	return &Empty{}, err
}

func (a *API) untagResource(ctx context.Context, in *UntagResourceInput) (*Empty, error) {
	resource, err := a.targetByARN(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	_, err = a.updateTarget(ctx, resource, func(r *targetRecord) error {
		for _, k := range in.TagKeys {
			delete(r.Tags, k)
		}
		return nil
	})
	return &Empty{}, err
}

func (a *API) listTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	resource, err := a.targetByARN(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	t, _, ok := a.target(resource)
	if !ok {
		return nil, noTarget(resource)
	}
	out := &ListTagsForResourceOutput{Tags: map[string]string{}}
	for k, v := range t.Tags {
		out.Tags[k] = v
	}
	return out, nil
}
