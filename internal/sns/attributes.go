package sns

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// feedbackEndpoints are the prefixes of the delivery-status attributes
// (HTTPSuccessFeedbackRoleArn and so on), which Tide stores and returns
// but does not act on.
var feedbackEndpoints = []string{"HTTP", "Firehose", "Lambda", "Application", "SQS"}

// checkTopicAttributes validates topic attributes for CreateTopic
// (creating) or SetTopicAttributes and returns what to store.
func (a *API) checkTopicAttributes(topic string, attrs map[string]string, creating bool) (map[string]string, error) {
	unknown := func(name string) error {
		if creating {
			return invalid("Attributes Reason: Unknown attribute %s", name)
		}
		return invalid("AttributeName")
	}
	fifo := isFIFO(topic)
	if creating && fifo && attrs["FifoTopic"] != "true" {
		return nil, invalid("Topic Name")
	}
	var out map[string]string
	for name, v := range attrs {
		if err := checkTopicAttribute(name, v, fifo); err != nil {
			if err == errUnknownAttribute {
				return nil, unknown(name)
			}
			return nil, err
		}
		if name == "FifoTopic" {
			continue // the name says it
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = v
	}
	return out, nil
}

// errUnknownAttribute is checkTopicAttribute's answer for a name that is
// not a topic attribute.
var errUnknownAttribute = invalid("AttributeName")

// checkTopicAttribute validates one topic attribute of a FIFO or standard
// topic.
func checkTopicAttribute(name, v string, fifo bool) error {
	switch name {
	case "DisplayName":
		if utf8.RuneCountInString(v) > 100 {
			return invalid("DisplayName")
		}
	case "Policy":
		if v != "" && !validJSONObject(v) {
			return invalid("Policy Error: the policy is not a JSON object")
		}
	case "DataProtectionPolicy", "ArchivePolicy":
		if v != "" && !validJSONObject(v) {
			return invalid("%s: not a JSON object", name)
		}
		if name == "ArchivePolicy" && !fifo {
			return invalid("Attributes Reason: ArchivePolicy is only valid for FIFO topics")
		}
	case "DeliveryPolicy":
		if v != "" {
			if _, err := parseTopicPolicy(v); err != nil {
				return err
			}
		}
	case "SignatureVersion":
		if v != "1" && v != "2" {
			return invalid("SignatureVersion")
		}
	case "TracingConfig":
		if v != "PassThrough" && (v != "Active" || fifo) {
			return invalid("TracingConfig")
		}
	case "KmsMasterKeyId":
	case "FifoTopic":
		if (v == "true") != fifo || (v != "true" && v != "false") {
			return invalid("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
		}
	case "ContentBasedDeduplication":
		if !fifo {
			return invalid("Attributes Reason: ContentBasedDeduplication is only valid for FIFO topics")
		}
		if v != "true" && v != "false" {
			return invalid("ContentBasedDeduplication")
		}
	case "FifoThroughputScope":
		if !fifo {
			return invalid("Attributes Reason: FifoThroughputScope is only valid for FIFO topics")
		}
		if v != "Topic" && v != "MessageGroup" {
			return invalid("FifoThroughputScope")
		}
	default:
		return checkFeedbackAttribute(name, v)
	}
	return nil
}

func checkFeedbackAttribute(name, v string) error {
	for _, e := range feedbackEndpoints {
		switch strings.TrimPrefix(name, e) {
		case name:
			continue
		case "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn":
			if v != "" && !strings.HasPrefix(v, "arn:") {
				return invalid("%s", name)
			}
			return nil
		case "SuccessFeedbackSampleRate":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return invalid("%s", name)
			}
			return nil
		}
	}
	return errUnknownAttribute
}

// subscription attributes a client may set.
var subSettable = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// checkSubAttribute validates one subscription attribute for a
// subscription of protocol.
func checkSubAttribute(name, v, protocol string) error {
	if !subSettable[name] {
		return invalid("AttributeName")
	}
	switch name {
	case "DeliveryPolicy":
		if v == "" {
			return nil
		}
		if protocol != "http" && protocol != "https" {
			return invalid("DeliveryPolicy: only HTTP/S subscriptions take a delivery policy")
		}
		_, err := parseSubPolicy(v)
		return err
	case "RawMessageDelivery":
		if v != "true" && v != "false" {
			return invalid("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
		}
		if v == "true" && protocol != "http" && protocol != "https" {
			return invalid("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", protocol)
		}
	case "FilterPolicy":
		if v == "" {
			return nil
		}
		_, err := parseFilterPolicy(v)
		return err
	case "FilterPolicyScope":
		if v != "MessageAttributes" && v != "MessageBody" {
			return invalid("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", v)
		}
	case "RedrivePolicy", "ReplayPolicy":
		if v != "" && !validJSONObject(v) {
			return invalid("%s: Invalid value: not a JSON object", name)
		}
	}
	return nil
}
