package cloudwatch

import (
	"context"
	"math"
	"testing"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/metrics"
)

// metricAPI is the API with only the metric operations: they need no
// etcd store.
func metricAPI(now func() time.Time) *API {
	return New(nil, nil, Config{Region: testRegion, AccountID: testAcct, Now: now, Metrics: metrics.New(now)})
}

// checkFault fails unless err is nil or an AWS client error.
func checkFault(t *testing.T, op string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if e := awserr.As(err); e == nil || e.Status != 400 || e.Code == "" || e.Message == "" {
		t.Fatalf("%s: %v is not an AWS client error", op, err)
	}
}

// FuzzMetricOps: whatever a client sends to PutMetricData and
// GetMetricData gets a result or a 400 with an AWS code, never a panic or
// a hang, and every result has as many timestamps as values, all finite.
func FuzzMetricOps(f *testing.F) {
	f.Add(1.5, 3.0, 2.0, int64(-30), int32(1), "Count", "m1 * 2 + RATE(m1)", int32(1), int64(-60), int64(60), true, int32(0), "")
	f.Add(math.Inf(1), -1.0, 0.0, int64(9000), int32(60), "Bogus", "SUM(METRICS())", int32(60), int64(-86400), int64(86400), false, int32(2), "MQ")
	f.Add(1e300, 1e-300, -5.0, int64(-15*86400), int32(5), "", "IF(m1 > 1, FILL(m1, REPEAT), 1/0)", int32(7), int64(0), int64(-1), true, int32(-1), "!!")
	f.Add(0.0, 0.0, 1.0, int64(0), int32(1), "None", "m1 / PERIOD(m1) - AVG(m1)", int32(2147483647), int64(-1<<40), int64(1<<40), false, int32(100800), "OTk5")
	f.Fuzz(func(t *testing.T, value, v2, count float64, ago int64, res int32, unit, expr string, period int32, from, span int64, asc bool, maxPoints int32, token string) {
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		a := metricAPI(func() time.Time { return now })
		ctx := context.Background()
		at := awsjson.At(now.Add(time.Duration(ago%(1<<33)) * time.Second))
		_, err := a.putMetricData(ctx, &PutMetricDataInput{Namespace: str("App"), MetricData: []MetricDatum{
			{MetricName: str("M"), Value: &value, Timestamp: at, StorageResolution: &res, Unit: &unit},
			{MetricName: str("M"), Values: []float64{value, v2}, Counts: []float64{count, 1}, StorageResolution: &res},
			{MetricName: str("M"), StatisticValues: &StatisticSet{SampleCount: &count, Sum: &value, Minimum: &v2, Maximum: &v2}},
		}})
		checkFault(t, "PutMetricData", err)

		start := awsjson.At(now.Add(time.Duration(from%(1<<33)) * time.Second))
		end := awsjson.At(start.Add(time.Duration(span%(1<<33)) * time.Second))
		scan := "TimestampDescending"
		if asc {
			scan = "TimestampAscending"
		}
		in := &GetMetricDataInput{StartTime: start, EndTime: end, ScanBy: &scan, MaxDatapoints: &maxPoints, MetricDataQueries: []MetricDataQuery{
			{Id: str("m1"), MetricStat: &MetricStat{Metric: &Metric{Namespace: str("App"), MetricName: str("M")}, Period: &period, Stat: str("p90")}},
			{Id: str("e1"), Expression: &expr, Period: &period},
		}}
		if token != "" {
			in.NextToken = &token
		}
		out, err := a.getMetricData(ctx, in)
		checkFault(t, "GetMetricData", err)
		if err != nil {
			return
		}
		for _, r := range out.MetricDataResults {
			if len(r.Timestamps) != len(r.Values) {
				t.Fatalf("%s: %d timestamps, %d values", *r.Id, len(r.Timestamps), len(r.Values))
			}
			for _, v := range r.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: value %v", *r.Id, v)
				}
			}
		}
	})
}
