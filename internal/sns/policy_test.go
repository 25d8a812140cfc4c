package sns

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func schedule(p retryPolicy) []time.Duration {
	var out []time.Duration
	for n := 1; ; n++ {
		d, ok := p.delay(n)
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

func secs(v ...float64) []time.Duration {
	var out []time.Duration
	for _, s := range v {
		out = append(out, time.Duration(s*float64(time.Second)))
	}
	return out
}

func TestRetrySchedule(t *testing.T) {
	tests := []struct {
		name   string
		policy retryPolicy
		want   []time.Duration
	}{
		{"AWS default", defaultHTTPRetry, secs(20, 20, 20)},
		{"no retries", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 1}, nil},
		{"phases", retryPolicy{MinDelayTarget: 2, MaxDelayTarget: 10, NumRetries: 8, NumNoDelayRetries: 2, NumMinDelayRetries: 1, NumMaxDelayRetries: 2, BackoffFunction: "linear"},
			secs(0, 0, 2, 2, 6, 10, 10, 10)},
		{"arithmetic", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 9, NumRetries: 3, BackoffFunction: "arithmetic"}, secs(1, 3, 9)},
		{"geometric", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 5, BackoffFunction: "geometric"}, secs(1, 2, 4, 8, 16)},
		{"exponential capped", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 5, NumRetries: 5, BackoffFunction: "exponential"}, secs(1, 2, 4, 5, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, schedule(tt.policy)); diff != "" {
				t.Errorf("schedule (-want +got):\n%s", diff)
			}
		})
	}
	email := schedule(emailRetry)
	var total time.Duration
	for _, d := range email {
		total += d
	}
	if len(email) != 50 || email[0] != 10*time.Second || email[49] != 600*time.Second || total < 6*time.Hour || total > 7*time.Hour+30*time.Minute {
		t.Errorf("email schedule: %d retries over %v: %v", len(email), total, email)
	}
}

func TestEffectivePolicy(t *testing.T) {
	topic := `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":5,"numRetries":2},"defaultRequestPolicy":{"headerContentType":"application/json"}}}`
	sub := `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1}}`
	locked := `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":5,"numRetries":2},"disableSubscriptionOverrides":true}}`
	tests := []struct {
		name, topic, sub string
		retries          int
		delay            int
		ct               string
	}{
		{"defaults", "", "", 3, 20, defaultContentType},
		{"topic", topic, "", 2, 5, "application/json"},
		{"subscription overrides", topic, sub, 1, 1, "application/json"},
		{"overrides disabled", locked, sub, 2, 5, defaultContentType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ct := effective(tt.topic, tt.sub)
			if r.NumRetries != tt.retries || r.MinDelayTarget != tt.delay || ct != tt.ct {
				t.Errorf("effective = %+v %q, want %d retries at %d s, %q", r, ct, tt.retries, tt.delay, tt.ct)
			}
		})
	}
}

func TestCheckRetry(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		ok     bool
	}{
		{"valid", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":10,"backoffFunction":"exponential"}}`, true},
		{"min above max", `{"healthyRetryPolicy":{"minDelayTarget":61,"maxDelayTarget":60,"numRetries":1}}`, false},
		{"phases exceed retries", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"numNoDelayRetries":2}}`, false},
		{"too long in all", `{"healthyRetryPolicy":{"minDelayTarget":3600,"maxDelayTarget":3600,"numRetries":2}}`, false},
		{"bad function", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"backoffFunction":"cubic"}}`, false},
		{"unknown member", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"x":1}}`, false},
		{"bad content type", `{"requestPolicy":{"headerContentType":"image/png"}}`, false},
		{"content type with charset", `{"requestPolicy":{"headerContentType":"application/json; charset=UTF-8"}}`, true},
		{"throttle", `{"throttlePolicy":{"maxReceivesPerSecond":0}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSubPolicy(tt.policy)
			if (err == nil) != tt.ok {
				t.Errorf("parseSubPolicy(%s) = %v, want ok=%v", tt.policy, err, tt.ok)
			}
		})
	}
}
