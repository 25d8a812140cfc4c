package cloudwatch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAWSCLIMetrics drives the metric operations with the stock aws CLI in
// each protocol it can speak to CloudWatch (RPC v2 CBOR is its default),
// and checks what it prints: data in with put-metric-data, statistics and
// percentiles out with get-metric-statistics, metric math with
// get-metric-data, the listing, and AWS's errors.
func TestAWSCLIMetrics(t *testing.T) {
	for _, protocol := range []string{"smithy-rpc-v2-cbor", "json", "query"} {
		t.Run(protocol, func(t *testing.T) {
			h := newHarness(t)
			cli := newCLI(t, h, protocol)
			dir := t.TempDir()
			file := func(name string, v any) string {
				b, _ := json.Marshal(v)
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return "file://" + path
			}
			var data []map[string]any // Requests: the value 2 is counted i times, none at first
			for i, v := range []float64{10, 20, 30, 40, 50, 60} {
				at := start.Add(time.Duration(i) * 10 * time.Second).Format(time.RFC3339)
				data = append(data,
					map[string]any{"MetricName": "Latency", "Dimensions": []map[string]string{{"Name": "Service", "Value": "web"}},
						"Timestamp": at, "Value": v, "Unit": "Milliseconds", "StorageResolution": 1},
					map[string]any{"MetricName": "Requests", "Dimensions": []map[string]string{{"Name": "Service", "Value": "web"}},
						"Timestamp": at, "Values": []float64{1, 2}, "Counts": []float64{1, float64(i)}, "Unit": "Count", "StorageResolution": 1})
			}
			cli.ok(t, "put-metric-data", "--namespace", "App", "--metric-data", file("data.json", data))
			cli.ok(t, "put-metric-data", "--namespace", "App", "--metric-name", "Errors", "--dimensions", "Service=web", "--value", "3")
			h.clock.Advance(time.Minute)

			stats := cli.ok(t, "get-metric-statistics", "--namespace", "App", "--metric-name", "Latency", "--dimensions", "Name=Service,Value=web",
				"--start-time", start.Format(time.RFC3339), "--end-time", start.Add(time.Minute).Format(time.RFC3339), "--period", "60",
				"--statistics", "Average", "Maximum", "SampleCount", "--extended-statistics", "p50")
			dps := stats["Datapoints"].([]any)
			if len(dps) != 1 {
				t.Fatalf("get-metric-statistics: %v", stats)
			}
			got := dps[0].(map[string]any)
			delete(got, "Timestamp")
			want := map[string]any{"Average": 35.0, "Maximum": 60.0, "SampleCount": 6.0, "Unit": "Milliseconds", "ExtendedStatistics": map[string]any{"p50": 30.0}}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return a > b*0.99 && a < b*1.01 })); diff != "" {
				t.Errorf("get-metric-statistics (-want +got):\n%s", diff)
			}

			metric := func(name string) map[string]any {
				return map[string]any{"Namespace": "App", "MetricName": name, "Dimensions": []map[string]string{{"Name": "Service", "Value": "web"}}}
			}
			queries := []map[string]any{
				{"Id": "lat", "MetricStat": map[string]any{"Metric": metric("Latency"), "Period": 10, "Stat": "Average"}, "ReturnData": false},
				{"Id": "req", "MetricStat": map[string]any{"Metric": metric("Requests"), "Period": 10, "Stat": "SampleCount"}},
				{"Id": "rate", "Expression": "RATE(lat)", "Label": "latency growth per second"},
				{"Id": "all", "Expression": "SUM(METRICS())"},
				{"Id": "busy", "Expression": "IF(req > 3, req, 0)"},
			}
			md := cli.ok(t, "get-metric-data", "--metric-data-queries", file("queries.json", queries), "--scan-by", "TimestampAscending",
				"--start-time", start.Format(time.RFC3339), "--end-time", start.Add(time.Minute).Format(time.RFC3339))
			values := map[string][]any{}
			for _, r := range md["MetricDataResults"].([]any) {
				r := r.(map[string]any)
				values[r["Id"].(string)+" "+r["Label"].(string)+" "+r["StatusCode"].(string)] = r["Values"].([]any)
			}
			if diff := cmp.Diff(map[string][]any{
				"req Requests Complete":                   {1.0, 2.0, 3.0, 4.0, 5.0, 6.0},
				"rate latency growth per second Complete": {1.0, 1.0, 1.0, 1.0, 1.0},
				"all all Complete":                        {11.0, 22.0, 33.0, 44.0, 55.0, 66.0},
				"busy busy Complete":                      {0.0, 0.0, 0.0, 4.0, 5.0, 6.0},
			}, values); diff != "" {
				t.Errorf("get-metric-data (-want +got):\n%s", diff)
			}

			list := cli.ok(t, "list-metrics", "--namespace", "App", "--dimensions", "Name=Service,Value=web")
			var names []string
			for _, m := range list["Metrics"].([]any) {
				names = append(names, m.(map[string]any)["MetricName"].(string))
			}
			if diff := cmp.Diff([]string{"Errors", "Latency", "Requests"}, names); diff != "" {
				t.Errorf("list-metrics (-want +got):\n%s", diff)
			}

			cli.fails(t, "InvalidParameterValue", "put-metric-data", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization", "--value", "1")
			cli.fails(t, "InvalidParameterCombination", "get-metric-statistics", "--namespace", "App", "--metric-name", "Latency",
				"--start-time", start.Add(-time.Hour).Format(time.RFC3339), "--end-time", start.Format(time.RFC3339), "--period", "1", "--statistics", "Sum")
			cli.fails(t, "ValidationError", "get-metric-data", "--metric-data-queries", file("bad.json", []map[string]any{{"Id": "e", "Expression": "SEARCH('x', 'Sum', 60)"}}),
				"--start-time", start.Format(time.RFC3339), "--end-time", start.Add(time.Minute).Format(time.RFC3339))
		})
	}
}
