package sns

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/google/go-cmp/cmp"
)

// subscribe subscribes sub to topic and waits until it has confirmed.
func (h *harness) subscribeHTTP(t *testing.T, topic string, sub *subscriber, attrs map[string]string) string {
	t.Helper()
	ctx := context.Background()
	out, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"),
		Endpoint: aws.String(sub.url()), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the subscription to be confirmed", func() bool {
		a, err := h.sdk.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
		return err == nil && a.Attributes["PendingConfirmation"] == "false"
	})
	return *out.SubscriptionArn
}

func TestHTTPDelivery(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "orders")
	sub := newSubscriber(t)

	out, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.url())})
	if err != nil {
		t.Fatal(err)
	}
	if *out.SubscriptionArn != "pending confirmation" {
		t.Errorf("SubscriptionArn = %q, want pending confirmation", *out.SubscriptionArn)
	}
	var subARN string
	eventually(t, "confirmation", func() bool {
		l, err := h.sdk.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
		if err != nil || len(l.Subscriptions) != 1 {
			return false
		}
		subARN = *l.Subscriptions[0].SubscriptionArn
		return subARN != "PendingConfirmation"
	})
	conf := sub.ofType("SubscriptionConfirmation")
	if len(conf) != 1 {
		t.Fatalf("got %d confirmations, want 1", len(conf))
	}
	c := conf[0]
	if c.Msg["TopicArn"] != topic || c.Msg["Token"] == "" || !strings.Contains(c.Msg["SubscribeURL"].(string), ConfirmPath+"?") ||
		c.Msg["SignatureVersion"] != "1" || c.Header.Get("x-amz-sns-subscription-arn") != "" {
		t.Errorf("confirmation message: %v, headers %v", c.Msg, c.Header)
	}

	pub, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Subject: aws.String("New order"), Message: aws.String("order 42 <&>"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind":  {DataType: aws.String("String"), StringValue: aws.String("retail")},
			"count": {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":  {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the notification", func() bool { return len(sub.ofType("Notification")) == 1 })
	n := sub.ofType("Notification")[0]
	wantHeaders := map[string]string{
		"X-Amz-Sns-Message-Type":     "Notification",
		"X-Amz-Sns-Message-Id":       *pub.MessageId,
		"X-Amz-Sns-Topic-Arn":        topic,
		"X-Amz-Sns-Subscription-Arn": subARN,
		"Content-Type":               "text/plain; charset=UTF-8",
		"User-Agent":                 "Amazon Simple Notification Service Agent",
	}
	for k, want := range wantHeaders {
		if got := n.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]any{"Type": "Notification", "MessageId": *pub.MessageId, "TopicArn": topic,
		"Subject": "New order", "Message": "order 42 <&>", "SignatureVersion": "1"} {
		if n.Msg[k] != want {
			t.Errorf("message %s = %v, want %v", k, n.Msg[k], want)
		}
	}
	if !strings.Contains(n.Body, `"order 42 <&>"`) {
		t.Errorf("body escapes HTML characters as AWS does not: %s", n.Body)
	}
	wantAttrs := map[string]any{
		"kind":  map[string]any{"Type": "String", "Value": "retail"},
		"count": map[string]any{"Type": "Number", "Value": "3"},
		"blob":  map[string]any{"Type": "Binary", "Value": "AQID"},
	}
	if diff := cmp.Diff(wantAttrs, n.Msg["MessageAttributes"]); diff != "" {
		t.Errorf("MessageAttributes (-want +got):\n%s", diff)
	}
	if _, err := time.Parse(timestampFormat, n.Msg["Timestamp"].(string)); err != nil {
		t.Errorf("Timestamp: %v", err)
	}

	// SignatureVersion 2 signs with SHA256; the subscriber verifies both.
	h.sdk.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")})
	if _, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second notification", func() bool { return len(sub.ofType("Notification")) == 2 })
	n2 := sub.ofType("Notification")[1]
	if n2.Msg["SignatureVersion"] != "2" {
		t.Errorf("SignatureVersion = %v, want 2", n2.Msg["SignatureVersion"])
	}
	if _, has := n2.Msg["Subject"]; has {
		t.Errorf("a message without a subject has Subject %v", n2.Msg["Subject"])
	}

	// The UnsubscribeURL unsubscribes without a signature.
	resp, err := http.Get(n2.Msg["UnsubscribeURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("UnsubscribeURL answered %s", resp.Status)
	}
	_, err = h.sdk.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
	if errCode(err) != "NotFound" {
		t.Errorf("GetSubscriptionAttributes after unsubscribing: %v, want NotFound", err)
	}
	attrs, _ := h.sdk.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &topic})
	if attrs.Attributes["SubscriptionsDeleted"] != "1" || attrs.Attributes["SubscriptionsConfirmed"] != "0" {
		t.Errorf("counts after unsubscribing: %v", attrs.Attributes)
	}
}

func TestRawDeliveryAndStructure(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "raw")
	raw, plain := newSubscriber(t), newSubscriber(t)
	h.subscribeHTTP(t, topic, raw, map[string]string{"RawMessageDelivery": "true"})
	h.subscribeHTTP(t, topic, plain, nil)
	_, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","http":"for http","email":"for email"}`)})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "both notifications", func() bool {
		return len(raw.ofType("Notification")) == 1 && len(plain.ofType("Notification")) == 1
	})
	r := raw.ofType("Notification")[0]
	if r.Body != "for http" || r.Header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Errorf("raw delivery: body %q headers %v", r.Body, r.Header)
	}
	if got := plain.ofType("Notification")[0].Msg["Message"]; got != "for http" {
		t.Errorf("Message = %v, want the http member", got)
	}
}

func TestFilterPolicy(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "filtered")
	big, all := newSubscriber(t), newSubscriber(t)
	h.subscribeHTTP(t, topic, big, map[string]string{"FilterPolicy": `{"size":[{"numeric":[">=",10]}]}`})
	h.subscribeHTTP(t, topic, all, nil)
	for _, size := range []string{"5", "50"} {
		_, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("size " + size),
			MessageAttributes: map[string]types.MessageAttributeValue{"size": {DataType: aws.String("Number"), StringValue: aws.String(size)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "deliveries", func() bool { return len(all.ofType("Notification")) == 2 })
	eventually(t, "no deliveries left", func() bool { return len(h.st.List(deliveriesPrefix)) == 0 })
	var got []any
	for _, m := range big.ofType("Notification") {
		got = append(got, m.Msg["Message"])
	}
	if diff := cmp.Diff([]any{"size 50"}, got); diff != "" {
		t.Errorf("filtered subscriber got (-want +got):\n%s", diff)
	}
}

// waitRecorded waits until the one delivery record shows n failed attempts.
func (h *harness) waitRecorded(t *testing.T, n int) {
	t.Helper()
	eventually(t, "the failed attempt to be recorded", func() bool {
		kvs := h.st.List(deliveriesPrefix)
		return len(kvs) == 1 && strings.Contains(string(kvs[0].Value), fmt.Sprintf(`"attempts":%d,`, n))
	})
}

// TestRetries follows AWS's default policy on a fake clock: the first
// attempt and three retries 20 seconds apart, then the delivery is gone.
func TestRetries(t *testing.T) {
	h := newHarness(t, harnessOpts{fakeClock: true})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "retried")
	sub := newSubscriber(t)
	h.subscribeHTTP(t, topic, sub, nil)
	sub.setStatus(http.StatusInternalServerError)
	if _, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	attempts := func() int { return len(sub.ofType("Notification")) }
	eventually(t, "the first attempt", func() bool { return attempts() == 1 })
	for retry := 1; retry <= 3; retry++ {
		h.waitRecorded(t, retry)
		h.clock.Advance(19 * time.Second)
		time.Sleep(50 * time.Millisecond)
		if n := attempts(); n != retry {
			t.Fatalf("after 19 s, %d attempts, want %d", n, retry)
		}
		h.clock.Advance(time.Second)
		eventually(t, "a retry", func() bool { return attempts() == retry+1 })
	}
	eventually(t, "the delivery to be given up", func() bool { return len(h.st.List(deliveriesPrefix)) == 0 })
	h.clock.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	if n := attempts(); n != 4 {
		t.Errorf("%d attempts in all, want 4", n)
	}
}

// TestClientErrorNotRetried: a 4xx other than 429 ends the delivery.
func TestClientErrorNotRetried(t *testing.T) {
	h := newHarness(t, harnessOpts{fakeClock: true})
	h.run(t)
	topic := h.createTopic(t, "gone")
	sub := newSubscriber(t)
	h.subscribeHTTP(t, topic, sub, nil)
	sub.setStatus(http.StatusNotFound)
	if _, err := h.api.Publish(context.Background(), topic, "", "m"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the delivery to be dropped", func() bool {
		return len(sub.ofType("Notification")) == 1 && len(h.st.List(deliveriesPrefix)) == 0
	})
}

// TestRestart publishes while the subscriber is down, stops the API and
// its store, and a new API over the same etcd data delivers once the
// subscriber is back.
func TestRestart(t *testing.T) {
	h := newHarness(t, harnessOpts{fakeClock: true})
	stop := h.run(t)
	topic := h.createTopic(t, "durable")
	sub := newSubscriber(t)
	h.subscribeHTTP(t, topic, sub, nil)
	sub.setStatus(http.StatusServiceUnavailable)
	if err := h.api.Notify(context.Background(), topic, "ALARM", "cpu high"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a failed attempt", func() bool { return len(sub.ofType("Notification")) == 1 })
	h.waitRecorded(t, 1)
	stop()
	now := h.clock.Now()
	dir, addr := h.dir, h.addr
	h.closeAll(t)

	sub.setStatus(0)
	h2 := newHarness(t, harnessOpts{fakeClock: true, dir: dir, addr: addr})
	h2.clock.Set(now.Add(20 * time.Second))
	h2.run(t)
	eventually(t, "the delivery after the restart", func() bool { return len(sub.ofType("Notification")) == 2 })
	n := sub.ofType("Notification")[1]
	if n.Msg["Subject"] != "ALARM" || n.Msg["Message"] != "cpu high" {
		t.Errorf("redelivered message: %v", n.Msg)
	}
	eventually(t, "the delivery record to go", func() bool { return len(h2.st.List(deliveriesPrefix)) == 0 })
}

func TestHTTPSDelivery(t *testing.T) {
	sub := newTLSSubscriber(t)
	h := newHarness(t, harnessOpts{client: sub.srv.Client()})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "secure")
	out, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("https"), Endpoint: aws.String(sub.url()), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "confirmation", func() bool {
		a, err := h.sdk.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
		return err == nil && a.Attributes["PendingConfirmation"] == "false"
	})
	if _, err := h.sdk.Publish(ctx, &sns.PublishInput{TargetArn: &topic, Message: aws.String("over TLS")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the notification", func() bool { return len(sub.ofType("Notification")) == 1 })
	if got := sub.ofType("Notification")[0].Msg["Message"]; got != "over TLS" {
		t.Errorf("Message = %v", got)
	}
}
