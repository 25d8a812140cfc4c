package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	smithyjson "github.com/aws/smithy-go/transport/http/protocol/awsjson"
	smithyquery "github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/google/go-cmp/cmp"
)

// sdkClient is the AWS SDK for Go v2 CloudWatch client, speaking its
// default protocol (Smithy RPC v2 CBOR) or the one named. Made from a bare
// aws.Config, it gzips every PutMetricData body (the operation's
// requestCompression trait, from RequestMinCompressSizeBytes: 0) unless
// plain.
func sdkClient(url, protocol string, plain bool) *cloudwatch.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(qKey, qSecret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.BaseEndpoint = aws.String(url)
		o.DisableRequestCompression = plain
		switch protocol {
		case "json":
			o.Protocol = smithyjson.New10(schemas.GraniteServiceVersion20100801)
		case "query":
			o.Protocol = smithyquery.New(schemas.GraniteServiceVersion20100801)
		}
	})
}

// framing is what a request of each protocol looks like.
var framing = map[string]sent{
	"cbor":  {Method: "POST", Path: "/service/GraniteServiceVersion20100801/operation/", ContentType: "application/cbor", SmithyProtocol: "rpc-v2-cbor", QueryMode: "true"},
	"json":  {Method: "POST", Path: "/", ContentType: "application/x-amz-json-1.0", Target: "GraniteServiceVersion20100801.", QueryMode: "true"},
	"query": {Method: "POST", Path: "/", ContentType: "application/x-www-form-urlencoded"},
}

// checkFraming checks that every request was of the protocol's form, and
// whether some were gzipped.
func checkFraming(t *testing.T, protocol string, reqs []sent, gzipped bool) {
	t.Helper()
	want := framing[protocol]
	var zipped bool
	for _, r := range reqs {
		zipped = zipped || r.ContentEncoding == "gzip"
		ct, _, _ := strings.Cut(r.ContentType, ";")
		if r.Method != want.Method || !strings.HasPrefix(r.Path, want.Path) || ct != want.ContentType ||
			r.SmithyProtocol != want.SmithyProtocol || !strings.HasPrefix(r.Target, want.Target) || (want.Target == "") != (r.Target == "") ||
			r.QueryMode != want.QueryMode {
			t.Errorf("request %+v is not %s (%+v)", r, protocol, want)
		}
	}
	if len(reqs) == 0 {
		t.Error("no requests")
	}
	if zipped != gzipped {
		t.Errorf("gzipped requests: %v, want %v", zipped, gzipped)
	}
}

var when = time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)

// TestGoSDK drives the fake CloudWatch with the AWS SDK for Go v2 in each
// of CloudWatch's protocols: timestamps, numbers, lists and nested
// structures both ways, the request ID, and errors with their awsquery
// codes.
func TestGoSDK(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		plain    bool
	}{{"cbor", false}, {"json", false}, {"query", false}, {"cbor", true}, {"json", true}, {"query", true}} {
		protocol := tc.protocol
		name := protocol + "/gzip"
		if tc.plain {
			name = protocol + "/plain"
		}
		t.Run(name, func(t *testing.T) {
			e, _ := newCWEdge(verifier())
			srv, requests := recordingServer(t, e)
			c := sdkClient(srv.URL, protocol, tc.plain)
			ctx := context.Background()
			_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Tide/Test"), MetricData: []types.MetricDatum{
				{MetricName: aws.String("Latency"), Dimensions: []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}},
					Timestamp: aws.Time(when), Value: aws.Float64(0.25), Unit: types.StandardUnitSeconds, StorageResolution: aws.Int32(1)},
				{MetricName: aws.String("Requests"), Timestamp: aws.Time(when.Add(time.Second)), Values: []float64{1, 2.5}, Counts: []float64{3, 1},
					StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(5.5), Minimum: aws.Float64(1), Maximum: aws.Float64(2.5)}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			stats, err := c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
				Namespace: aws.String("Tide/Test"), MetricName: aws.String("Latency"),
				Dimensions: []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}},
				StartTime:  aws.Time(when.Add(-time.Minute)), EndTime: aws.Time(when.Add(time.Minute)),
				Period: aws.Int32(1), Statistics: []types.Statistic{types.StatisticAverage},
			})
			if err != nil {
				t.Fatal(err)
			}
			if id, _ := awsmiddleware.GetRequestIDMetadata(stats.ResultMetadata); id == "" {
				t.Error("the SDK found no request ID")
			}
			want := []types.Datapoint{{Timestamp: aws.Time(when), SampleCount: aws.Float64(1), Average: aws.Float64(0.25), Unit: types.StandardUnitSeconds}}
			if diff := cmp.Diff(want, stats.Datapoints, cmp.AllowUnexported(types.Datapoint{})); diff != "" || aws.ToString(stats.Label) != "Latency" {
				t.Errorf("GetMetricStatistics label %q, datapoints (-want +got):\n%s", aws.ToString(stats.Label), diff)
			}
			list, err := c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Tide/Test")})
			if err != nil {
				t.Fatal(err)
			}
			wantMetrics := []types.Metric{
				{Namespace: aws.String("Tide/Test"), MetricName: aws.String("Latency"), Dimensions: []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}}},
				{Namespace: aws.String("Tide/Test"), MetricName: aws.String("Requests")},
			}
			if diff := cmp.Diff(wantMetrics, list.Metrics, cmp.AllowUnexported(types.Metric{}, types.Dimension{})); diff != "" {
				t.Errorf("ListMetrics (-want +got):\n%s", diff)
			}
			checkSDKErrors(t, c, protocol)
			checkFraming(t, protocol, requests(), !tc.plain)
		})
	}
}

// checkSDKErrors checks the errors the SDK reports. In JSON and CBOR it
// reports the awsquery code of x-amzn-query-error, and its fault; over
// awsquery itself the SDK (smithy-go's awsquery protocol) resolves the
// code to its typed error and reports that type's name
// (InvalidParameterValueException), and no fault for untyped errors: its
// behaviour against AWS too, as the wire is AWS's.
func checkSDKErrors(t *testing.T, c *cloudwatch.Client, protocol string) {
	t.Helper()
	ctx := context.Background()
	put := func(ns string) error {
		_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns),
			MetricData: []types.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
		return err
	}
	const internal = "The request processing has failed because of an unknown error, exception or failure."
	invalid, serverFault := "InvalidParameterValue", smithy.FaultServer
	if protocol == "query" {
		invalid, serverFault = "InvalidParameterValueException", smithy.FaultUnknown
	}
	cases := []struct {
		ns, code, msg string
		fault         smithy.ErrorFault
	}{
		{"fail", invalid, "The value fail for parameter Namespace is not valid.", smithy.FaultClient},
		{"boom", "InternalFailure", internal, serverFault},
		{"panic", "InternalFailure", internal, serverFault},
	}
	for _, tc := range cases {
		err := put(tc.ns)
		var api smithy.APIError
		if !errors.As(err, &api) {
			t.Fatalf("%s: error %v is not an API error", tc.ns, err)
		}
		if api.ErrorCode() != tc.code || api.ErrorMessage() != tc.msg || api.ErrorFault() != tc.fault {
			t.Errorf("%s: error %s %q %v, want %s %q %v", tc.ns, api.ErrorCode(), api.ErrorMessage(), api.ErrorFault(), tc.code, tc.msg, tc.fault)
		}
	}
	var typed *types.InvalidParameterValueException
	if err := put("fail"); !errors.As(err, &typed) {
		t.Errorf("error %T %v is not *types.InvalidParameterValueException", err, err)
	}
}

// TestBotocore drives the fake CloudWatch with botocore (what boto3 and the
// aws CLI use) in each of CloudWatch's protocols, with one PutMetricData
// large enough (over 10 KiB) for botocore to gzip it.
func TestBotocore(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	for protocol, name := range map[string]string{"smithy-rpc-v2-cbor": "cbor", "json": "json", "query": "query"} {
		t.Run(name, func(t *testing.T) {
			e, _ := newCWEdge(verifier())
			srv, requests := recordingServer(t, e)
			cmd := exec.Command("python3", "testdata/botocore_cloudwatch.py", srv.URL, protocol, qKey, qSecret)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if strings.Contains(stderr.String(), "No module named 'botocore'") {
				t.Skip("no botocore")
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			t.Logf("botocore %v", got["botocore"])
			delete(got, "botocore")
			// botocore sends whole seconds in JSON and CBOR (its default
			// timestamp precision), milliseconds and more in awsquery.
			stamp := "2026-11-22T10:00:00+00:00"
			if protocol == "query" {
				stamp = "2026-11-22T10:00:00.123000+00:00"
			}
			want := map[string]any{
				"protocol": protocol,
				"label":    "Latency",
				"datapoints": []any{map[string]any{"Timestamp": stamp, "SampleCount": 1.0,
					"Average": 0.25, "Unit": "Seconds"}},
				"metrics": []any{
					map[string]any{"Namespace": "Tide/Test", "MetricName": "Latency", "Dimensions": []any{map[string]any{"Name": "Service", "Value": "web"}}},
					map[string]any{"Namespace": "Tide/Test", "MetricName": "Requests"},
				},
				"bulk": 300.0,
				"error": map[string]any{"code": "InvalidParameterValue", "message": "The value fail for parameter Namespace is not valid.",
					"status": 400.0, "class": "InvalidParameterValueException"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("botocore results (-want +got):\n%s", diff)
			}
			checkFraming(t, name, requests(), true)
		})
	}
}
