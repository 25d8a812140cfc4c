package elbv2

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"tide/internal/clocktest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"

	"tide/internal/edge"
	"tide/internal/lb"
	"tide/internal/sigv4"
	"tide/internal/store"
)

const (
	testKey    = "AKIAELBV2TEST0000001"
	testSecret = "elbv2TestSecret/0123456789abcdefghijklmn"
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

// fakeHealth is a data plane's health reports, set by tests.
type fakeHealth struct {
	mu sync.Mutex
	m  map[string]map[string]lb.TargetHealth
}

func (f *fakeHealth) TargetHealth(tgARN string) map[string]lb.TargetHealth {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[tgARN]
}

func (f *fakeHealth) set(tgARN, key string, h lb.TargetHealth) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]map[string]lb.TargetHealth{}
	}
	if f.m[tgARN] == nil {
		f.m[tgARN] = map[string]lb.TargetHealth{}
	}
	f.m[tgARN][key] = h
}

// instances resolves instance targets, as ECS's container instances do.
type instances struct {
	mu    sync.Mutex
	hosts map[string]string
}

func (i *instances) resolve(id string) (string, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	h, ok := i.hosts[id]
	return h, ok
}

// harness is the ELBv2 API over a real embedded etcd, behind a real edge
// that verifies signatures, on a loopback HTTP server, with the AWS SDK's
// client.
type harness struct {
	api    *API
	st     *store.Store
	clock  *clocktest.Clock
	health *fakeHealth
	inst   *instances
	url    string
	sdk    *elb.Client
	dir    string
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
	h := &harness{
		st: st, clock: clocktest.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)), health: &fakeHealth{},
		inst: &instances{hosts: map[string]string{"i-0123456789abcdef0": "10.0.0.5"}}, dir: t.TempDir(),
	}
	h.api = New(st, quiet, Config{Region: testRegion, AccountID: testAcct, Now: h.clock.Now, ResolveInstance: h.inst.resolve, Health: h.health})
	ed := edge.New(quiet, &sigv4.Verifier{Region: testRegion, Secret: func(id string) (string, bool) {
		return testSecret, id == testKey
	}})
	ed.RegisterQuery(h.api.Service())
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.sdk = elb.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *elb.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return h
}

type rawResult struct {
	Status              int
	Type, Code, Message string
	Body                string
}

// raw sends a signed query request with the given parameters (Version is
// added unless present).
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
	body := vals.Encode()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := sigv4.Sign(req, []byte(body), testKey, testSecret, testRegion, "elasticloadbalancing", time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader([]byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Type, Code, Message string }
	}
	xml.Unmarshal(b, &e)
	return rawResult{Status: resp.StatusCode, Type: e.Error.Type, Code: e.Error.Code, Message: e.Error.Message, Body: string(b)}
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
