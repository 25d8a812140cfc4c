package cloudwatch

import (
	"context"
	"slices"
	"strings"

	"tide/internal/awserr"
	"tide/internal/store"
)

// alarmOfARN returns the name of the alarm arn names, checking that it is
// an alarm ARN of this region and account.
func (a *API) alarmOfARN(arn *string) (string, error) {
	if arn == nil {
		return "", missing("resourceARN")
	}
	if err := checkLen(arn, "resourceARN", 1, 1024); err != nil {
		return "", err
	}
	prefix := "arn:aws:cloudwatch:" + a.cfg.Region + ":" + a.cfg.AccountID + ":alarm:"
	name, ok := strings.CutPrefix(*arn, prefix)
	if !ok || name == "" {
		if strings.HasPrefix(*arn, "arn:aws:cloudwatch:") {
			return "", resourceNotFound(*arn)
		}
		return "", invalidValue("Invalid ResourceARN: %s", *arn)
	}
	return name, nil
}

// resourceNotFound is the tagging operations' ResourceNotFoundException.
func resourceNotFound(arn string) error {
	return awserr.New(404, "ResourceNotFoundException", "The specified resource %s does not exist.", arn)
}

func (a *API) tagResource(ctx context.Context, in *TagResourceInput) (*Empty, error) {
	name, err := a.alarmOfARN(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, missing("tags")
	}
	if err := checkTagsModel(in.Tags); err != nil {
		return nil, err
	}
	add, err := tagsIn(in.Tags)
	if err != nil {
		return nil, err
	}
	return a.updateTags(ctx, name, *in.ResourceARN, func(ts []tagPair) ([]tagPair, error) {
		out := setTags(ts, add)
		if len(out) > maxTags {
			return nil, tooManyTags()
		}
		return out, nil
	})
}

func (a *API) untagResource(ctx context.Context, in *UntagResourceInput) (*Empty, error) {
	name, err := a.alarmOfARN(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, missing("tagKeys")
	}
	for _, k := range in.TagKeys {
		if err := checkLen(&k, "tagKeys.member", 1, 128); err != nil {
			return nil, err
		}
	}
	return a.updateTags(ctx, name, *in.ResourceARN, func(ts []tagPair) ([]tagPair, error) {
		return slices.DeleteFunc(slices.Clone(ts), func(t tagPair) bool { return slices.Contains(in.TagKeys, t.Key) }), nil
	})
}

// updateTags rewrites the tags of the alarm name with fn.
func (a *API) updateTags(ctx context.Context, name, arn string, fn func([]tagPair) ([]tagPair, error)) (*Empty, error) {
	err := a.retry(ctx, func() error {
		r, rev, ok := a.get(name)
		if !ok {
			return resourceNotFound(arn)
		}
		tags, err := fn(r.Tags)
		if err != nil {
			return err
		}
		if slices.Equal(tags, r.Tags) {
			return nil
		}
		r.Tags = tags
		_, err = a.store.Commit(ctx, store.Put(alarmPrefix+name, encodeRecord(r), rev))
		return err
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &Empty{}, nil
}

func (a *API) listTagsForResource(_ context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	name, err := a.alarmOfARN(in.ResourceARN)
	if err != nil {
		return nil, err
	}
	r, _, ok := a.get(name)
	if !ok {
		return nil, resourceNotFound(*in.ResourceARN)
	}
	return &ListTagsForResourceOutput{Tags: tagsOut(r.Tags)}, nil
}
