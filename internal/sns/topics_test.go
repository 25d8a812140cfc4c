package sns

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/google/go-cmp/cmp"
)

func TestTopicLifecycle(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	arn := h.createTopic(t, "alerts")
	if want := "arn:aws:sns:us-east-1:000000000000:alerts"; arn != want {
		t.Fatalf("TopicArn = %s, want %s", arn, want)
	}
	// Idempotent: the same name and nothing new gives the same ARN.
	if again := h.createTopic(t, "alerts"); again != arn {
		t.Fatalf("second CreateTopic = %s, want %s", again, arn)
	}
	attrs, err := h.sdk.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"TopicArn": arn, "Owner": testAcct, "DisplayName": "", "SubscriptionsPending": "0",
		"SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
	} {
		if got := attrs.Attributes[k]; got != want {
			t.Errorf("attribute %s = %q, want %q", k, got, want)
		}
	}
	if attrs.Attributes["Policy"] == "" {
		t.Error("no default Policy")
	}
	_, err = h.sdk.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Alerts")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, _ = h.sdk.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	if got := attrs.Attributes["DisplayName"]; got != "Alerts" {
		t.Errorf("DisplayName = %q after SetTopicAttributes", got)
	}
	// CreateTopic with attributes that differ from the topic's fails.
	_, err = h.sdk.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts"), Attributes: map[string]string{"DisplayName": "Other"}})
	if errCode(err) != "InvalidParameter" {
		t.Errorf("CreateTopic with different attributes: %v, want InvalidParameter", err)
	}
	if _, err := h.sdk.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Fatal(err)
	}
	_, err = h.sdk.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &arn})
	if errCode(err) != "NotFound" {
		t.Errorf("GetTopicAttributes after delete: %v, want NotFound", err)
	}
	// Deleting again is not an error.
	if _, err := h.sdk.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: &arn}); err != nil {
		t.Errorf("second DeleteTopic: %v", err)
	}
}

func TestListTopicsPages(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	want := map[string]bool{}
	for i := range 205 {
		want[h.createTopic(t, fmt.Sprintf("t%03d", i))] = true
	}
	p := sns.NewListTopicsPaginator(h.sdk, &sns.ListTopicsInput{})
	var sizes []int
	got := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(out.Topics))
		for _, tp := range out.Topics {
			got[*tp.TopicArn] = true
		}
	}
	if diff := cmp.Diff([]int{100, 100, 5}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	out, err := h.sdk.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.TopicArn
	if _, err := h.sdk.TagResource(ctx, &sns.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sdk.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team", "absent"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := h.sdk.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}, tags.Tags, cmp.AllowUnexported(types.Tag{})); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	_, err = h.sdk.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope")})
	if errCode(err) != "ResourceNotFound" {
		t.Errorf("ListTagsForResource of a missing topic: %v, want ResourceNotFound", err)
	}
	var many []types.Tag
	for i := range 51 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
	}
	_, err = h.sdk.TagResource(ctx, &sns.TagResourceInput{ResourceArn: arn, Tags: many})
	if errCode(err) != "TagLimitExceeded" {
		t.Errorf("51 tags: %v, want TagLimitExceeded", err)
	}
}

// TestBadInput checks AWS's codes, statuses and messages for bad requests.
func TestBadInput(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	arn := h.createTopic(t, "bad-input")
	long := make([]byte, 101)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name, action string
		params       url.Values
		status       int
		code, msg    string
	}{
		{"bad topic name", "CreateTopic", url.Values{"Name": {"no spaces"}}, 400, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"no topic name", "CreateTopic", url.Values{}, 400, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"fifo without attribute", "CreateTopic", url.Values{"Name": {"x.fifo"}}, 400, "InvalidParameter", "Invalid parameter: Topic Name"},
		{"unknown parameter", "CreateTopic", url.Values{"Name": {"x"}, "Bogus": {"1"}}, 400, "InvalidParameter", ""},
		{"missing topic", "GetTopicAttributes", url.Values{"TopicArn": {"arn:aws:sns:us-east-1:000000000000:missing"}}, 404, "NotFound", "Topic does not exist"},
		{"malformed arn", "GetTopicAttributes", url.Values{"TopicArn": {"nope"}}, 400, "InvalidParameter", "Invalid parameter: TopicArn"},
		{"unknown attribute", "SetTopicAttributes", url.Values{"TopicArn": {arn}, "AttributeName": {"Bogus"}, "AttributeValue": {"1"}}, 400, "InvalidParameter", "Invalid parameter: AttributeName"},
		{"bad signature version", "SetTopicAttributes", url.Values{"TopicArn": {arn}, "AttributeName": {"SignatureVersion"}, "AttributeValue": {"3"}}, 400, "InvalidParameter", "Invalid parameter: SignatureVersion"},
		{"bad delivery policy", "SetTopicAttributes", url.Values{"TopicArn": {arn}, "AttributeName": {"DeliveryPolicy"}, "AttributeValue": {`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":101}}}`}}, 400, "InvalidParameter", "Invalid parameter: DeliveryPolicy: numRetries must be between 0 and 100"},
		{"unknown protocol", "Subscribe", url.Values{"TopicArn": {arn}, "Protocol": {"carrier-pigeon"}, "Endpoint": {"x"}}, 400, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"},
		{"endpoint protocol mismatch", "Subscribe", url.Values{"TopicArn": {arn}, "Protocol": {"https"}, "Endpoint": {"http://example.com/"}}, 400, "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol"},
		{"subscribe missing topic", "Subscribe", url.Values{"TopicArn": {"arn:aws:sns:us-east-1:000000000000:missing"}, "Protocol": {"http"}, "Endpoint": {"http://example.com/"}}, 404, "NotFound", "Topic does not exist"},
		{"email without smtp", "Subscribe", url.Values{"TopicArn": {arn}, "Protocol": {"email"}, "Endpoint": {"a@example.com"}}, 400, "InvalidParameter", ""},
		{"publish nowhere", "Publish", url.Values{"Message": {"m"}}, 400, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"},
		{"publish empty", "Publish", url.Values{"TopicArn": {arn}, "Message": {""}}, 400, "InvalidParameter", "Invalid parameter: Empty message"},
		{"publish missing topic", "Publish", url.Values{"TopicArn": {"arn:aws:sns:us-east-1:000000000000:missing"}, "Message": {"m"}}, 404, "NotFound", "Topic does not exist"},
		{"subject too long", "Publish", url.Values{"TopicArn": {arn}, "Message": {"m"}, "Subject": {string(long)}}, 400, "InvalidParameter", "Invalid parameter: Subject"},
		{"subject newline", "Publish", url.Values{"TopicArn": {arn}, "Message": {"m"}, "Subject": {"a\nb"}}, 400, "InvalidParameter", "Invalid parameter: Subject"},
		{"message too long", "Publish", url.Values{"TopicArn": {arn}, "Message": {string(make([]byte, 256*1024+1))}}, 400, "InvalidParameter", "Invalid parameter: Message too long"},
		{"structure without default", "Publish", url.Values{"TopicArn": {arn}, "Message": {`{"http":"x"}`}, "MessageStructure": {"json"}}, 400, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body"},
		{"structure not json", "Publish", url.Values{"TopicArn": {arn}, "Message": {`nope`}, "MessageStructure": {"json"}}, 400, "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse"},
		{"attribute bad type", "Publish", url.Values{"TopicArn": {arn}, "Message": {"m"}, "MessageAttributes.entry.1.Name": {"a"}, "MessageAttributes.entry.1.Value.DataType": {"Float"}, "MessageAttributes.entry.1.Value.StringValue": {"1"}}, 400, "ParameterValueInvalid", "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"attribute not a number", "Publish", url.Values{"TopicArn": {arn}, "Message": {"m"}, "MessageAttributes.entry.1.Name": {"a"}, "MessageAttributes.entry.1.Value.DataType": {"Number"}, "MessageAttributes.entry.1.Value.StringValue": {"one"}}, 400, "ParameterValueInvalid", "Could not cast message attribute 'a' value to number."},
		{"unsubscribe missing", "Unsubscribe", url.Values{"SubscriptionArn": {arn + ":6f1b7a54-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}}, 404, "NotFound", "Subscription does not exist"},
		{"confirm bad token", "ConfirmSubscription", url.Values{"TopicArn": {arn}, "Token": {"abc"}}, 400, "InvalidParameter", "Invalid parameter: Token"},
		{"bad next token", "ListTopics", url.Values{"NextToken": {"!!"}}, 400, "InvalidParameter", "Invalid parameter: NextToken"},
		{"tag missing topic", "TagResource", url.Values{"ResourceArn": {"arn:aws:sns:us-east-1:000000000000:missing"}, "Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}}, 404, "ResourceNotFound", "Resource does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.raw(t, tt.action, tt.params)
			if got.Status != tt.status || got.Code != tt.code || (tt.msg != "" && got.Message != tt.msg) {
				t.Errorf("got %d %s %q, want %d %s %q", got.Status, got.Code, got.Message, tt.status, tt.code, tt.msg)
			}
		})
	}
}
