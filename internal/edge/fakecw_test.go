package edge_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/sigv4"
)

// A small CloudWatch-shaped API served in the three protocols CloudWatch
// speaks, to test the edge's codecs with real clients: PutMetricData,
// GetMetricStatistics and ListMetrics with AWS's member names, over an
// in-memory list of data. It is not CloudWatch: PutMetricData fails on
// purpose for the namespaces "fail" (a client error), "boom" (a server
// error) and "panic".

type cwDimension struct {
	Name  *string `json:"Name,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type cwStatisticSet struct {
	SampleCount *float64 `json:"SampleCount,omitempty"`
	Sum         *float64 `json:"Sum,omitempty"`
	Minimum     *float64 `json:"Minimum,omitempty"`
	Maximum     *float64 `json:"Maximum,omitempty"`
}

type cwDatum struct {
	MetricName        *string         `json:"MetricName,omitempty"`
	Dimensions        []cwDimension   `json:"Dimensions,omitempty"`
	Timestamp         *awsjson.Time   `json:"Timestamp,omitempty"`
	Value             *float64        `json:"Value,omitempty"`
	StatisticValues   *cwStatisticSet `json:"StatisticValues,omitempty"`
	Values            []float64       `json:"Values,omitempty"`
	Counts            []float64       `json:"Counts,omitempty"`
	Unit              *string         `json:"Unit,omitempty"`
	StorageResolution *int32          `json:"StorageResolution,omitempty"`
}

type cwPutIn struct {
	Namespace  *string   `json:"Namespace,omitempty"`
	MetricData []cwDatum `json:"MetricData,omitempty"`
}

type cwStatsIn struct {
	Namespace          *string       `json:"Namespace,omitempty"`
	MetricName         *string       `json:"MetricName,omitempty"`
	Dimensions         []cwDimension `json:"Dimensions,omitempty"`
	StartTime          *awsjson.Time `json:"StartTime,omitempty"`
	EndTime            *awsjson.Time `json:"EndTime,omitempty"`
	Period             *int32        `json:"Period,omitempty"`
	Statistics         []string      `json:"Statistics,omitempty"`
	ExtendedStatistics []string      `json:"ExtendedStatistics,omitempty"`
	Unit               *string       `json:"Unit,omitempty"`
}

type cwDatapoint struct {
	Timestamp   *awsjson.Time `json:"Timestamp,omitempty"`
	SampleCount *float64      `json:"SampleCount,omitempty"`
	Average     *float64      `json:"Average,omitempty"`
	Unit        *string       `json:"Unit,omitempty"`
}

type cwStatsOut struct {
	Label      *string       `json:"Label,omitempty"`
	Datapoints []cwDatapoint `json:"Datapoints"`
}

type cwListIn struct {
	Namespace  *string       `json:"Namespace,omitempty"`
	MetricName *string       `json:"MetricName,omitempty"`
	Dimensions []cwDimension `json:"Dimensions,omitempty"`
	NextToken  *string       `json:"NextToken,omitempty"`
}

type cwMetric struct {
	Namespace  *string       `json:"Namespace,omitempty"`
	MetricName *string       `json:"MetricName,omitempty"`
	Dimensions []cwDimension `json:"Dimensions,omitempty"`
}

type cwListOut struct {
	Metrics   []cwMetric `json:"Metrics"`
	NextToken *string    `json:"NextToken,omitempty"`
}

type fakeCW struct {
	mu   sync.Mutex
	data map[string][]cwDatum // by namespace
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (f *fakeCW) put(ctx context.Context, in *cwPutIn) (*struct{}, error) {
	switch ns := deref(in.Namespace); ns {
	case "fail":
		return nil, awserr.Client("InvalidParameterValue", "The value fail for parameter Namespace is not valid.")
	case "boom":
		return nil, errors.New("disk on fire")
	case "panic":
		panic("boom")
	default:
		f.mu.Lock()
		defer f.mu.Unlock()
		f.data[ns] = append(f.data[ns], in.MetricData...)
	}
	return &struct{}{}, nil
}

func (f *fakeCW) stats(ctx context.Context, in *cwStatsIn) (*cwStatsOut, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &cwStatsOut{Label: in.MetricName, Datapoints: []cwDatapoint{}}
	for _, d := range f.data[deref(in.Namespace)] {
		if deref(d.MetricName) != deref(in.MetricName) || d.Timestamp == nil || d.Value == nil ||
			in.StartTime != nil && d.Timestamp.Before(in.StartTime.Time) || in.EndTime != nil && !d.Timestamp.Before(in.EndTime.Time) {
			continue
		}
		one := 1.0
		out.Datapoints = append(out.Datapoints, cwDatapoint{Timestamp: d.Timestamp, SampleCount: &one, Average: d.Value, Unit: d.Unit})
	}
	return out, nil
}

func (f *fakeCW) list(ctx context.Context, in *cwListIn) (*cwListOut, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &cwListOut{Metrics: []cwMetric{}}
	for ns, data := range f.data {
		if in.Namespace != nil && ns != *in.Namespace {
			continue
		}
		for _, d := range data {
			m := cwMetric{Namespace: &ns, MetricName: d.MetricName, Dimensions: d.Dimensions}
			if !slices.ContainsFunc(out.Metrics, func(o cwMetric) bool { return deref(o.MetricName) == deref(m.MetricName) }) {
				out.Metrics = append(out.Metrics, m)
			}
		}
	}
	slices.SortFunc(out.Metrics, func(a, b cwMetric) int { return strings.Compare(deref(a.MetricName), deref(b.MetricName)) })
	return out, nil
}

const (
	cwService   = "GraniteServiceVersion20100801"
	cwNamespace = "http://monitoring.amazonaws.com/doc/2010-08-01/"
)

// newCWEdge serves a fake CloudWatch in awsquery, AWS JSON 1.0 and CBOR,
// verifying signatures with v when it is not nil.
func newCWEdge(v *sigv4.Verifier) (*edge.Edge, *fakeCW) {
	f := &fakeCW{data: map[string][]cwDatum{}}
	e := edge.New(slog.New(slog.DiscardHandler), v)
	e.RegisterAPI(&edge.API{
		JSONPrefix: cwService, JSONVersion: "1.0", CBORService: cwService,
		QueryVersion: "2010-08-01", QueryNamespace: cwNamespace, QueryCompatible: true,
		ErrorTypes: map[string]string{"InvalidParameterValue": "com.amazonaws.cloudwatch#InvalidParameterValueException"},
		Ops: map[string]edge.Operation{
			"PutMetricData":       edge.Typed(f.put),
			"GetMetricStatistics": edge.Typed(f.stats),
			"ListMetrics":         edge.Typed(f.list),
		},
	})
	return e, f
}

// sent is how a client's request was framed: the protocol it spoke.
type sent struct {
	Method, Path, ContentType, SmithyProtocol, Target, QueryMode, ContentEncoding string
}

// recordingServer serves h and records the framing of every request.
func recordingServer(t *testing.T, h http.Handler) (*httptest.Server, func() []sent) {
	var mu sync.Mutex
	var reqs []sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, sent{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Smithy-Protocol"),
			r.Header.Get("X-Amz-Target"), r.Header.Get("X-Amzn-Query-Mode"), r.Header.Get("Content-Encoding")})
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []sent {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reqs)
	}
}
