package sns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"tide/internal/store"
)

const (
	// maxMessage is AWS's limit on a message with its attributes.
	maxMessage = 256 * 1024
	// maxSubject is AWS's limit on a subject, in characters.
	maxSubject = 100
	// maxMessageAttributes is AWS's limit of attributes per message.
	maxMessageAttributes = 10
)

// PublishInput is the Publish request.
type PublishInput struct {
	TopicArn               *string
	TargetArn              *string
	PhoneNumber            *string
	Message                *string
	Subject                *string
	MessageStructure       *string
	MessageAttributes      map[string]MessageAttributeValue `query:",key=Name,value=Value"`
	MessageDeduplicationId *string
	MessageGroupId         *string
}

// MessageAttributeValue is a message attribute as Publish takes it.
type MessageAttributeValue struct {
	DataType    *string
	StringValue *string
	BinaryValue []byte
}

// PublishOutput is the Publish response.
type PublishOutput struct {
	MessageId      string
	SequenceNumber *string
}

// Publish publishes message to the topic topicARN names, as the Publish
// operation does, and returns the message's ID. Delivery happens later,
// in Run.
func (a *API) Publish(ctx context.Context, topicARN, subject, message string) (messageID string, err error) {
	in := &PublishInput{TopicArn: &topicARN, Message: &message}
	if subject != "" {
		in.Subject = &subject
	}
	out, err := a.publish(ctx, in)
	if err != nil {
		return "", fmt.Errorf("publish to %s: %w", topicARN, err)
	}
	return out.MessageId, nil
}

// Notify publishes a notification (CloudWatch's alarm actions call it).
func (a *API) Notify(ctx context.Context, topicARN, subject, message string) error {
	_, err := a.Publish(ctx, topicARN, subject, message)
	return err
}

func (a *API) publish(ctx context.Context, in *PublishInput) (*PublishOutput, error) {
	arn, err := publishTarget(in)
	if err != nil {
		return nil, err
	}
	member := "TopicArn"
	if in.TargetArn != nil {
		member = "TargetArn"
	}
	t, _, err := a.topicByARN(arn, member)
	if err != nil {
		return nil, err
	}
	msg, out, err := a.prepare(t, in)
	if err != nil {
		return nil, err
	}
	now := a.now()
	msg.ID, msg.Topic, msg.Timestamp = newUUID(), t.Name, now
	if out.SequenceNumber != nil {
		*out.SequenceNumber = fmt.Sprintf("%020d", now.UnixNano())
	}
	if _, err := a.store.Create(ctx, messageKey(seqID(now, msg.ID)), mustJSON(msg)); err != nil {
		return nil, storeErr(err)
	}
	out.MessageId = msg.ID
	return out, nil
}

// prepare validates a message for topic t.
func (a *API) prepare(t *topicRecord, in *PublishInput) (*messageRecord, *PublishOutput, error) {
	msg, err := checkMessage(in)
	if err != nil {
		return nil, nil, err
	}
	out := &PublishOutput{}
	if err := checkFIFO(t, in, out, a.topicAttr(t, "ContentBasedDeduplication") == "true"); err != nil {
		return nil, nil, err
	}
	return msg, out, nil
}

// publishTarget returns the one ARN a Publish request names.
func publishTarget(in *PublishInput) (string, error) {
	switch {
	case in.PhoneNumber != nil:
		return "", invalid("PhoneNumber Reason: Tide does not send SMS messages")
	case in.TopicArn != nil && in.TargetArn != nil:
		return "", invalid("TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified")
	case in.TopicArn != nil:
		return *in.TopicArn, nil
	case in.TargetArn != nil:
		return *in.TargetArn, nil
	}
	return "", invalid("TopicArn or TargetArn Reason: no value for required parameter")
}

// checkFIFO applies the FIFO topics' rules on group and deduplication IDs.
func checkFIFO(t *topicRecord, in *PublishInput, out *PublishOutput, contentDedup bool) error {
	if !isFIFO(t.Name) {
		if in.MessageDeduplicationId != nil {
			return invalid("The request includes MessageDeduplicationId parameter that is not valid for this topic type")
		}
		return nil
	}
	if in.MessageGroupId == nil || *in.MessageGroupId == "" {
		return invalid("The MessageGroupId parameter is required for FIFO topics")
	}
	if in.MessageDeduplicationId == nil && !contentDedup {
		return invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	out.SequenceNumber = new(string)
	return nil
}

// checkMessage validates the message, subject, structure and attributes
// of a Publish request and returns them as a message record.
func checkMessage(in *PublishInput) (*messageRecord, error) {
	text := deref(in.Message)
	if text == "" {
		return nil, invalid("Empty message")
	}
	if !utf8.ValidString(text) {
		return nil, invalid("Message Reason: Message must be valid UTF-8")
	}
	msg := &messageRecord{Message: text}
	if in.Subject != nil {
		s := *in.Subject
		if s == "" || utf8.RuneCountInString(s) > maxSubject || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return nil, invalid("Subject")
		}
		msg.Subject = s
	}
	switch deref(in.MessageStructure) {
	case "":
	case "json":
		per, err := parseStructure(text)
		if err != nil {
			return nil, err
		}
		msg.Message, msg.PerProto = per["default"], per
	default:
		return nil, invalid("MessageStructure")
	}
	attrs, size, err := checkAttributes(in.MessageAttributes)
	if err != nil {
		return nil, err
	}
	msg.Attributes = attrs
	if len(text)+size > maxMessage {
		return nil, invalid("Message too long")
	}
	return msg, nil
}

// parseStructure reads a json MessageStructure: string members by
// protocol, "default" required; other members are ignored, as AWS does.
func parseStructure(text string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil || raw == nil {
		return nil, invalid("Message Structure - JSON message body failed to parse")
	}
	out := map[string]string{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	if _, ok := out["default"]; !ok {
		return nil, invalid("Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

var attrNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// checkAttributes validates message attributes and returns them as
// delivered, with the bytes they count towards the message size.
func checkAttributes(in map[string]MessageAttributeValue) (map[string]attributeValue, int, error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	if len(in) > maxMessageAttributes {
		return nil, 0, invalidValue("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in), maxMessageAttributes)
	}
	out := map[string]attributeValue{}
	size := 0
	for name, v := range in {
		lower := strings.ToLower(name)
		if !attrNameRE.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
			strings.Contains(name, "..") || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return nil, 0, invalidValue("The message attribute name '%s' is invalid.", name)
		}
		av, err := checkAttribute(name, v)
		if err != nil {
			return nil, 0, err
		}
		out[name] = av
		size += len(name) + len(av.Type) + len(deref(v.StringValue)) + len(v.BinaryValue)
	}
	return out, size, nil
}

func checkAttribute(name string, v MessageAttributeValue) (attributeValue, error) {
	typ := deref(v.DataType)
	base, _, _ := strings.Cut(typ, ".")
	if typ == "String.Array" {
		base = typ
	}
	nonEmpty := func() error {
		return invalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
	}
	switch base {
	case "String", "String.Array", "Number":
		s := deref(v.StringValue)
		if s == "" {
			return attributeValue{}, nonEmpty()
		}
		if base == "Number" && !validNumber(s) {
			return attributeValue{}, invalidValue("Could not cast message attribute '%s' value to number.", name)
		}
		if base == "String.Array" {
			var arr []any
			if json.Unmarshal([]byte(s), &arr) != nil {
				return attributeValue{}, invalidValue("The message attribute '%s' with type 'String.Array' has an invalid value: it must be a JSON array.", name)
			}
		}
		return attributeValue{Type: typ, Value: s}, nil
	case "Binary":
		if len(v.BinaryValue) == 0 {
			return attributeValue{}, nonEmpty()
		}
		return attributeValue{Type: typ, Value: base64.StdEncoding.EncodeToString(v.BinaryValue)}, nil
	}
	return attributeValue{}, invalidValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
}

// validNumber reports whether s is a Number attribute value: at most 38
// significant digits between -10^128 and +10^126.
func validNumber(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < -1e128 || f > 1e126 {
		return false
	}
	digits := 0
	for _, c := range s {
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits <= 38
}

// filterDoc is what a filter policy of the given scope is matched
// against: the message attributes (String as strings, Number as numbers,
// String.Array as arrays; Binary is not matched) or the JSON body.
func filterDoc(msg *messageRecord, scope string) map[string]any {
	doc := map[string]any{}
	if scope == "MessageBody" {
		json.Unmarshal([]byte(msg.Message), &doc)
		return doc
	}
	for name, v := range msg.Attributes {
		base, _, _ := strings.Cut(v.Type, ".")
		switch {
		case v.Type == "String.Array":
			var arr []any
			json.Unmarshal([]byte(v.Value), &arr)
			doc[name] = arr
		case base == "Number":
			f, _ := strconv.ParseFloat(v.Value, 64)
			doc[name] = f
		case base == "String":
			doc[name] = v.Value
		}
	}
	return doc
}

// wants reports whether subscription s takes msg under its filter policy.
func (s *subRecord) wants(msg *messageRecord) bool {
	fp := s.Attributes["FilterPolicy"]
	if fp == "" {
		return true
	}
	p, err := parseFilterPolicy(fp)
	if err != nil {
		return true
	}
	return p.matches(filterDoc(msg, s.Attributes["FilterPolicyScope"]))
}

// pendingMessages is how many published messages wait to be fanned out.
func (a *API) pendingMessages() int {
	n := 0
	a.store.Range(messagesPrefix, "", func(store.KV) bool { n++; return true })
	return n
}
