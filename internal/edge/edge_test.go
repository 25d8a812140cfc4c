package edge_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
)

type echoIn struct {
	Name  *string           `json:"name"`
	Count *int32            `json:"count"`
	Flag  *bool             `json:"flag"`
	List  []string          `json:"list"`
	Map   map[string]string `json:"map"`
	When  *awsjson.Time     `json:"when"`
	Inner *struct {
		Big *int64 `json:"big"`
	} `json:"inner"`
}

func newEdge() *edge.Edge {
	e := edge.New(slog.New(slog.DiscardHandler), nil)
	e.Register(&edge.Service{TargetPrefix: "Test_20200101", JSONVersion: "1.1", Ops: map[string]edge.Handler{
		"Echo": edge.Op(func(ctx context.Context, in *echoIn) (*echoIn, error) { return in, nil }),
		"Fail": edge.Op(func(ctx context.Context, in *echoIn) (*echoIn, error) {
			return nil, awserr.Client("ThingNotFoundException", "Thing not found.")
		}),
		"Bug":   edge.Op(func(ctx context.Context, in *echoIn) (*echoIn, error) { return nil, errors.New("disk on fire") }),
		"Panic": edge.Op(func(ctx context.Context, in *echoIn) (*echoIn, error) { panic("boom") }),
	}})
	return e
}

func do(h http.Handler, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", target)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestEdgeErrors(t *testing.T) {
	h := newEdge()
	cases := []struct {
		target, body string
		status       int
		code, msg    string
	}{
		{"Test_20200101.Echo", `{"name":"x","count":3,"when":1700000000.5}`, 200, "", ""},
		{"Test_20200101.Echo", ``, 200, "", ""},
		{"Test_20200101.Fail", `{}`, 400, "ThingNotFoundException", "Thing not found."},
		{"Test_20200101.Bug", `{}`, 500, "InternalFailure", ""},
		{"Test_20200101.Panic", `{}`, 500, "InternalFailure", ""},
		{"Test_20200101.Nope", `{}`, 400, "UnknownOperationException", ""},
		{"Other.Echo", `{}`, 400, "UnknownOperationException", ""},
		{"Test_20200101.Echo", `{"name":`, 400, "SerializationException", ""},
		{"Test_20200101.Echo", `{"count":"three"}`, 400, "SerializationException", "STRING_VALUE can not be converted to Integer"},
		{"Test_20200101.Echo", `{"count":1.5}`, 400, "SerializationException", ""},
		{"Test_20200101.Echo", `{"count":99999999999}`, 400, "SerializationException", ""},
		{"Test_20200101.Echo", `{"list":"x"}`, 400, "SerializationException", "STRING_VALUE can not be converted to List"},
		{"Test_20200101.Echo", `{"when":"yesterday"}`, 400, "SerializationException", ""},
		{"Test_20200101.Echo", `"just a string"`, 400, "SerializationException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.target+tc.body, func(t *testing.T) {
			w := do(h, tc.target, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if w.Header().Get("x-amzn-RequestId") == "" {
				t.Fatal("missing x-amzn-RequestId")
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Fatalf("content type %q", ct)
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("body is not JSON: %s", w.Body)
			}
			if e.Type != tc.code || tc.msg != "" && e.Message != tc.msg {
				t.Fatalf("error %q %q, want %q %q", e.Type, e.Message, tc.code, tc.msg)
			}
			if tc.code != "" && w.Header().Get("X-Amzn-ErrorType") != tc.code {
				t.Fatalf("X-Amzn-ErrorType %q", w.Header().Get("X-Amzn-ErrorType"))
			}
		})
	}
}

func TestEdgeTimestampRoundTrip(t *testing.T) {
	w := do(newEdge(), "Test_20200101.Echo", `{"when":1700000000.123}`)
	if got := strings.TrimSpace(w.Body.String()); got != `{"name":null,"count":null,"flag":null,"list":null,"map":null,"when":1700000000.123,"inner":null}` {
		t.Fatalf("echo = %s", got)
	}
}

func TestEdgeBodyLimit(t *testing.T) {
	w := do(newEdge(), "Test_20200101.Echo", `{"name":"`+strings.Repeat("x", edge.MaxBodyBytes)+`"}`)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", w.Code)
	}
}

// FuzzDecode feeds arbitrary bodies through the JSON codec and an operation:
// the answer is always 200 or a 400 in AWS's JSON error shape, never a panic
// or a 500.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"a","count":1,"list":["x"],"map":{"k":"v"},"when":1.5,"inner":{"big":9}}`, `{"count":"x"}`, `[`, `nul`, ``} {
		f.Add(s)
	}
	h := newEdge()
	f.Fuzz(func(t *testing.T, body string) {
		w := do(h, "Test_20200101.Echo", body)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON response %q", w.Body)
		}
		io.Discard.Write(w.Body.Bytes())
	})
}
