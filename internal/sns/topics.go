package sns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strconv"

	"tide/internal/awserr"
	"tide/internal/store"
)

// maxTopics is AWS's default quota of standard topics per account.
const maxTopics = 100000

// CreateTopicInput is the CreateTopic request.
type CreateTopicInput struct {
	Name                 *string
	Attributes           map[string]string
	Tags                 []Tag
	DataProtectionPolicy *string
}

// CreateTopicOutput is the CreateTopic response.
type CreateTopicOutput struct {
	TopicArn string
}

// createTopic creates a topic, or returns the ARN of the one of that name
// when the request asks for nothing it does not already have.
func (a *API) createTopic(ctx context.Context, in *CreateTopicInput) (*CreateTopicOutput, error) {
	name := deref(in.Name)
	if !validTopicName(name) {
		return nil, invalid("Topic Name")
	}
	attrs, err := a.checkTopicAttributes(name, in.Attributes, true)
	if err != nil {
		return nil, err
	}
	if in.DataProtectionPolicy != nil {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["DataProtectionPolicy"] = *in.DataProtectionPolicy
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	out := &CreateTopicOutput{TopicArn: a.topicARN(name)}
	if cur, _, err := a.topic(name); err == nil {
		for k, v := range attrs {
			if a.topicAttr(cur, k) != v {
				return nil, invalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		if in.Tags != nil && !maps.Equal(cur.Tags, tags) {
			return nil, invalid("Tags Reason: Topic already exists with different tags")
		}
		return out, nil
	}
	n := 0
	a.store.Range(topicsPrefix, "", func(store.KV) bool { n++; return n < maxTopics })
	if n >= maxTopics {
		return nil, awserr.New(http.StatusForbidden, "TopicLimitExceeded", "Topic limit exceeded")
	}
	rec := &topicRecord{Name: name, Attributes: attrs, Tags: tags, Created: a.now()}
	if _, err := a.store.Create(ctx, topicKey(name), mustJSON(rec)); errors.Is(err, store.ErrExists) {
		return a.createTopic(ctx, in) // lost a race with an identical request: answer as it would be answered now
	} else if err != nil {
		return nil, storeErr(err)
	}
	return out, nil
}

// DeleteTopicInput is the DeleteTopic request.
type DeleteTopicInput struct {
	TopicArn *string
}

// deleteTopic deletes a topic and its subscriptions; a topic that does not
// exist is deleted already.
func (a *API) deleteTopic(ctx context.Context, in *DeleteTopicInput) (*empty, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	name, sub, ok, found := a.parseARN(*in.TopicArn)
	if !ok || sub != "" {
		return nil, invalid("TopicArn")
	}
	if !found {
		return &empty{}, nil
	}
	for {
		kv, exists := a.store.Get(topicKey(name))
		if !exists {
			return &empty{}, nil
		}
		// Subscriptions go first, in transactions etcd accepts; the topic
		// goes with the last of them, so an interrupted delete leaves a
		// topic to delete again rather than subscriptions without a topic.
		subs := a.store.List(topicSubsPrefix(name))
		const chunk = 100
		for len(subs) > chunk {
			var writes []store.Write
			for _, s := range subs[:chunk] {
				writes = append(writes, store.Del(s.Key, store.Any))
			}
			if _, err := a.store.Commit(ctx, writes...); err != nil {
				return nil, storeErr(err)
			}
			subs = subs[chunk:]
		}
		writes := []store.Write{store.Del(kv.Key, kv.ModRev)}
		for _, s := range subs {
			writes = append(writes, store.Del(s.Key, s.ModRev))
		}
		_, err := a.store.Commit(ctx, writes...)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		return &empty{}, nil
	}
}

// ListTopicsInput is the ListTopics request.
type ListTopicsInput struct {
	NextToken *string
}

// ListTopicsOutput is the ListTopics response.
type ListTopicsOutput struct {
	Topics    []Topic
	NextToken *string
}

// Topic is a topic in ListTopics.
type Topic struct {
	TopicArn string
}

// pageSize is how many items SNS's list operations return at a time.
const pageSize = 100

func (a *API) listTopics(ctx context.Context, in *ListTopicsInput) (*ListTopicsOutput, error) {
	after, err := parseToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListTopicsOutput{Topics: []Topic{}}
	last := ""
	a.store.Range(topicsPrefix, after, func(kv store.KV) bool {
		if len(out.Topics) == pageSize {
			out.NextToken = makeToken(last)
			return false
		}
		last = kv.Key
		out.Topics = append(out.Topics, Topic{TopicArn: a.topicARN(kv.Key[len(topicsPrefix):])})
		return true
	})
	return out, nil
}

// Tokens are opaque to clients: the store key of the last item returned,
// so that a page stays right when items before it come or go.
func makeToken(key string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte(key))
	return &t
}

func parseToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", invalid("NextToken")
	}
	return string(b), nil
}

// GetTopicAttributesInput is the GetTopicAttributes request.
type GetTopicAttributesInput struct {
	TopicArn *string
}

// AttributesOutput is the response of GetTopicAttributes and
// GetSubscriptionAttributes.
type AttributesOutput struct {
	Attributes map[string]string
}

func (a *API) getTopicAttributes(ctx context.Context, in *GetTopicAttributesInput) (*AttributesOutput, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	t, _, err := a.topicByARN(*in.TopicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	subs, _, err := a.subs(t.Name)
	if err != nil {
		return nil, err
	}
	pending, confirmed := 0, 0
	for _, s := range subs {
		if s.Confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	attrs := maps.Clone(t.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	delete(attrs, "DataProtectionPolicy") // GetDataProtectionPolicy's, not an attribute
	attrs["TopicArn"] = a.topicARN(t.Name)
	attrs["Owner"] = a.cfg.AccountID
	attrs["Policy"] = a.topicAttr(t, "Policy")
	attrs["DisplayName"] = a.topicAttr(t, "DisplayName")
	attrs["EffectiveDeliveryPolicy"] = effectiveTopicPolicy(t.Attributes["DeliveryPolicy"])
	attrs["SubscriptionsPending"] = strconv.Itoa(pending)
	attrs["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	attrs["SubscriptionsDeleted"] = strconv.Itoa(t.Deleted)
	if isFIFO(t.Name) {
		attrs["FifoTopic"] = "true"
		attrs["ContentBasedDeduplication"] = a.topicAttr(t, "ContentBasedDeduplication")
	}
	return &AttributesOutput{Attributes: attrs}, nil
}

// SetTopicAttributesInput is the SetTopicAttributes request.
type SetTopicAttributesInput struct {
	TopicArn       *string
	AttributeName  *string
	AttributeValue *string
}

func (a *API) setTopicAttributes(ctx context.Context, in *SetTopicAttributesInput) (*empty, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	if in.AttributeName == nil {
		return nil, invalid("AttributeName")
	}
	t, _, err := a.topicByARN(*in.TopicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	name, value := *in.AttributeName, deref(in.AttributeValue)
	if name == "FifoTopic" {
		return nil, invalid("AttributeName")
	}
	if _, err := a.checkTopicAttributes(t.Name, map[string]string{name: value}, false); err != nil {
		return nil, err
	}
	_, err = a.store.Update(ctx, topicKey(t.Name), func(cur store.KV) ([]byte, error) {
		r, err := decode[topicRecord](cur)
		if err != nil {
			return nil, err
		}
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		if value == "" && clearable[name] {
			delete(r.Attributes, name)
		} else {
			r.Attributes[name] = value
		}
		return mustJSON(r), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, topicNotFound()
	}
	return &empty{}, storeErr(err)
}

// clearable are the attributes that an empty value removes, returning
// them to their defaults.
var clearable = map[string]bool{"DeliveryPolicy": true, "Policy": true, "KmsMasterKeyId": true, "ArchivePolicy": true, "DataProtectionPolicy": true}

// topicAttr is the value of a settable attribute of t, set or default.
func (a *API) topicAttr(t *topicRecord, name string) string {
	if v, ok := t.Attributes[name]; ok {
		return v
	}
	switch name {
	case "Policy":
		return a.defaultTopicPolicy(t.Name)
	case "SignatureVersion":
		return "1"
	case "TracingConfig":
		return "PassThrough"
	case "FifoTopic":
		return strconv.FormatBool(isFIFO(t.Name))
	case "ContentBasedDeduplication":
		return "false"
	}
	return ""
}

// defaultTopicPolicy is the access policy AWS gives a new topic.
func (a *API) defaultTopicPolicy(name string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		a.topicARN(name) + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + a.cfg.AccountID + `"}}}]}`
}

// validJSONObject reports whether s is one JSON object.
func validJSONObject(s string) bool {
	var v map[string]any
	return json.Unmarshal([]byte(s), &v) == nil
}
