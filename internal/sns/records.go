package sns

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"tide/internal/store"
)

// topicRecord is a topic, at sns/topics/<name>. Attributes holds the
// attributes that were set; the rest take their defaults when read.
type topicRecord struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
	Deleted    int               `json:"deleted,omitempty"` // subscriptions deleted so far
}

// subRecord is a subscription, at sns/subs/<topic>/<id>. A pending one
// has a confirmation Token until it is confirmed or TokenExpires passes.
type subRecord struct {
	ID           string            `json:"id"`
	Topic        string            `json:"topic"`
	Protocol     string            `json:"protocol"`
	Endpoint     string            `json:"endpoint"`
	Owner        string            `json:"owner"`
	Confirmed    bool              `json:"confirmed,omitempty"`
	Token        string            `json:"token,omitempty"`
	TokenExpires time.Time         `json:"tokenExpires,omitzero"`
	UnsubToken   string            `json:"unsubToken"`
	Attributes   map[string]string `json:"attributes,omitempty"`
	// BaseURL is where the subscriber reaches this server's /_tide/sns/
	// handlers: the address the Subscribe request came to.
	BaseURL       string    `json:"baseURL"`
	Authenticated bool      `json:"authenticated,omitempty"` // ConfirmationWasAuthenticated
	AuthOnUnsub   bool      `json:"authOnUnsub,omitempty"`   // AuthenticateOnUnsubscribe
	Created       time.Time `json:"created"`
}

// messageRecord is a published message waiting, at sns/messages/<seq>,
// to be fanned out to the topic's subscriptions: Cursor is the key of the
// last subscription it has been fanned out to.
type messageRecord struct {
	ID         string                    `json:"id"`
	Topic      string                    `json:"topic"`
	Subject    string                    `json:"subject,omitempty"`
	Message    string                    `json:"message"`
	PerProto   map[string]string         `json:"perProto,omitempty"` // MessageStructure json: protocol → message
	Attributes map[string]attributeValue `json:"attributes,omitempty"`
	Timestamp  time.Time                 `json:"timestamp"`
	Cursor     string                    `json:"cursor,omitempty"`
}

// attributeValue is a message attribute as stored and as delivered.
type attributeValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"` // Binary values in base64
}

// deliveryRecord is one message to one endpoint, at sns/deliveries/<seq>:
// everything needed to send it, so that it goes out as first rendered
// whichever server sends it.
type deliveryRecord struct {
	ID              string            `json:"id"`
	SubKey          string            `json:"subKey"` // the subscription's store key
	SubscriptionArn string            `json:"subscriptionArn"`
	TopicArn        string            `json:"topicArn"`
	Type            string            `json:"type"` // Notification, SubscriptionConfirmation
	Protocol        string            `json:"protocol"`
	Endpoint        string            `json:"endpoint"`
	Headers         map[string]string `json:"headers,omitempty"` // http and https
	Subject         string            `json:"subject,omitempty"` // email
	From            string            `json:"from,omitempty"`    // email
	Body            string            `json:"body"`
	Policy          retryPolicy       `json:"policy"`
	Attempts        int               `json:"attempts"`
	NextAt          time.Time         `json:"nextAt"`
	Created         time.Time         `json:"created"`
}

const (
	topicsPrefix     = "sns/topics/"
	subsPrefix       = "sns/subs/"
	messagesPrefix   = "sns/messages/"
	deliveriesPrefix = "sns/deliveries/"
	signingKey       = "sns/signing"
)

func topicKey(name string) string          { return topicsPrefix + name }
func topicSubsPrefix(topic string) string  { return subsPrefix + topic + "/" }
func subKey(topic, id string) string       { return topicSubsPrefix(topic) + id }
func messageKey(seq string) string         { return messagesPrefix + seq }
func deliveryKey(seq string) string        { return deliveriesPrefix + seq }
func seqID(t time.Time, id string) string  { return fmt.Sprintf("%020d-%s", t.UnixNano(), id) }
func (a *API) topicARN(name string) string { return a.arnBase + name }

func (a *API) subARN(s *subRecord) string { return a.topicARN(s.Topic) + ":" + s.ID }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // our own types always encode
	}
	return b
}

func decode[T any](kv store.KV) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	return v, nil
}

// ---------------------------------------------------------------- ARNs

var (
	topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoNameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
	arnRE       = regexp.MustCompile(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_.-]{1,256})(?::([0-9a-f-]{36}))?$`)
)

func validTopicName(name string) bool {
	return topicNameRE.MatchString(name) || fifoNameRE.MatchString(name)
}

// parseARN splits a topic or subscription ARN. ok is false for what is
// not an SNS ARN at all; found is false for an ARN of another region or
// account, which names nothing here.
func (a *API) parseARN(arn string) (topic, sub string, ok, found bool) {
	m := arnRE.FindStringSubmatch(arn)
	if m == nil || !validTopicName(m[3]) {
		return "", "", false, false
	}
	return m[3], m[4], true, m[1] == a.cfg.Region && m[2] == a.cfg.AccountID
}

// topicByARN returns the topic arn names: InvalidParameter naming member
// for a malformed ARN, NotFound for one that names no topic.
func (a *API) topicByARN(arn, member string) (*topicRecord, store.KV, error) {
	name, sub, ok, found := a.parseARN(arn)
	if !ok || sub != "" {
		return nil, store.KV{}, invalid("%s", member)
	}
	if !found {
		return nil, store.KV{}, topicNotFound()
	}
	return a.topic(name)
}

func (a *API) topic(name string) (*topicRecord, store.KV, error) {
	kv, ok := a.store.Get(topicKey(name))
	if !ok {
		return nil, kv, topicNotFound()
	}
	t, err := decode[topicRecord](kv)
	return t, kv, err
}

// subByARN returns the subscription arn names.
func (a *API) subByARN(arn string) (*subRecord, store.KV, error) {
	topic, id, ok, found := a.parseARN(arn)
	if !ok || id == "" {
		return nil, store.KV{}, invalid("SubscriptionArn")
	}
	if !found {
		return nil, store.KV{}, subNotFound()
	}
	kv, exists := a.store.Get(subKey(topic, id))
	if !exists {
		return nil, kv, subNotFound()
	}
	s, err := decode[subRecord](kv)
	return s, kv, err
}

// subs returns the subscriptions of topic (all topics when topic is "")
// in key order, with their store records.
func (a *API) subs(topic string) ([]*subRecord, []store.KV, error) {
	prefix := subsPrefix
	if topic != "" {
		prefix = topicSubsPrefix(topic)
	}
	kvs := a.store.List(prefix)
	out := make([]*subRecord, 0, len(kvs))
	for _, kv := range kvs {
		s, err := decode[subRecord](kv)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, kvs, nil
}

// isFIFO reports whether a topic name is a FIFO topic's.
func isFIFO(name string) bool { return strings.HasSuffix(name, ".fifo") }
