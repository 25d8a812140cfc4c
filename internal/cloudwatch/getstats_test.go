package cloudwatch

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/google/go-cmp/cmp"
)

// TestStartTimeRounding: periods start at StartTime rounded down as
// CloudWatch documents (to the minute, or to the period below a minute),
// in GetMetricStatistics and GetMetricData alike.
func TestStartTimeRounding(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var data []types.MetricDatum
	for m := range 20 { // 1, 2, 3, ... one a minute from 10:00
		data = append(data, types.MetricDatum{MetricName: aws.String("Jobs"), Value: aws.Float64(float64(m + 1)), Timestamp: aws.Time(start.Add(time.Duration(m) * time.Minute))})
	}
	data = append(data, types.MetricDatum{MetricName: aws.String("Fast"), Value: aws.Float64(5), Timestamp: aws.Time(start.Add(31 * time.Second)), StorageResolution: aws.Int32(1)})
	if _, err := h.sdk.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(30 * time.Minute)
	type point struct {
		At  string
		Sum float64
	}
	for _, tc := range []struct {
		name, metric string
		from, to     time.Duration
		period       int32
		want         []point
	}{
		{"5 min from 10:02:10", "Jobs", 2*time.Minute + 10*time.Second, 12 * time.Minute, 300, []point{{"10:02:00", 3 + 4 + 5 + 6 + 7}, {"10:07:00", 8 + 9 + 10 + 11 + 12}}},
		{"1 min from 10:00:59", "Jobs", 59 * time.Second, 3 * time.Minute, 60, []point{{"10:00:00", 1}, {"10:01:00", 2}, {"10:02:00", 3}}},
		{"10 s from 10:00:34", "Fast", 34 * time.Second, time.Minute, 10, []point{{"10:00:30", 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := start.Add(tc.from), start.Add(tc.to)
			stats, err := h.sdk.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("App"), MetricName: aws.String(tc.metric),
				StartTime: aws.Time(from), EndTime: aws.Time(to), Period: aws.Int32(tc.period), Statistics: []types.Statistic{types.StatisticSum}})
			if err != nil {
				t.Fatal(err)
			}
			var got []point
			for _, d := range stats.Datapoints {
				got = append(got, point{d.Timestamp.UTC().Format(time.TimeOnly), *d.Sum})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GetMetricStatistics (-want +got):\n%s", diff)
			}
			md, err := h.sdk.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(from), EndTime: aws.Time(to), ScanBy: types.ScanByTimestampAscending,
				MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("m"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String(tc.metric)}, Period: aws.Int32(tc.period), Stat: aws.String("Sum")}}}})
			if err != nil {
				t.Fatal(err)
			}
			got = nil
			r := md.MetricDataResults[0]
			for i, ts := range r.Timestamps {
				got = append(got, point{ts.UTC().Format(time.TimeOnly), r.Values[i]})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GetMetricData (-want +got):\n%s", diff)
			}
		})
	}
}
