package cloudwatch

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go"

	"tide/internal/clocktest"
	"tide/internal/edge"
	"tide/internal/metrics"
	"tide/internal/store"
)

const (
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

var start = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// harness is the alarm API and controller over a real embedded etcd,
// behind a real edge on a loopback HTTP server, with an in-memory metric
// source and recording SNS and scaling-policy sinks.
type harness struct {
	api      *API
	st       *store.Store
	clock    *clocktest.Clock
	metrics  *memMetrics    // what the controller reads
	store    *metrics.Store // what the metric operations serve
	sns      *recorder
	policies *recorder
	ctrl     *Controller
	url      string
	sdk      *cloudwatch.Client
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st, err := store.Open(ctx, e.Client(), "/tide/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	h := &harness{st: st, clock: clocktest.New(start), metrics: &memMetrics{}, sns: &recorder{}, policies: &recorder{}}
	h.store = metrics.New(h.clock.Now)
	h.api = New(st, quiet, Config{Region: testRegion, AccountID: testAcct, Now: h.clock.Now, Metrics: h.store})
	h.ctrl = NewController(h.api, quiet, ControllerConfig{Metrics: h.metrics, Notifier: h.sns, Policies: h.policies, Now: h.clock.Now, Delay: time.Second})
	ed := edge.New(quiet, nil)
	ed.RegisterAPI(h.api.EdgeAPI())
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.sdk = cloudwatch.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *cloudwatch.Options) {
		o.BaseEndpoint = aws.String(srv.URL) // the SDK's own protocol: Smithy RPC v2 CBOR
	})
	return h
}

type rawResult struct {
	Status        int
	Code, Message string
	Body          string
}

// raw sends an awsquery request with the given form parameters (Version
// is added unless present).
func (h *harness) raw(t testing.TB, action, params string) rawResult {
	t.Helper()
	vals, err := url.ParseQuery(params)
	if err != nil {
		t.Fatalf("bad test parameters %q: %v", params, err)
	}
	vals.Set("Action", action)
	if !vals.Has("Version") {
		vals.Set("Version", Version)
	}
	resp, err := http.Post(h.url+"/", "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	xml.Unmarshal(b, &e)
	return rawResult{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Body: string(b)}
}

// advance moves the clock and runs one controller step.
func (h *harness) advance(t testing.TB, d time.Duration) {
	t.Helper()
	h.clock.Advance(d)
	h.ctrl.Step(context.Background())
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ---------------------------------------------------------------- metric source

// sample is one observation put into memMetrics.
type sample struct {
	namespace, name string
	dims            []metrics.Dimension
	at              time.Time
	value           float64
}

// memMetrics is a small metric store: raw samples, aggregated on query
// into the statistic per period, one Point per period with data.
type memMetrics struct {
	mu      sync.Mutex
	samples []sample
}

func (m *memMetrics) put(namespace, name string, dims []metrics.Dimension, at time.Time, values ...float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		m.samples = append(m.samples, sample{namespace, name, dims, at, v})
	}
}

func (m *memMetrics) Get(q metrics.Query) []metrics.Point {
	m.mu.Lock()
	defer m.mu.Unlock()
	byPeriod := map[time.Time][]float64{}
	for _, s := range m.samples {
		if s.namespace != q.Namespace || s.name != q.MetricName || !sameDimensions(s.dims, q.Dimensions) ||
			s.at.Before(q.Start) || !s.at.Before(q.End) {
			continue
		}
		p := q.Start.Add(s.at.Sub(q.Start) / q.Period * q.Period)
		byPeriod[p] = append(byPeriod[p], s.value)
	}
	var out []metrics.Point
	for p, vs := range byPeriod {
		out = append(out, metrics.Point{Time: p, Value: statOf(q.Stat, vs)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func statOf(stat string, vs []float64) float64 {
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	switch stat {
	case "SampleCount":
		return float64(len(vs))
	case "Sum":
		return sum
	case "Minimum":
		return slices.Min(vs)
	case "Maximum":
		return slices.Max(vs)
	case "Average":
		return sum / float64(len(vs))
	}
	if p, ok := percentile(stat); ok {
		s := slices.Sorted(slices.Values(vs))
		return s[max(0, int(math.Ceil(p/100*float64(len(s))))-1)]
	}
	return math.NaN()
}

// ---------------------------------------------------------------- action sinks

// call is one Notify or InvokePolicy call.
type call struct {
	ARN, Subject, Message string
	Inv                   Invocation
}

// recorder is a Notifier and a PolicyInvoker that records its calls and
// fails those whose ARN is in fail.
type recorder struct {
	mu     sync.Mutex
	calls  []call
	fail   map[string]error
	onCall func() // called after each call, if set
}

func (r *recorder) Notify(_ context.Context, topic, subject, message string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{ARN: topic, Subject: subject, Message: message})
	if r.onCall != nil {
		r.onCall()
	}
	return r.fail[topic]
}

func (r *recorder) InvokePolicy(_ context.Context, policy string, inv Invocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{ARN: policy, Inv: inv})
	return r.fail[policy]
}

// take returns and forgets the calls so far.
func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}
