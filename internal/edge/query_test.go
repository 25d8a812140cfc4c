package edge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/sigv4"
)

const (
	qKey    = "AKIAQUERYTEST0000001"
	qSecret = "querySecret/0123456789abcdefghijklmnopq"
	qNS     = "http://example.com/doc/2020-01-01/"
)

type qEchoIn struct {
	Name  *string
	Count *int32
	Names []string
}

type qEchoOut struct {
	Name   *string
	Count  *int32
	Names  []string
	Caller string
}

func newQueryEdge(v *sigv4.Verifier) *edge.Edge {
	e := edge.New(slog.New(slog.DiscardHandler), v)
	e.RegisterQuery(&edge.QueryService{Version: "2020-01-01", Namespace: qNS, Ops: map[string]edge.QueryHandler{
		"Echo": edge.QueryOp(func(ctx context.Context, in *qEchoIn) (*qEchoOut, error) {
			id, _ := edge.Caller(ctx)
			return &qEchoOut{Name: in.Name, Count: in.Count, Names: in.Names, Caller: id.AccessKeyID}, nil
		}),
		"Fail": edge.QueryOp(func(ctx context.Context, in *qEchoIn) (*struct{}, error) {
			return nil, awserr.Client("ThingNotFound", "Thing <x> not found.")
		}),
		"Bug":   edge.QueryOp(func(ctx context.Context, in *qEchoIn) (*struct{}, error) { return nil, errors.New("disk on fire") }),
		"Panic": edge.QueryOp(func(ctx context.Context, in *qEchoIn) (*struct{}, error) { panic("boom") }),
	}})
	e.RegisterQuery(&edge.QueryService{Version: "2010-03-31", Namespace: "http://sns/", InvalidParameterCode: "InvalidParameter", Ops: map[string]edge.QueryHandler{
		"Echo": edge.QueryOp(func(ctx context.Context, in *qEchoIn) (*qEchoOut, error) { return &qEchoOut{}, nil }),
	}})
	return e
}

type queryError struct {
	Type, Code, Message, RequestID string
}

func parseQueryError(t *testing.T, body []byte) queryError {
	t.Helper()
	var e struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		NS      string   `xml:"xmlns,attr"`
		Error   struct {
			Type, Code, Message string
		}
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not an ErrorResponse: %v\n%s", err, body)
	}
	return queryError{e.Error.Type, e.Error.Code, e.Error.Message, e.RequestID}
}

func postForm(h http.Handler, body string, sign bool) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://tide.test/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if sign {
		sigv4.Sign(r, []byte(body), qKey, qSecret, "us-east-1", "elasticloadbalancing", time.Now())
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestQueryErrors(t *testing.T) {
	h := newQueryEdge(nil)
	cases := []struct {
		body        string
		status      int
		fault, code string
		msg         string
	}{
		{"Action=Echo&Version=2020-01-01&Name=x", 200, "", "", ""},
		{"Action=Fail&Version=2020-01-01", 400, "Sender", "ThingNotFound", "Thing <x> not found."},
		{"Action=Bug&Version=2020-01-01", 500, "Receiver", "InternalFailure", ""},
		{"Action=Panic&Version=2020-01-01", 500, "Receiver", "InternalFailure", ""},
		{"Action=Nope&Version=2020-01-01", 400, "Sender", "InvalidAction", "Could not find operation Nope for version 2020-01-01"},
		{"Action=Echo", 400, "Sender", "InvalidAction", "Could not find operation Echo for version NO_VERSION_SPECIFIED"},
		{"Action=Echo&Version=1999-01-01", 400, "Sender", "InvalidAction", "Could not find operation Echo for version 1999-01-01"},
		{"Version=2020-01-01", 400, "Sender", "MissingAction", ""},
		{"Action=Echo&Version=2020-01-01&Count=many", 400, "Sender", "ValidationError", "Invalid value 'many' for parameter Count: must be an integer of 32 bits"},
		{"Action=Echo&Version=2020-01-01&Extra=1", 400, "Sender", "ValidationError", "The parameter Extra is not recognized"},
		{"Action=Echo&Version=2010-03-31&Extra=1", 400, "Sender", "InvalidParameter", "The parameter Extra is not recognized"},
		{"Action=Echo&Version=2020-01-01&Name=%zz", 400, "Sender", "MalformedQueryString", ""},
	}
	for _, tc := range cases {
		t.Run(tc.body, func(t *testing.T) {
			w := postForm(h, tc.body, false)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
				t.Fatalf("content type %q", ct)
			}
			id := w.Header().Get("x-amzn-RequestId")
			if id == "" {
				t.Fatal("missing x-amzn-RequestId")
			}
			if tc.code == "" {
				return
			}
			e := parseQueryError(t, w.Body.Bytes())
			if e.Type != tc.fault || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) || e.RequestID != id {
				t.Fatalf("error %+v, want %s %s containing %q and request ID %s", e, tc.fault, tc.code, tc.msg, id)
			}
		})
	}
}

func TestQueryResult(t *testing.T) {
	w := postForm(newQueryEdge(nil), "Action=Echo&Version=2020-01-01&Name=a%26b&Count=3&Names.member.1=x&Names.member.2=y", false)
	want := `<EchoResponse xmlns="` + qNS + `"><EchoResult><Name>a&amp;b</Name><Count>3</Count>` +
		`<Names><member>x</member><member>y</member></Names><Caller></Caller></EchoResult>` +
		`<ResponseMetadata><RequestId>` + w.Header().Get("x-amzn-RequestId") + `</RequestId></ResponseMetadata></EchoResponse>`
	if w.Code != 200 || w.Body.String() != want {
		t.Fatalf("%d\n%s\nwant\n%s", w.Code, w.Body, want)
	}
}

func verifier() *sigv4.Verifier {
	return &sigv4.Verifier{Region: "us-east-1", Secret: func(id string) (string, bool) { return qSecret, id == qKey }}
}

func TestQuerySignature(t *testing.T) {
	h := newQueryEdge(verifier())
	w := postForm(h, "Action=Echo&Version=2020-01-01&Name=x", true)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<Caller>"+qKey+"</Caller>") {
		t.Fatalf("signed request: %d %s", w.Code, w.Body)
	}
	cases := []struct {
		name        string
		req         func() *http.Request
		status      int
		code, msgIn string
	}{
		{"unsigned", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://tide.test/", strings.NewReader("Action=Echo&Version=2020-01-01"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"tampered body", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://tide.test/", strings.NewReader("Action=Echo&Version=2020-01-01&Name=y"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sigv4.Sign(r, []byte("Action=Echo&Version=2020-01-01&Name=x"), qKey, qSecret, "us-east-1", "elasticloadbalancing", time.Now())
			return r
		}, 403, "SignatureDoesNotMatch", "does not match"},
		{"unknown key", func() *http.Request {
			body := "Action=Echo&Version=2020-01-01"
			r := httptest.NewRequest(http.MethodPost, "http://tide.test/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sigv4.Sign(r, []byte(body), "AKIAOTHER00000000000", qSecret, "us-east-1", "elasticloadbalancing", time.Now())
			return r
		}, 403, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"bad authorization", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "http://tide.test/", strings.NewReader("Action=Echo&Version=2020-01-01"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 nonsense")
			return r
		}, 400, "IncompleteSignature", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req())
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			e := parseQueryError(t, w.Body.Bytes())
			if e.Code != tc.code || !strings.Contains(e.Message, tc.msgIn) {
				t.Fatalf("error %+v, want %s containing %q", e, tc.code, tc.msgIn)
			}
		})
	}
}

// TestQueryGET serves a GET with the parameters in the query string, signed
// in the header form and presigned, as the SDKs' presigners make them.
func TestQueryGET(t *testing.T) {
	srv := httptest.NewServer(newQueryEdge(verifier()))
	defer srv.Close()
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: qKey, SecretAccessKey: qSecret}
	empty := sha256.Sum256(nil)
	hash := hex.EncodeToString(empty[:])

	r, _ := http.NewRequest(http.MethodGet, srv.URL+"/?Action=Echo&Version=2020-01-01&Name=get", nil)
	if err := signer.SignHTTP(context.Background(), creds, r, hash, "elasticloadbalancing", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if body := fetch(t, r, 200); !strings.Contains(body, "<Name>get</Name>") {
		t.Fatalf("header-signed GET: %s", body)
	}

	r, _ = http.NewRequest(http.MethodGet, srv.URL+"/?Action=Echo&Version=2020-01-01&Name=presigned", nil)
	u, _, err := signer.PresignHTTP(context.Background(), creds, r, hash, "elasticloadbalancing", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, _ = http.NewRequest(http.MethodGet, u, nil)
	if body := fetch(t, r, 200); !strings.Contains(body, "<Name>presigned</Name>") {
		t.Fatalf("presigned GET: %s", body)
	}

	// A GET without Action is not a query request: the mux answers it.
	r, _ = http.NewRequest(http.MethodGet, srv.URL+"/?Version=2020-01-01", nil)
	fetch(t, r, 404)
}

func fetch(t *testing.T, r *http.Request, status int) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, b)
	}
	return string(b)
}

func TestQueryBodyLimit(t *testing.T) {
	w := postForm(newQueryEdge(nil), "Action=Echo&Version=2020-01-01&Name="+strings.Repeat("x", edge.MaxBodyBytes), false)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", w.Code)
	}
	if e := parseQueryError(t, w.Body.Bytes()); e.Code != "RequestEntityTooLarge" {
		t.Fatalf("error %+v", e)
	}
}

func TestQueryDuplicateVersion(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering a version twice did not panic")
		}
	}()
	e := newQueryEdge(nil)
	e.RegisterQuery(&edge.QueryService{Version: "2020-01-01"})
}

// FuzzQuery feeds arbitrary form bodies through the edge: the answer is a
// 200 result or a 400 ErrorResponse, both well-formed XML, never a 500.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"Action=Echo&Version=2020-01-01", "Action=Echo&Version=2020-01-01&Names.member.1=a", "Action=Echo&Version=2020-01-01&Count=x", "%", "Action=Echo&Version=2020-01-01&Name=%00", ""} {
		f.Add(s)
	}
	h := newQueryEdge(nil)
	f.Fuzz(func(t *testing.T, body string) {
		w := postForm(h, body, false)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		d := xml.NewDecoder(bytes.NewReader(w.Body.Bytes()))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("response to %q is not XML: %v\n%s", body, err, w.Body)
			}
		}
		if w.Code == 400 {
			parseQueryError(t, w.Body.Bytes())
		}
	})
}
