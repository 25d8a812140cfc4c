package sns

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cli runs the stock aws CLI against the harness's edge.
type cli struct {
	h    *harness
	path string
	env  []string
}

func newCLI(t *testing.T, h *harness) *cli {
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION="+testRegion, "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	return &cli{h: h, path: path, env: env}
}

func (c *cli) run(t *testing.T, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	cmd := exec.Command(c.path, append(append([]string{"sns"}, args...), "--endpoint-url", c.h.url, "--output", "json")...)
	cmd.Env = c.env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

func (c *cli) ok(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errOut, ok := c.run(t, args...)
	if !ok {
		t.Fatalf("aws sns %v failed: %s", args, errOut)
	}
	var v map[string]any
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("aws sns %v printed %q", args, out)
		}
	}
	return v
}

func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the aws CLI takes about a second a command")
	}
	h := newHarness(t, harnessOpts{})
	h.run(t)
	c := newCLI(t, h)
	arn := c.ok(t, "create-topic", "--name", "cli-topic", "--attributes", "DisplayName=From CLI", "--tags", "Key=team,Value=ops")["TopicArn"].(string)
	if arn != "arn:aws:sns:us-east-1:000000000000:cli-topic" {
		t.Fatalf("TopicArn = %s", arn)
	}
	attrs := c.ok(t, "get-topic-attributes", "--topic-arn", arn)["Attributes"].(map[string]any)
	if attrs["DisplayName"] != "From CLI" {
		t.Errorf("DisplayName = %v", attrs["DisplayName"])
	}
	topics := c.ok(t, "list-topics")["Topics"].([]any)
	if len(topics) != 1 {
		t.Errorf("list-topics: %v", topics)
	}
	sub := newSubscriber(t)
	subARN := c.ok(t, "subscribe", "--topic-arn", arn, "--protocol", "http", "--notification-endpoint", sub.url(),
		"--attributes", "RawMessageDelivery=true", "--return-subscription-arn")["SubscriptionArn"].(string)
	eventually(t, "confirmation", func() bool {
		a := c.ok(t, "get-subscription-attributes", "--subscription-arn", subARN)["Attributes"].(map[string]any)
		return a["PendingConfirmation"] == "false"
	})
	id := c.ok(t, "publish", "--topic-arn", arn, "--subject", "hi", "--message", "from the CLI",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`)["MessageId"].(string)
	eventually(t, "the notification", func() bool { return len(sub.ofType("Notification")) == 1 })
	n := sub.ofType("Notification")[0]
	if n.Body != "from the CLI" || n.Header.Get("x-amz-sns-message-id") != id {
		t.Errorf("notification %q headers %v", n.Body, n.Header)
	}
	subs := c.ok(t, "list-subscriptions-by-topic", "--topic-arn", arn)["Subscriptions"].([]any)
	if len(subs) != 1 || subs[0].(map[string]any)["SubscriptionArn"] != subARN {
		t.Errorf("list-subscriptions-by-topic: %v", subs)
	}
	tags := c.ok(t, "list-tags-for-resource", "--resource-arn", arn)["Tags"].([]any)
	if len(tags) != 1 {
		t.Errorf("tags: %v", tags)
	}
	c.ok(t, "unsubscribe", "--subscription-arn", subARN)
	c.ok(t, "delete-topic", "--topic-arn", arn)
	_, errOut, ok := c.run(t, "get-topic-attributes", "--topic-arn", arn)
	if ok || !strings.Contains(errOut, "(NotFound)") || !strings.Contains(errOut, "Topic does not exist") {
		t.Errorf("get-topic-attributes of a deleted topic: ok=%v %s", ok, errOut)
	}
}
