package sns

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"tide/internal/awserr"
	"tide/internal/store"
)

// maxTags is AWS's limit of tags per topic.
const maxTags = 50

// Tag is a topic's tag.
type Tag struct {
	Key   *string
	Value *string
}

func tooManyTags() error {
	return awserr.Client("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
}

// checkTags validates tags and returns them as a map.
func checkTags(tags []Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, t := range tags {
		if t.Key == nil {
			return nil, invalid("Tags Reason: Tag key must not be null")
		}
		if t.Value == nil {
			return nil, invalid("Tags Reason: Tag value must not be null")
		}
		if n := utf8.RuneCountInString(*t.Key); n < 1 || n > 128 {
			return nil, invalid("Tags Reason: Tag keys must be between 1 and 128 characters long")
		}
		if utf8.RuneCountInString(*t.Value) > 256 {
			return nil, invalid("Tags Reason: Tag values must be at most 256 characters long")
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return nil, invalid("Tags Reason: Tag keys starting with aws: are reserved")
		}
		if _, dup := out[*t.Key]; dup {
			return nil, invalid("Duplicated keys are not allowed.")
		}
		out[*t.Key] = *t.Value
	}
	if len(out) > maxTags {
		return nil, tooManyTags()
	}
	return out, nil
}

// tagList is a tag map in key order.
func tagList(m map[string]string) []Tag {
	out := []Tag{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: str(k), Value: str(m[k])})
	}
	return out
}

// TagResourceInput is the TagResource request.
type TagResourceInput struct {
	ResourceArn *string
	Tags        []Tag
}

func (a *API) tagResource(ctx context.Context, in *TagResourceInput) (*empty, error) {
	if in.Tags == nil {
		return nil, invalid("Tags")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	return a.updateTags(ctx, in.ResourceArn, func(cur map[string]string) (map[string]string, error) {
		if cur == nil {
			cur = map[string]string{}
		}
		maps.Copy(cur, tags)
		if len(cur) > maxTags {
			return nil, tooManyTags()
		}
		return cur, nil
	})
}

// UntagResourceInput is the UntagResource request.
type UntagResourceInput struct {
	ResourceArn *string
	TagKeys     []string
}

func (a *API) untagResource(ctx context.Context, in *UntagResourceInput) (*empty, error) {
	if in.TagKeys == nil {
		return nil, invalid("TagKeys")
	}
	return a.updateTags(ctx, in.ResourceArn, func(cur map[string]string) (map[string]string, error) {
		for _, k := range in.TagKeys {
			delete(cur, k)
		}
		if len(cur) == 0 {
			return nil, nil
		}
		return cur, nil
	})
}

// ListTagsForResourceInput is the ListTagsForResource request.
type ListTagsForResourceInput struct {
	ResourceArn *string
}

// ListTagsForResourceOutput is the ListTagsForResource response.
type ListTagsForResourceOutput struct {
	Tags []Tag
}

func (a *API) listTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	name, err := a.taggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t, _, err := a.topic(name)
	if err != nil {
		return nil, resourceNotFound()
	}
	return &ListTagsForResourceOutput{Tags: tagList(t.Tags)}, nil
}

// taggable returns the name of the topic a tagging request's ARN names.
func (a *API) taggable(arn *string) (string, error) {
	if arn == nil || *arn == "" || len(*arn) > 1011 {
		return "", invalid("ResourceArn")
	}
	name, sub, ok, found := a.parseARN(*arn)
	if !ok || sub != "" {
		return "", invalid("ResourceArn")
	}
	if !found {
		return "", resourceNotFound()
	}
	return name, nil
}

func (a *API) updateTags(ctx context.Context, arn *string, fn func(map[string]string) (map[string]string, error)) (*empty, error) {
	name, err := a.taggable(arn)
	if err != nil {
		return nil, err
	}
	_, err = a.store.Update(ctx, topicKey(name), func(cur store.KV) ([]byte, error) {
		t, err := decode[topicRecord](cur)
		if err != nil {
			return nil, err
		}
		if t.Tags, err = fn(t.Tags); err != nil {
			return nil, err
		}
		return mustJSON(t), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, awserr.New(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &empty{}, nil
}
