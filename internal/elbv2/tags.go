package elbv2

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// maxTags is AWS's limit of tags per resource.
const maxTags = 50

var (
	tagRE       = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	resourceMax = 20 // ARNs per tagging request
)

// checkTags validates tags as the model does and returns them as a map;
// a key given twice is DuplicateTagKeys.
func checkTags(tags []Tag) (map[string]string, error) {
	if tags == nil {
		return nil, nil
	}
	if len(tags) == 0 {
		return nil, constraint("[]", "tags", "Member must have length greater than or equal to 1")
	}
	out := map[string]string{}
	for i, t := range tags {
		member := "tags." + itoa(i+1) + ".member."
		if t.Key == nil {
			return nil, missing(member + "key")
		}
		if err := checkLen(t.Key, member+"key", 1, 128); err != nil {
			return nil, err
		}
		if !tagRE.MatchString(*t.Key) {
			return nil, constraint(*t.Key, member+"key", "Member must satisfy regular expression pattern: "+strings.Trim(tagRE.String(), "^$"))
		}
		if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
			return nil, invalid("Tag keys starting with 'aws:' are reserved for internal use")
		}
		if err := checkLen(t.Value, member+"value", 0, 256); err != nil {
			return nil, err
		}
		if t.Value != nil && !tagRE.MatchString(*t.Value) {
			return nil, constraint(*t.Value, member+"value", "Member must satisfy regular expression pattern: "+strings.Trim(tagRE.String(), "^$"))
		}
		if _, dup := out[*t.Key]; dup {
			return nil, clientErr("DuplicateTagKeys", "Tag key was specified more than once: %s", *t.Key)
		}
		out[*t.Key] = deref(t.Value)
	}
	if len(out) > maxTags {
		return nil, tooManyTags()
	}
	return out, nil
}

func tooManyTags() error {
	return clientErr("TooManyTags", "The quota for the number of tags that can be assigned to a resource has been reached")
}

// tagList is a tag map in key order, as AWS lists tags.
func tagList(m map[string]string) []Tag {
	out := []Tag{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: str(k), Value: str(m[k])})
	}
	return out
}

// AddTagsInput is the AddTags request.
type AddTagsInput struct {
	ResourceArns []string
	Tags         []Tag
}

// addTags adds or overwrites tags on up to 20 resources of any kind.
func (a *API) addTags(ctx context.Context, in *AddTagsInput) (*empty, error) {
	if err := checkARNList(in.ResourceArns, "resourceArns"); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, missing("tags")
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	for _, arn := range in.ResourceArns {
		err := a.updateTags(ctx, arn, func(cur map[string]string) (map[string]string, error) {
			if cur == nil {
				cur = map[string]string{}
			}
			maps.Copy(cur, tags)
			if len(cur) > maxTags {
				return nil, tooManyTags()
			}
			return cur, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &empty{}, nil
}

// RemoveTagsInput is the RemoveTags request.
type RemoveTagsInput struct {
	ResourceArns []string
	TagKeys      []string
}

// removeTags removes tags by key; keys a resource lacks are ignored.
func (a *API) removeTags(ctx context.Context, in *RemoveTagsInput) (*empty, error) {
	if err := checkARNList(in.ResourceArns, "resourceArns"); err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, missing("tagKeys")
	}
	for i, k := range in.TagKeys {
		if err := checkLen(&k, "tagKeys."+itoa(i+1)+".member", 1, 128); err != nil {
			return nil, err
		}
	}
	for _, arn := range in.ResourceArns {
		err := a.updateTags(ctx, arn, func(cur map[string]string) (map[string]string, error) {
			for _, k := range in.TagKeys {
				delete(cur, k)
			}
			if len(cur) == 0 {
				return nil, nil
			}
			return cur, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &empty{}, nil
}

// DescribeTagsInput is the DescribeTags request.
type DescribeTagsInput struct {
	ResourceArns []string
}

// DescribeTagsOutput is the DescribeTags response.
type DescribeTagsOutput struct {
	TagDescriptions []TagDescription
}

func (a *API) describeTags(ctx context.Context, in *DescribeTagsInput) (*DescribeTagsOutput, error) {
	if err := checkARNList(in.ResourceArns, "resourceArns"); err != nil {
		return nil, err
	}
	out := &DescribeTagsOutput{TagDescriptions: []TagDescription{}}
	for _, arn := range in.ResourceArns {
		tags, err := a.tagsOf(arn)
		if err != nil {
			return nil, err
		}
		out.TagDescriptions = append(out.TagDescriptions, TagDescription{ResourceArn: arn, Tags: tagList(tags)})
	}
	return out, nil
}

func checkARNList(arns []string, member string) error {
	if arns == nil {
		return missing(member)
	}
	if len(arns) > resourceMax {
		return constraint(len(arns), member, "Member must have length less than or equal to 20")
	}
	return nil
}

// resourceKind tells which kind of resource an ARN names.
func (a *API) resourceKind(arn string) string {
	rest, _ := strings.CutPrefix(arn, a.arnBase)
	kind, _, _ := strings.Cut(rest, "/")
	return kind
}

// tagsOf returns the tags of the resource arn names.
func (a *API) tagsOf(arn string) (map[string]string, error) {
	switch a.resourceKind(arn) {
	case "targetgroup":
		g, _, err := a.tgByARN(arn)
		if err != nil {
			return nil, err
		}
		return g.Tags, nil
	case "loadbalancer":
		r, _, err := a.lbByARN(arn)
		if err != nil {
			return nil, err
		}
		return r.Tags, nil
	case "listener":
		ref, err := a.parseListenerARN(arn)
		if err != nil {
			return nil, err
		}
		_, l, err := a.listener(ref)
		if err != nil {
			return nil, err
		}
		return l.Tags, nil
	case "listener-rule":
		ref, err := a.parseRuleARN(arn)
		if err != nil {
			return nil, err
		}
		_, l, err := a.listener(ref.listenerRef)
		if err != nil {
			return nil, ruleNotFound()
		}
		if ref.ruleID == l.DefaultRuleID {
			return l.DefaultRuleTags, nil
		}
		rule := l.rule(ref.ruleID)
		if rule == nil {
			return nil, ruleNotFound()
		}
		return rule.Tags, nil
	}
	return nil, invalid("'%s' is not a valid resource ARN", arn)
}

// updateTags replaces the tags of the resource arn names with what fn
// makes of them.
func (a *API) updateTags(ctx context.Context, arn string, fn func(map[string]string) (map[string]string, error)) error {
	switch a.resourceKind(arn) {
	case "targetgroup":
		name, id, err := a.parseTGARN(arn)
		if err != nil {
			return err
		}
		return a.updateTG(ctx, name, id, func(g *tgRecord) error {
			tags, err := fn(g.Tags)
			g.Tags = tags
			return err
		})
	case "loadbalancer":
		name, id, err := a.parseLBARN(arn)
		if err != nil {
			return err
		}
		_, err = a.updateLB(ctx, name, id, func(r *lbRecord) error {
			tags, err := fn(r.Tags)
			r.Tags = tags
			return err
		})
		return err
	case "listener":
		ref, err := a.parseListenerARN(arn)
		if err != nil {
			return err
		}
		_, err = a.updateListener(ctx, ref, func(r *lbRecord, l *listenerRecord) error {
			tags, err := fn(l.Tags)
			l.Tags = tags
			return err
		})
		return err
	case "listener-rule":
		ref, err := a.parseRuleARN(arn)
		if err != nil {
			return err
		}
		_, err = a.updateListener(ctx, ref.listenerRef, func(r *lbRecord, l *listenerRecord) error {
			if ref.ruleID == l.DefaultRuleID {
				tags, err := fn(l.DefaultRuleTags)
				l.DefaultRuleTags = tags
				return err
			}
			rule := l.rule(ref.ruleID)
			if rule == nil {
				return ruleNotFound()
			}
			tags, err := fn(rule.Tags)
			rule.Tags = tags
			return err
		})
		if isCode(err, "ListenerNotFound") {
			return ruleNotFound()
		}
		return err
	}
	return invalid("'%s' is not a valid resource ARN", arn)
}
