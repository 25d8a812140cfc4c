package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

func (s *tideServer) awsConfig() aws.Config {
	return aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKeyID, testSecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  ownBodyClient{&http.Client{}},
	}
}

func (s *tideServer) scalingClient() *aas.Client {
	return aas.NewFromConfig(s.awsConfig(), func(o *aas.Options) { o.BaseEndpoint = aws.String(s.url) })
}

func (s *tideServer) cloudwatchClient() *cloudwatch.Client {
	return cloudwatch.NewFromConfig(s.awsConfig(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(s.url) })
}

func (s *tideServer) snsClient() *sns.Client {
	return sns.NewFromConfig(s.awsConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(s.url) })
}

// webhook is an SNS HTTP subscriber: it confirms its subscription by
// visiting SubscribeURL and keeps the notifications it receives.
type webhook struct {
	srv   *httptest.Server
	mu    sync.Mutex
	notes []map[string]string
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		switch r.Header.Get("x-amz-sns-message-type") {
		case "SubscriptionConfirmation":
			resp, err := http.Get(m["SubscribeURL"])
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		case "Notification":
			w.mu.Lock()
			w.notes = append(w.notes, m)
			w.mu.Unlock()
		}
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) subjects() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, n := range w.notes {
		out = append(out, n["Subject"])
	}
	return out
}

// TestAlarmNotifiesSNSWebhook: an alarm whose action is an SNS topic
// notifies an HTTP subscriber that confirmed its subscription through
// SubscribeURL, with CloudWatch's subject and message.
func TestAlarmNotifiesSNSWebhook(t *testing.T) {
	s := startServer(t, t.TempDir())
	ctx := t.Context()
	sn := s.snsClient()
	topic := must[*sns.CreateTopicOutput](t)(sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ops")})).TopicArn
	hook := newWebhook(t)
	must[*sns.SubscribeOutput](t)(sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String("http"), Endpoint: aws.String(hook.srv.URL)}))
	poll(t, 10*time.Second, 100*time.Millisecond, "the subscription confirmed", func() (bool, string) {
		out := must[*sns.ListSubscriptionsByTopicOutput](t)(sn.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic}))
		return len(out.Subscriptions) == 1 && !strings.Contains(aws.ToString(out.Subscriptions[0].SubscriptionArn), "pending"), fmt.Sprint(out.Subscriptions)
	})
	cw := s.cloudwatchClient()
	must[*cloudwatch.PutMetricAlarmOutput](t)(cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("pager"), Namespace: aws.String("App"), MetricName: aws.String("Errors"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, AlarmActions: []string{aws.ToString(topic)},
	}))
	must[*cloudwatch.SetAlarmStateOutput](t)(cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("pager"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("testing the pager"),
	}))
	poll(t, 15*time.Second, 100*time.Millisecond, "the ALARM notification", func() (bool, string) {
		return slices.ContainsFunc(hook.subjects(), func(s string) bool { return strings.HasPrefix(s, `ALARM: "pager" in `) }), fmt.Sprint(hook.subjects())
	})
	hook.mu.Lock()
	defer hook.mu.Unlock()
	var msg map[string]any
	if err := json.Unmarshal([]byte(hook.notes[0]["Message"]), &msg); err != nil {
		t.Fatalf("notification message is not CloudWatch's JSON: %v", err)
	}
	if msg["AlarmName"] != "pager" || msg["NewStateValue"] != "ALARM" || msg["NewStateReason"] != "testing the pager" {
		t.Errorf("notification message %v", msg)
	}
}
