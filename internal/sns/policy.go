package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// retryPolicy is AWS's healthyRetryPolicy: after a failed attempt, the
// delivery is retried numRetries times, first numNoDelayRetries times at
// once, then numMinDelayRetries times minDelayTarget seconds apart, then
// in a backoff phase from minDelayTarget to maxDelayTarget seconds shaped
// by backoffFunction, then numMaxDelayRetries times maxDelayTarget apart.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultHTTPRetry is AWS's default HTTP/S policy: three retries twenty
// seconds apart.
var defaultHTTPRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

// emailRetry is AWS's fixed policy for SMTP endpoints: 2 retries 10 s
// apart, 10 with exponential backoff from 10 s to 600 s, then 38 600 s
// apart (about six hours in all).
var emailRetry = retryPolicy{MinDelayTarget: 10, MaxDelayTarget: 600, NumRetries: 50, NumMinDelayRetries: 2, NumMaxDelayRetries: 38, BackoffFunction: "exponential"}

// defaultContentType is the Content-Type of HTTP/S deliveries unless a
// request policy says otherwise.
const defaultContentType = "text/plain; charset=UTF-8"

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

// topicDeliveryPolicy is a topic's DeliveryPolicy attribute.
type topicDeliveryPolicy struct {
	HTTP *topicHTTPPolicy `json:"http,omitempty"`
}

type topicHTTPPolicy struct {
	DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
	DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
	DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy attribute.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
}

// strictJSON decodes s into v, refusing unknown members and trailing data.
func strictJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON object")
	}
	return nil
}

// parseTopicPolicy validates a topic's DeliveryPolicy.
func parseTopicPolicy(s string) (*topicDeliveryPolicy, error) {
	p := &topicDeliveryPolicy{}
	if err := strictJSON(s, p); err != nil {
		return nil, invalid("DeliveryPolicy: %v", err)
	}
	if p.HTTP != nil {
		if err := checkRetry(p.HTTP.DefaultHealthyRetryPolicy); err != nil {
			return nil, err
		}
		if err := checkRequest(p.HTTP.DefaultRequestPolicy); err != nil {
			return nil, err
		}
		if err := checkThrottle(p.HTTP.DefaultThrottlePolicy); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseSubPolicy validates a subscription's DeliveryPolicy.
func parseSubPolicy(s string) (*subDeliveryPolicy, error) {
	p := &subDeliveryPolicy{}
	if err := strictJSON(s, p); err != nil {
		return nil, invalid("DeliveryPolicy: %v", err)
	}
	if err := checkRetry(p.HealthyRetryPolicy); err != nil {
		return nil, err
	}
	if err := checkRequest(p.RequestPolicy); err != nil {
		return nil, err
	}
	return p, checkThrottle(p.ThrottlePolicy)
}

// checkRetry applies AWS's documented limits to a retry policy.
func checkRetry(r *retryPolicy) error {
	if r == nil {
		return nil
	}
	bad := func(format string, args ...any) error {
		return invalid("DeliveryPolicy: "+format, args...)
	}
	switch {
	case r.NumRetries < 0 || r.NumRetries > 100:
		return bad("numRetries must be between 0 and 100")
	case r.MaxDelayTarget < 1 || r.MaxDelayTarget > 3600:
		return bad("maxDelayTarget must be between 1 and 3600")
	case r.MinDelayTarget < 1 || r.MinDelayTarget > r.MaxDelayTarget:
		return bad("minDelayTarget must be between 1 and maxDelayTarget")
	case r.NumNoDelayRetries < 0 || r.NumMinDelayRetries < 0 || r.NumMaxDelayRetries < 0:
		return bad("retry counts must not be negative")
	case r.NumNoDelayRetries+r.NumMinDelayRetries+r.NumMaxDelayRetries > r.NumRetries:
		return bad("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
	}
	switch r.BackoffFunction {
	case "":
		r.BackoffFunction = "linear"
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return bad("backoffFunction must be one of arithmetic, exponential, geometric, linear")
	}
	var total time.Duration
	for i := 1; i <= r.NumRetries; i++ {
		d, _ := r.delay(i)
		total += d
	}
	if total > time.Hour {
		return bad("the total retry time of a policy must not exceed 3600 seconds")
	}
	return nil
}

var contentTypes = []string{"application/json", "application/xml", "text/css", "text/csv", "text/html", "text/plain", "text/xml"}

func checkRequest(r *requestPolicy) error {
	if r == nil || r.HeaderContentType == "" {
		return nil
	}
	mt, params, _ := strings.Cut(r.HeaderContentType, ";")
	for _, ct := range contentTypes {
		if strings.EqualFold(strings.TrimSpace(mt), ct) && (params == "" || strings.EqualFold(strings.ReplaceAll(params, " ", ""), "charset=utf-8")) {
			return nil
		}
	}
	return invalid("DeliveryPolicy: headerContentType %q is not supported", r.HeaderContentType)
}

func checkThrottle(t *throttlePolicy) error {
	if t != nil && t.MaxReceivesPerSecond < 1 {
		return invalid("DeliveryPolicy: maxReceivesPerSecond must be at least 1")
	}
	return nil
}

// delay is how long to wait before retry n (1-based), and whether the
// policy allows it. The backoff phase runs from minDelayTarget at its
// first retry to maxDelayTarget at its last: linear in equal steps,
// arithmetic along a parabola, geometric by a constant ratio, exponential
// doubling from minDelayTarget until it reaches maxDelayTarget. Tide adds
// no jitter.
func (r retryPolicy) delay(n int) (time.Duration, bool) {
	if n < 1 || n > r.NumRetries {
		return 0, false
	}
	lo, hi := float64(r.MinDelayTarget), float64(r.MaxDelayTarget)
	backoff := r.NumRetries - r.NumNoDelayRetries - r.NumMinDelayRetries - r.NumMaxDelayRetries
	var secs float64
	switch i := n - r.NumNoDelayRetries - r.NumMinDelayRetries; {
	case n <= r.NumNoDelayRetries:
		secs = 0
	case i <= 0:
		secs = lo
	case i > backoff:
		secs = hi
	default:
		f := 0.0
		if backoff > 1 {
			f = float64(i-1) / float64(backoff-1)
		}
		switch r.BackoffFunction {
		case "arithmetic":
			secs = lo + (hi-lo)*f*f
		case "geometric":
			secs = lo * math.Pow(hi/lo, f)
		case "exponential":
			secs = math.Min(hi, lo*math.Pow(2, float64(i-1)))
		default:
			secs = lo + (hi-lo)*f
		}
	}
	return time.Duration(secs * float64(time.Second)).Round(time.Millisecond), true
}

// effective is the policy that deliveries to a subscription follow, and
// its Content-Type: the subscription's own policy unless the topic
// disables overrides, then the topic's default, then AWS's.
func effective(topicPolicy, subPolicy string) (retryPolicy, string) {
	retry, ct := defaultHTTPRetry, defaultContentType
	overrides := true
	if tp, err := parseTopicPolicy(topicPolicy); topicPolicy != "" && err == nil && tp.HTTP != nil {
		if tp.HTTP.DefaultHealthyRetryPolicy != nil {
			retry = *tp.HTTP.DefaultHealthyRetryPolicy
		}
		if tp.HTTP.DefaultRequestPolicy != nil && tp.HTTP.DefaultRequestPolicy.HeaderContentType != "" {
			ct = tp.HTTP.DefaultRequestPolicy.HeaderContentType
		}
		overrides = !tp.HTTP.DisableSubscriptionOverrides
	}
	if sp, err := parseSubPolicy(subPolicy); overrides && subPolicy != "" && err == nil {
		if sp.HealthyRetryPolicy != nil {
			retry = *sp.HealthyRetryPolicy
		}
		if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
			ct = sp.RequestPolicy.HeaderContentType
		}
	}
	return retry, ct
}

// effectiveTopicPolicy is a topic's EffectiveDeliveryPolicy attribute.
func effectiveTopicPolicy(topicPolicy string) string {
	p := topicHTTPPolicy{DefaultHealthyRetryPolicy: &defaultHTTPRetry, DefaultRequestPolicy: &requestPolicy{HeaderContentType: defaultContentType}}
	if tp, err := parseTopicPolicy(topicPolicy); topicPolicy != "" && err == nil && tp.HTTP != nil {
		if tp.HTTP.DefaultHealthyRetryPolicy != nil {
			p.DefaultHealthyRetryPolicy = tp.HTTP.DefaultHealthyRetryPolicy
		}
		if tp.HTTP.DefaultRequestPolicy != nil {
			p.DefaultRequestPolicy = tp.HTTP.DefaultRequestPolicy
		}
		p.DefaultThrottlePolicy = tp.HTTP.DefaultThrottlePolicy
		p.DisableSubscriptionOverrides = tp.HTTP.DisableSubscriptionOverrides
	}
	return compactJSON(topicDeliveryPolicy{HTTP: &p})
}

// effectiveSubPolicy is a subscription's EffectiveDeliveryPolicy attribute.
func effectiveSubPolicy(topicPolicy, subPolicy string) string {
	retry, ct := effective(topicPolicy, subPolicy)
	return compactJSON(struct {
		HealthyRetryPolicy retryPolicy     `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  *retryPolicy    `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
		RequestPolicy      requestPolicy   `json:"requestPolicy"`
		Guaranteed         bool            `json:"guaranteed"`
	}{HealthyRetryPolicy: retry, RequestPolicy: requestPolicy{HeaderContentType: ct}})
}

func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}
