package ecr

import (
	"context"
	"strings"

	"tide/internal/awserr"
	"tide/internal/registry"
)

// maxTags is ECR's limit of tags per resource.
const maxTags = 50

// checkTags applies ECR's tag rules to tags a request brings.
func checkTags(tags []Tag) error {
	for _, t := range tags {
		if t.Key == nil {
			return invalidParam("tags.member.Key", "must not be null")
		}
		if t.Value == nil {
			return invalidParam("tags.member.Value", "must not be null")
		}
		if len(*t.Key) < 1 || len(*t.Key) > 128 {
			return awserr.Client("InvalidTagParameterException", "The tag key '%s' is invalid: a tag key must be between 1 and 128 characters long", *t.Key)
		}
		if len(*t.Value) > 256 {
			return awserr.Client("InvalidTagParameterException", "The value of tag '%s' is invalid: a tag value must be at most 256 characters long", *t.Key)
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return awserr.Client("InvalidTagParameterException", "The tag key '%s' is invalid: keys with the prefix 'aws:' are reserved for AWS use", *t.Key)
		}
	}
	if len(mergeTags(nil, tags)) > maxTags {
		return tooManyTags()
	}
	return nil
}

func tooManyTags() error {
	return awserr.Client("TooManyTagsException", "A resource can have at most %d tags", maxTags)
}

// mergeTags sets each of add on tags (a later value for a key wins) and
// returns the result.
func mergeTags(tags, add []Tag) []Tag {
	out := append([]Tag{}, tags...)
	for _, t := range add {
		i := 0
		for i < len(out) && *out[i].Key != *t.Key {
			i++
		}
		if i < len(out) {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// repoOfARN returns the repository that a repository ARN names.
func (a *API) repoOfARN(arn *string) (string, error) {
	if arn == nil {
		return "", invalidParam("resourceArn", "must not be null")
	}
	parts := strings.SplitN(*arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "ecr" || !strings.HasPrefix(parts[5], "repository/") {
		return "", awserr.InvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: %s'", *arn)
	}
	name := strings.TrimPrefix(parts[5], "repository/")
	if !registry.ValidName(name) {
		return "", awserr.InvalidParameter("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: %s'", *arn)
	}
	if _, ok := a.reg.Repo(name); !ok || parts[3] != a.cfg.Region || parts[4] != a.cfg.AccountID {
		return "", a.repoNotFound(name, parts[4])
	}
	return name, nil
}

type tagResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
	Tags        []Tag   `json:"tags"`
}

type untagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

type listTagsForResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
}

type listTagsForResourceOutput struct {
	Tags []Tag `json:"tags"`
}

type empty struct{}

// TagResource adds tags to a repository, replacing the values of keys it has.
func (a *API) TagResource(ctx context.Context, in *tagResourceInput) (*empty, error) {
	name, err := a.repoOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, invalidParam("tags", "must not be null")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	_, err = a.updateSettings(ctx, name, func(_ *registry.Repository, s *settings) error {
		tags := mergeTags(s.Tags, in.Tags)
		if len(tags) > maxTags {
			return tooManyTags()
		}
		s.Tags = tags
		return nil
	})
	return &empty{}, err
}

// UntagResource removes tags, by key, from a repository.
func (a *API) UntagResource(ctx context.Context, in *untagResourceInput) (*empty, error) {
	name, err := a.repoOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, invalidParam("tagKeys", "must not be null")
	}
	_, err = a.updateSettings(ctx, name, func(_ *registry.Repository, s *settings) error {
		var keep []Tag
		for _, t := range s.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || *t.Key == k
			}
			if !drop {
				keep = append(keep, t)
			}
		}
		s.Tags = keep
		return nil
	})
	return &empty{}, err
}

// ListTagsForResource returns a repository's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *listTagsForResourceInput) (*listTagsForResourceOutput, error) {
	name, err := a.repoOfARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	rec, ok := a.reg.Repo(name)
	if !ok {
		return nil, a.repoNotFound(name, "")
	}
	tags := settingsOf(rec).Tags
	if tags == nil {
		tags = []Tag{}
	}
	return &listTagsForResourceOutput{Tags: tags}, nil
}
