package cloudwatch

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// botocoreModel is where the aws CLI's botocore keeps CloudWatch's model.
const botocoreModel = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data/cloudwatch/2010-08-01/service-2.json.gz"

// cliHarness runs the stock aws CLI against the harness's edge. The CLI
// prefers Smithy RPC v2 CBOR for CloudWatch, which the edge does not serve
// yet; a copy of botocore's model that names one protocol (AWS_DATA_PATH)
// makes it speak AWS JSON 1.0 or awsquery instead, with everything else of
// the CLI unchanged.
type cliHarness struct {
	h    *harness
	env  []string
	path string
}

func newCLI(t *testing.T, h *harness, protocol string) *cliHarness {
	t.Helper()
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	f, err := os.Open(botocoreModel)
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/python3*/*-packages/botocore/data/cloudwatch/2010-08-01/service-2.json.gz")
		if len(matches) == 0 {
			t.Skip("botocore's CloudWatch model not found")
		}
		if f, err = os.Open(matches[0]); err != nil {
			t.Fatal(err)
		}
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var model map[string]any
	if err := json.NewDecoder(zr).Decode(&model); err != nil {
		t.Fatal(err)
	}
	meta := model["metadata"].(map[string]any)
	meta["protocol"], meta["protocols"] = protocol, []string{protocol}
	dir := t.TempDir()
	modelDir := filepath.Join(dir, "cloudwatch", "2010-08-01")
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(model)
	if err := os.WriteFile(filepath.Join(modelDir, "service-2.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "AWS_DATA_PATH="+dir, "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION="+testRegion, "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	return &cliHarness{h: h, env: env, path: aws}
}

// run runs `aws cloudwatch ARGS` and returns stdout, stderr and whether it
// succeeded.
func (c *cliHarness) run(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(c.path, append(append([]string{"cloudwatch"}, args...), "--endpoint-url", c.h.url, "--output", "json")...)
	cmd.Env = c.env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

func (c *cliHarness) ok(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errs, ok := c.run(t, args...)
	if !ok {
		t.Fatalf("aws cloudwatch %s: %s", strings.Join(args, " "), errs)
	}
	var v map[string]any
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("aws cloudwatch %s: output %q: %v", args[0], out, err)
		}
	}
	return v
}

func (c *cliHarness) fails(t *testing.T, code string, args ...string) {
	t.Helper()
	_, errs, ok := c.run(t, args...)
	if ok || !strings.Contains(errs, "("+code+")") {
		t.Errorf("aws cloudwatch %s: want %s, got ok=%v %s", args[0], code, ok, errs)
	}
}

// TestAWSCLI drives the alarm operations with the aws CLI over AWS JSON
// 1.0 and checks what it prints.
func TestAWSCLI(t *testing.T) {
	h := newHarness(t)
	cli := newCLI(t, h, "json")
	cli.ok(t, "put-metric-alarm", "--alarm-name", "cpu-high", "--metric-name", "CPUUtilization", "--namespace", "AWS/ECS",
		"--statistic", "Average", "--period", "60", "--evaluation-periods", "3", "--datapoints-to-alarm", "2", "--threshold", "70",
		"--comparison-operator", "GreaterThanThreshold", "--dimensions", "Name=ClusterName,Value=default", "Name=ServiceName,Value=web",
		"--alarm-actions", opsTopic, "--treat-missing-data", "notBreaching", "--tags", "Key=team,Value=web")
	out := cli.ok(t, "describe-alarms", "--alarm-names", "cpu-high")
	a := out["MetricAlarms"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{
		"AlarmName": "cpu-high", "AlarmArn": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high", "StateValue": "INSUFFICIENT_DATA",
		"DatapointsToAlarm": 2.0, "Threshold": 70.0, "TreatMissingData": "notBreaching", "ActionsEnabled": true,
		"StateUpdatedTimestamp": float64(start.Unix()), // the CLI v1 prints what AWS JSON sends
	} {
		if a[k] != want {
			t.Errorf("describe-alarms %s = %v, want %v", k, a[k], want)
		}
	}
	cli.ok(t, "set-alarm-state", "--alarm-name", "cpu-high", "--state-value", "ALARM", "--state-reason", "testing")
	hist := cli.ok(t, "describe-alarm-history", "--alarm-name", "cpu-high", "--history-item-type", "StateUpdate")
	items := hist["AlarmHistoryItems"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["HistorySummary"] != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
		t.Errorf("describe-alarm-history: %v", hist)
	}
	cli.ok(t, "disable-alarm-actions", "--alarm-names", "cpu-high")
	cli.ok(t, "tag-resource", "--resource-arn", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high", "--tags", "Key=env,Value=prod")
	tags := cli.ok(t, "list-tags-for-resource", "--resource-arn", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high")
	if len(tags["Tags"].([]any)) != 2 {
		t.Errorf("list-tags-for-resource: %v", tags)
	}
	cli.fails(t, "ValidationError", "put-metric-alarm", "--alarm-name", "bad", "--metric-name", "m", "--namespace", "n",
		"--statistic", "Sum", "--period", "60", "--evaluation-periods", "1", "--datapoints-to-alarm", "2", "--threshold", "1",
		"--comparison-operator", "GreaterThanThreshold")
	cli.fails(t, "ResourceNotFound", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x")
	cli.ok(t, "delete-alarms", "--alarm-names", "cpu-high")
	if out := cli.ok(t, "describe-alarms"); len(out["MetricAlarms"].([]any)) != 0 {
		t.Errorf("describe-alarms after delete-alarms: %v", out)
	}
}

// TestAWSCLIQuery drives the operations whose output has no timestamps
// with the aws CLI over awsquery.
func TestAWSCLIQuery(t *testing.T) {
	h := newHarness(t)
	cli := newCLI(t, h, "query")
	cli.ok(t, "put-metric-alarm", "--alarm-name", "q", "--metric-name", "CPUUtilization", "--namespace", "AWS/ECS",
		"--extended-statistic", "p99", "--period", "10", "--evaluation-periods", "6", "--threshold", "250",
		"--comparison-operator", "GreaterThanOrEqualToThreshold", "--evaluate-low-sample-count-percentile", "ignore")
	cli.ok(t, "set-alarm-state", "--alarm-name", "q", "--state-value", "OK", "--state-reason", "fine", "--state-reason-data", `{"a":1}`)
	cli.fails(t, "InvalidFormat", "set-alarm-state", "--alarm-name", "q", "--state-value", "OK", "--state-reason", "x", "--state-reason-data", "{")
	cli.ok(t, "tag-resource", "--resource-arn", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:q", "--tags", "Key=env,Value=prod")
	tags := cli.ok(t, "list-tags-for-resource", "--resource-arn", "arn:aws:cloudwatch:us-east-1:000000000000:alarm:q")
	if got := tags["Tags"].([]any); len(got) != 1 || got[0].(map[string]any)["Value"] != "prod" {
		t.Errorf("list-tags-for-resource: %v", tags)
	}
	cli.fails(t, "MissingParameter", "put-metric-alarm", "--alarm-name", "bad", "--metric-name", "m", "--namespace", "n",
		"--statistic", "Sum", "--period", "60", "--evaluation-periods", "1", "--comparison-operator", "GreaterThanThreshold")
	cli.ok(t, "delete-alarms", "--alarm-names", "q", "absent")
	a, _, ok := h.api.get("q")
	if ok {
		t.Errorf("alarm q still there: %+v", a)
	}
}
