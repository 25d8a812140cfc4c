package rpcv2_test

import (
	"encoding/json"
	"testing"
	"time"

	"tide/internal/awsjson"
	"tide/internal/rpcv2"
)

// putMetricData is a PutMetricData input of 20 data, the hot path.
func putMetricData() *putInput {
	in := &putInput{Namespace: ptr("Tide/Bench")}
	when := &awsjson.Time{Time: time.Unix(1700000000, 250e6)}
	for i := range 20 {
		in.MetricData = append(in.MetricData, datum{
			MetricName: ptr("CPUUtilization"), Timestamp: when, Value: ptr(float64(i) + 0.5), Unit: ptr("Percent"),
			Dimensions: []dimension{{Name: ptr("ClusterName"), Value: ptr("default")}, {Name: ptr("ServiceName"), Value: ptr("web")}},
		})
	}
	return in
}

func BenchmarkUnmarshalPutMetricData(b *testing.B) {
	data, _ := rpcv2.Marshal(putMetricData())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var in putInput
		if err := rpcv2.Unmarshal(data, &in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalPutMetricData(b *testing.B) {
	in := putMetricData()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rpcv2.Marshal(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONUnmarshalPutMetricData is the same input over AWS JSON, for
// comparison.
func BenchmarkJSONUnmarshalPutMetricData(b *testing.B) {
	data, _ := json.Marshal(putMetricData())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var in putInput
		if err := json.Unmarshal(data, &in); err != nil {
			b.Fatal(err)
		}
	}
}
