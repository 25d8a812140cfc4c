package sns

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/google/go-cmp/cmp"
)

func TestPublishBatch(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "batch")
	sub := newSubscriber(t)
	h.subscribeHTTP(t, topic, sub, nil)
	out, err := h.sdk.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("first")},
		{Id: aws.String("b"), Message: aws.String("")},
		{Id: aws.String("c"), Message: aws.String("third"), Subject: aws.String("s")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ok []string
	for _, s := range out.Successful {
		ok = append(ok, *s.Id)
	}
	if diff := cmp.Diff([]string{"a", "c"}, ok); diff != "" {
		t.Errorf("successful (-want +got):\n%s", diff)
	}
	if len(out.Failed) != 1 || *out.Failed[0].Id != "b" || *out.Failed[0].Code != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Errorf("failed: %+v", out.Failed)
	}
	eventually(t, "two notifications", func() bool { return len(sub.ofType("Notification")) == 2 })
	var got []string
	for _, n := range sub.ofType("Notification") {
		got = append(got, n.Msg["Message"].(string))
	}
	slices.Sort(got) // a standard topic does not order deliveries
	if diff := cmp.Diff([]string{"first", "third"}, got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}

	var eleven []types.PublishBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("m")})
	}
	for _, tt := range []struct {
		entries []types.PublishBatchRequestEntry
		code    string
	}{
		{[]types.PublishBatchRequestEntry{}, "EmptyBatchRequest"},
		{eleven, "TooManyEntriesInBatchRequest"},
		{[]types.PublishBatchRequestEntry{{Id: aws.String("x"), Message: aws.String("m")}, {Id: aws.String("x"), Message: aws.String("m")}}, "BatchEntryIdsNotDistinct"},
		{[]types.PublishBatchRequestEntry{{Id: aws.String("bad id"), Message: aws.String("m")}}, "InvalidBatchEntryId"},
		{[]types.PublishBatchRequestEntry{{Id: aws.String("x"), Message: aws.String(strings.Repeat("m", 200000))}, {Id: aws.String("y"), Message: aws.String(strings.Repeat("m", 200000))}}, "BatchRequestTooLong"},
	} {
		_, err := h.sdk.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: tt.entries})
		if errCode(err) != tt.code {
			t.Errorf("PublishBatch: %v, want %s", err, tt.code)
		}
	}
}

// TestSubscriptionLinks covers the unsigned confirm and unsubscribe URLs'
// refusals and AuthenticateOnUnsubscribe.
func TestSubscriptionLinks(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "links")
	sub := newSubscriber(t)
	sub.manual = true
	out, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.url()), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	subARN := *out.SubscriptionArn
	// Subscribing again gives the same subscription and a new confirmation.
	again, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.url()), ReturnSubscriptionArn: true})
	if err != nil || *again.SubscriptionArn != subARN {
		t.Fatalf("second Subscribe = %v, %v; want %s", again, err, subARN)
	}
	eventually(t, "two confirmations", func() bool { return len(sub.ofType("SubscriptionConfirmation")) == 2 })
	confs := sub.ofType("SubscriptionConfirmation")

	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The first token was replaced by the second.
	if status, body := get(confs[0].Msg["SubscribeURL"].(string)); status != 400 || !strings.Contains(body, "<Code>InvalidParameter</Code>") {
		t.Errorf("stale SubscribeURL: %d %s", status, body)
	}
	if _, err := h.sdk.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: &topic,
		Token: aws.String(confs[1].Msg["Token"].(string)), AuthenticateOnUnsubscribe: aws.String("true")}); err != nil {
		t.Fatal(err)
	}
	// The SubscribeURL still answers with the ARN once confirmed.
	if status, body := get(confs[1].Msg["SubscribeURL"].(string)); status != 200 || !strings.Contains(body, "<SubscriptionArn>"+subARN+"</SubscriptionArn>") {
		t.Errorf("SubscribeURL after confirming: %d %s", status, body)
	}
	if _, err := h.api.Publish(ctx, topic, "", "m"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a notification", func() bool { return len(sub.ofType("Notification")) == 1 })
	unsub := sub.ofType("Notification")[0].Msg["UnsubscribeURL"].(string)
	if status, body := get(unsub); status != 403 || !strings.Contains(body, "<Code>AuthorizationError</Code>") {
		t.Errorf("UnsubscribeURL of an AuthenticateOnUnsubscribe subscription: %d %s", status, body)
	}
	u, _ := url.Parse(unsub)
	q := u.Query()
	q.Set("Token", "forged")
	u.RawQuery = q.Encode()
	h.sdk.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: &subARN, AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")})
	if _, err := h.sdk.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: &subARN}); err != nil {
		t.Errorf("signed Unsubscribe: %v", err)
	}
	if status, _ := get(u.String()); status != 404 {
		t.Errorf("UnsubscribeURL after unsubscribing: %d, want 404", status)
	}
}

// TestPendingExpire: a subscription left unconfirmed is gone after three
// days, and its token stops working after two.
func TestPendingExpire(t *testing.T) {
	h := newHarness(t, harnessOpts{fakeClock: true})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "expiring")
	sub := newSubscriber(t)
	sub.manual = true
	out, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("http"), Endpoint: aws.String(sub.url()), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the confirmation", func() bool { return len(sub.ofType("SubscriptionConfirmation")) == 1 })
	token := sub.ofType("SubscriptionConfirmation")[0].Msg["Token"].(string)
	h.clock.Advance(48 * time.Hour)
	_, err = h.sdk.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: &token})
	if errCode(err) != "InvalidParameter" {
		t.Errorf("ConfirmSubscription with an expired token: %v", err)
	}
	if _, err := h.sdk.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn}); err != nil {
		t.Errorf("the pending subscription is gone after two days: %v", err)
	}
	h.clock.Advance(24 * time.Hour)
	eventually(t, "the pending subscription to be deleted", func() bool {
		_, err := h.sdk.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
		return errCode(err) == "NotFound"
	})
}
