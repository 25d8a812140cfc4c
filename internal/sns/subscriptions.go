package sns

import (
	"context"
	"errors"
	"maps"
	"net/mail"
	"net/url"
	"time"

	"tide/internal/store"
)

const (
	// tokenLifetime is how long a confirmation token is valid.
	tokenLifetime = 48 * time.Hour
	// pendingLifetime is how long an unconfirmed subscription lives.
	pendingLifetime = 72 * time.Hour
	// pendingARN is what Subscribe and the list operations show for a
	// subscription that awaits confirmation.
	pendingARN     = "pending confirmation"
	pendingListARN = "PendingConfirmation"
)

// protocols are the protocols SNS knows, and whether Tide delivers to them.
var protocols = map[string]bool{
	"http": true, "https": true, "email": true, "email-json": true,
	"sms": false, "sqs": false, "application": false, "lambda": false, "firehose": false,
}

// SubscribeInput is the Subscribe request.
type SubscribeInput struct {
	TopicArn              *string
	Protocol              *string
	Endpoint              *string
	Attributes            map[string]string
	ReturnSubscriptionArn *bool
}

// SubscribeOutput is the Subscribe response.
type SubscribeOutput struct {
	SubscriptionArn string
}

func (a *API) subscribe(ctx context.Context, in *SubscribeInput) (*SubscribeOutput, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	if in.Protocol == nil {
		return nil, invalid("Protocol")
	}
	t, _, err := a.topicByARN(*in.TopicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	proto, endpoint := *in.Protocol, deref(in.Endpoint)
	if err := a.checkEndpoint(t, proto, endpoint); err != nil {
		return nil, err
	}
	for name, v := range in.Attributes {
		if err := checkSubAttribute(name, v, proto); err != nil {
			return nil, err
		}
	}
	for {
		out, err := a.subscribeOnce(ctx, t, proto, endpoint, in)
		if !errors.Is(err, store.ErrConflict) {
			return out, storeErr(err)
		}
	}
}

// subscribeOnce makes the subscription, or finds the one the endpoint
// already has (and for a pending one sends a new confirmation).
func (a *API) subscribeOnce(ctx context.Context, t *topicRecord, proto, endpoint string, in *SubscribeInput) (*SubscribeOutput, error) {
	subs, kvs, err := a.subs(t.Name)
	if err != nil {
		return nil, err
	}
	var s *subRecord
	var guard int64 = store.MustBeNew
	for i, cur := range subs {
		if cur.Protocol == proto && cur.Endpoint == endpoint {
			s, guard = cur, kvs[i].ModRev
		}
	}
	now := a.now()
	if s != nil {
		for k, v := range in.Attributes {
			if s.Attributes[k] != v {
				return nil, invalid("Attributes Reason: Subscription already exists with different attributes")
			}
		}
		if s.Confirmed {
			return &SubscribeOutput{SubscriptionArn: a.subARN(s)}, nil
		}
	} else {
		s = &subRecord{ID: newUUID(), Topic: t.Name, Protocol: proto, Endpoint: endpoint, Owner: a.cfg.AccountID,
			UnsubToken: newToken(), Attributes: in.Attributes, Created: now}
	}
	s.Token, s.TokenExpires, s.BaseURL = newToken(), now.Add(tokenLifetime), a.baseURL(ctx)
	d, err := a.confirmation(ctx, t, s)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Commit(ctx, store.Put(subKey(t.Name, s.ID), mustJSON(s), guard),
		store.Put(deliveryKey(d.ID), mustJSON(d), store.MustBeNew)); err != nil {
		return nil, err
	}
	if in.ReturnSubscriptionArn != nil && *in.ReturnSubscriptionArn {
		return &SubscribeOutput{SubscriptionArn: a.subARN(s)}, nil
	}
	return &SubscribeOutput{SubscriptionArn: pendingARN}, nil
}

// checkEndpoint validates a protocol and its endpoint for topic t.
func (a *API) checkEndpoint(t *topicRecord, proto, endpoint string) error {
	deliverable, known := protocols[proto]
	switch {
	case !known:
		return invalid("Amazon SNS does not support this protocol string: %s", proto)
	case !deliverable:
		return invalid("Tide does not deliver to %s endpoints", proto)
	case isFIFO(t.Name):
		return invalid("Invalid protocol type: %s", proto)
	}
	switch proto {
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return invalid("Endpoint")
		}
		if u.Scheme != proto {
			return invalid("Endpoint must match the specified protocol")
		}
	default: // email, email-json
		addr, err := mail.ParseAddress(endpoint)
		if err != nil || addr.Address != endpoint {
			return invalid("Email address")
		}
		if a.cfg.SMTPAddr == "" {
			return invalid("Email address Reason: this Tide server has no SMTP server to deliver email through")
		}
	}
	return nil
}

// ConfirmSubscriptionInput is the ConfirmSubscription request.
type ConfirmSubscriptionInput struct {
	TopicArn                  *string
	Token                     *string
	AuthenticateOnUnsubscribe *string
}

// ConfirmSubscriptionOutput is the ConfirmSubscription response.
type ConfirmSubscriptionOutput struct {
	SubscriptionArn string
}

func (a *API) confirmSubscription(ctx context.Context, in *ConfirmSubscriptionInput) (*ConfirmSubscriptionOutput, error) {
	return a.confirm(ctx, in, true)
}

// confirm confirms the subscription whose token in names; authenticated
// says whether the request came signed through the API rather than from
// the SubscribeURL.
func (a *API) confirm(ctx context.Context, in *ConfirmSubscriptionInput, authenticated bool) (*ConfirmSubscriptionOutput, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	if in.Token == nil || *in.Token == "" {
		return nil, invalid("Token")
	}
	t, _, err := a.topicByARN(*in.TopicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	subs, kvs, err := a.subs(t.Name)
	if err != nil {
		return nil, err
	}
	for i, s := range subs {
		if s.Token != *in.Token || !a.now().Before(s.TokenExpires) {
			continue
		}
		if !s.Confirmed {
			s.Confirmed, s.Authenticated = true, authenticated
			s.AuthOnUnsub = authenticated && deref(in.AuthenticateOnUnsubscribe) == "true"
			_, err := a.store.Commit(ctx, store.Put(kvs[i].Key, mustJSON(s), kvs[i].ModRev))
			if errors.Is(err, store.ErrConflict) {
				return a.confirm(ctx, in, authenticated)
			}
			if err != nil {
				return nil, storeErr(err)
			}
		}
		return &ConfirmSubscriptionOutput{SubscriptionArn: a.subARN(s)}, nil
	}
	return nil, invalid("Token")
}

// UnsubscribeInput is the Unsubscribe request.
type UnsubscribeInput struct {
	SubscriptionArn *string
}

func (a *API) unsubscribe(ctx context.Context, in *UnsubscribeInput) (*empty, error) {
	if in.SubscriptionArn == nil {
		return nil, invalid("SubscriptionArn")
	}
	return &empty{}, a.deleteSub(ctx, *in.SubscriptionArn, func(*subRecord) error { return nil })
}

// deleteSub deletes the subscription arn names if check allows, counting
// it in its topic's SubscriptionsDeleted.
func (a *API) deleteSub(ctx context.Context, arn string, check func(*subRecord) error) error {
	for {
		s, kv, err := a.subByARN(arn)
		if err != nil {
			return err
		}
		if err := check(s); err != nil {
			return err
		}
		writes := []store.Write{store.Del(kv.Key, kv.ModRev)}
		if t, tkv, err := a.topic(s.Topic); err == nil {
			t.Deleted++
			writes = append(writes, store.Put(tkv.Key, mustJSON(t), tkv.ModRev))
		}
		_, err = a.store.Commit(ctx, writes...)
		if !errors.Is(err, store.ErrConflict) {
			return storeErr(err)
		}
	}
}

// ListSubscriptionsInput is the ListSubscriptions request.
type ListSubscriptionsInput struct {
	NextToken *string
}

// ListSubscriptionsByTopicInput is the ListSubscriptionsByTopic request.
type ListSubscriptionsByTopicInput struct {
	TopicArn  *string
	NextToken *string
}

// ListSubscriptionsOutput is the response of both list operations.
type ListSubscriptionsOutput struct {
	Subscriptions []Subscription
	NextToken     *string
}

// Subscription is a subscription in the list operations.
type Subscription struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

func (a *API) listSubscriptions(ctx context.Context, in *ListSubscriptionsInput) (*ListSubscriptionsOutput, error) {
	return a.listSubs(subsPrefix, in.NextToken)
}

func (a *API) listSubscriptionsByTopic(ctx context.Context, in *ListSubscriptionsByTopicInput) (*ListSubscriptionsOutput, error) {
	if in.TopicArn == nil {
		return nil, invalid("TopicArn")
	}
	t, _, err := a.topicByARN(*in.TopicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	return a.listSubs(topicSubsPrefix(t.Name), in.NextToken)
}

func (a *API) listSubs(prefix string, token *string) (*ListSubscriptionsOutput, error) {
	after, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	out := &ListSubscriptionsOutput{Subscriptions: []Subscription{}}
	var kvs []store.KV
	a.store.Range(prefix, after, func(kv store.KV) bool {
		kvs = append(kvs, kv)
		return len(kvs) <= pageSize
	})
	if len(kvs) > pageSize {
		kvs = kvs[:pageSize]
		out.NextToken = makeToken(kvs[pageSize-1].Key)
	}
	for _, kv := range kvs {
		s, err := decode[subRecord](kv)
		if err != nil {
			return nil, err
		}
		arn := a.subARN(s)
		if !s.Confirmed {
			arn = pendingListARN
		}
		out.Subscriptions = append(out.Subscriptions, Subscription{SubscriptionArn: arn, Owner: s.Owner,
			Protocol: s.Protocol, Endpoint: s.Endpoint, TopicArn: a.topicARN(s.Topic)})
	}
	return out, nil
}

// GetSubscriptionAttributesInput is the GetSubscriptionAttributes request.
type GetSubscriptionAttributesInput struct {
	SubscriptionArn *string
}

func (a *API) getSubscriptionAttributes(ctx context.Context, in *GetSubscriptionAttributesInput) (*AttributesOutput, error) {
	if in.SubscriptionArn == nil {
		return nil, invalid("SubscriptionArn")
	}
	s, _, err := a.subByARN(*in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	attrs := maps.Clone(s.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["SubscriptionArn"] = a.subARN(s)
	attrs["TopicArn"] = a.topicARN(s.Topic)
	attrs["Owner"] = s.Owner
	attrs["Protocol"] = s.Protocol
	attrs["Endpoint"] = s.Endpoint
	attrs["PendingConfirmation"] = boolText(!s.Confirmed)
	attrs["ConfirmationWasAuthenticated"] = boolText(s.Authenticated)
	if _, ok := attrs["RawMessageDelivery"]; !ok {
		attrs["RawMessageDelivery"] = "false"
	}
	if _, ok := attrs["FilterPolicy"]; ok && attrs["FilterPolicyScope"] == "" {
		attrs["FilterPolicyScope"] = "MessageAttributes"
	}
	if s.Protocol == "http" || s.Protocol == "https" {
		t, _, _ := a.topic(s.Topic)
		tp := ""
		if t != nil {
			tp = t.Attributes["DeliveryPolicy"]
		}
		attrs["EffectiveDeliveryPolicy"] = effectiveSubPolicy(tp, s.Attributes["DeliveryPolicy"])
	}
	return &AttributesOutput{Attributes: attrs}, nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// SetSubscriptionAttributesInput is the SetSubscriptionAttributes request.
type SetSubscriptionAttributesInput struct {
	SubscriptionArn *string
	AttributeName   *string
	AttributeValue  *string
}

func (a *API) setSubscriptionAttributes(ctx context.Context, in *SetSubscriptionAttributesInput) (*empty, error) {
	if in.SubscriptionArn == nil {
		return nil, invalid("SubscriptionArn")
	}
	if in.AttributeName == nil {
		return nil, invalid("AttributeName")
	}
	s, kv, err := a.subByARN(*in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	name, value := *in.AttributeName, deref(in.AttributeValue)
	if err := checkSubAttribute(name, value, s.Protocol); err != nil {
		return nil, err
	}
	_, err = a.store.Update(ctx, kv.Key, func(cur store.KV) ([]byte, error) {
		r, err := decode[subRecord](cur)
		if err != nil {
			return nil, err
		}
		if r.Attributes == nil {
			r.Attributes = map[string]string{}
		}
		if value == "" && (name == "DeliveryPolicy" || name == "FilterPolicy" || name == "RedrivePolicy" || name == "ReplayPolicy") {
			delete(r.Attributes, name)
		} else {
			r.Attributes[name] = value
		}
		return mustJSON(r), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, subNotFound()
	}
	return &empty{}, storeErr(err)
}
