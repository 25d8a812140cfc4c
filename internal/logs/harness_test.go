package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"tide/internal/clocktest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"

	"tide/internal/edge"
	"tide/internal/sigv4"
	"tide/internal/store"
)

const (
	testKey    = "AKIALOGSTEST00000001"
	testSecret = "logsTestSecret/0123456789abcdefghijklmnop"
	testRegion = "us-east-1"
	testAcct   = "000000000000"
)

// harness is the Logs API over a real embedded etcd, behind a real edge
// that verifies signatures, on a loopback HTTP server.
type harness struct {
	api   *API
	st    *store.Store
	dir   string
	clock *clocktest.Clock
	url   string
	sdk   *cloudwatchlogs.Client
}

func newHarness(t *testing.T) *harness {
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
	h := &harness{st: st, dir: t.TempDir(), clock: clocktest.New(time.Now())}
	h.api = h.open(t)
	ed := edge.New(quiet, &sigv4.Verifier{Region: testRegion, Secret: func(id string) (string, bool) {
		return testSecret, id == testKey
	}})
	// Route through whatever API the harness holds now, so that a test
	// can reopen it (a restart) behind the same URL.
	svc := h.api.Service()
	for op := range svc.Ops {
		name := op
		svc.Ops[op] = func(ctx context.Context, body []byte) (any, error) { return h.api.Service().Ops[name](ctx, body) }
	}
	ed.Register(svc)
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.sdk = cloudwatchlogs.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return h
}

// open starts an API over the harness's store and directory.
func (h *harness) open(t *testing.T) *API {
	t.Helper()
	a, err := New(h.st, h.dir, slog.New(slog.DiscardHandler), Config{Region: testRegion, AccountID: testAcct, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// restart closes the API and opens a new one on the same data, as a
// server restart does.
func (h *harness) restart(t *testing.T) {
	h.api.Close()
	h.api = h.open(t)
}

type rawResult struct {
	Status        int
	Type, Message string
	Body          string
}

// raw sends a signed request with an arbitrary body.
func (h *harness) raw(t *testing.T, op, body string) rawResult {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", TargetPrefix+"."+op)
	if err := sigv4.Sign(req, []byte(body), testKey, testSecret, testRegion, "logs", time.Now()); err != nil {
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
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	json.Unmarshal(b, &e)
	return rawResult{Status: resp.StatusCode, Type: e.Type, Message: e.Message, Body: string(b)}
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

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
