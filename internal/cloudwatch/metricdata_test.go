package cloudwatch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
)

// TestMetricData drives the metric operations with the AWS SDK for Go v2
// in its own protocol (Smithy RPC v2 CBOR): high-resolution data in,
// statistics, percentiles and metric math out, the listing, and AWS's
// errors for data CloudWatch refuses.
func TestMetricData(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	dims := []types.Dimension{{Name: aws.String("Service"), Value: aws.String("web")}}
	var data []types.MetricDatum
	for i, v := range []float64{10, 20, 30, 40, 50, 60} {
		data = append(data, types.MetricDatum{MetricName: aws.String("Latency"), Dimensions: dims, Value: aws.Float64(v), Unit: types.StandardUnitMilliseconds,
			Timestamp: aws.Time(start.Add(time.Duration(i) * time.Second)), StorageResolution: aws.Int32(1)},
			types.MetricDatum{MetricName: aws.String("Requests"), Dimensions: dims, Value: aws.Float64(2), Unit: types.StandardUnitCount,
				Timestamp: aws.Time(start.Add(time.Duration(i) * time.Second)), StorageResolution: aws.Int32(1)})
	}
	if _, err := h.sdk.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)

	stats, err := h.sdk.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: dims, Period: aws.Int32(3),
		StartTime: aws.Time(start), EndTime: aws.Time(start.Add(6 * time.Second)),
		Statistics: []types.Statistic{types.StatisticAverage, types.StatisticMaximum, types.StatisticSampleCount}, ExtendedStatistics: []string{"p50"},
		Unit: types.StandardUnitMilliseconds,
	})
	if err == nil { // 3 s is not a CloudWatch period
		t.Fatalf("Period 3 was accepted: %+v", stats)
	}
	stats, err = h.sdk.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: dims, Period: aws.Int32(5),
		StartTime: aws.Time(start), EndTime: aws.Time(start.Add(10 * time.Second)),
		Statistics: []types.Statistic{types.StatisticAverage, types.StatisticMaximum, types.StatisticSampleCount}, ExtendedStatistics: []string{"p50"},
	})
	if err != nil {
		t.Fatal(err)
	}
	type dp struct {
		At                   time.Time
		Avg, Max, Count, P50 float64
	}
	var got []dp
	for _, d := range stats.Datapoints {
		got = append(got, dp{aws.ToTime(d.Timestamp).UTC(), aws.ToFloat64(d.Average), aws.ToFloat64(d.Maximum), aws.ToFloat64(d.SampleCount), d.ExtendedStatistics["p50"]})
	}
	want := []dp{{start, 30, 50, 5, 30}, {start.Add(5 * time.Second), 60, 60, 1, 60}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return a > b*0.99-1e-9 && a < b*1.01+1e-9 })); diff != "" {
		t.Errorf("GetMetricStatistics (-want +got):\n%s", diff)
	}

	md, err := h.sdk.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(start.Add(6 * time.Second)), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("lat"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency"), Dimensions: dims}, Period: aws.Int32(1), Stat: aws.String("Average")}, ReturnData: aws.Bool(false)},
			{Id: aws.String("req"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Requests"), Dimensions: dims}, Period: aws.Int32(1), Stat: aws.String("Sum")}, ReturnData: aws.Bool(false)},
			{Id: aws.String("per"), Expression: aws.String("lat / req"), Label: aws.String("ms per request")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.MetricDataResults) != 1 || aws.ToString(md.MetricDataResults[0].Label) != "ms per request" {
		t.Fatalf("GetMetricData results %+v", md.MetricDataResults)
	}
	if diff := cmp.Diff([]float64{5, 10, 15, 20, 25, 30}, md.MetricDataResults[0].Values); diff != "" {
		t.Errorf("lat / req (-want +got):\n%s", diff)
	}

	list, err := h.sdk.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("App")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range list.Metrics {
		names = append(names, aws.ToString(m.MetricName))
	}
	if diff := cmp.Diff([]string{"Latency", "Requests"}, names); diff != "" {
		t.Errorf("ListMetrics (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name string
		in   *cloudwatch.PutMetricDataInput
		code string
		msg  string
	}{
		{"reserved namespace", &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/ECS"), MetricData: data[:1]}, "InvalidParameterValue", "The value AWS/ECS for parameter Namespace is invalid."},
		{"value and values", &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1), Values: []float64{1}}}}, "InvalidParameterCombination", "mutually exclusive"},
		{"old timestamp", &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1), Timestamp: aws.Time(start.Add(-15 * 24 * time.Hour))}}}, "InvalidParameterValue", "two weeks in the past"},
		{"storage resolution", &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("M"), Value: aws.Float64(1), StorageResolution: aws.Int32(5)}}}, "InvalidParameterValue", "StorageResolution is invalid"},
		{"counts of another size", &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{{MetricName: aws.String("M"), Values: []float64{1, 2}, Counts: []float64{1}}}}, "InvalidParameterCombination", "must be of the same size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.sdk.PutMetricData(ctx, tc.in)
			var ipv *types.InvalidParameterValueException
			var ipc *types.InvalidParameterCombinationException
			typed := errors.As(err, &ipv) || errors.As(err, &ipc)
			if errCode(err) != tc.code || !typed || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v (typed %v), want %s: %s", err, typed, tc.code, tc.msg)
			}
		})
	}
}
