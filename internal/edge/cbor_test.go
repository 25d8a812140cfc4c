package edge_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/edge"
	"tide/internal/rpcv2"
	"tide/internal/sigv4"
)

const cborPath = "/service/" + cwService + "/operation/"

func cborRequest(method, path string, body []byte, header ...string) *http.Request {
	r := httptest.NewRequest(method, "http://tide.test"+path, bytes.NewReader(body))
	r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	r.Header.Set("Accept", "application/cbor")
	if len(body) > 0 {
		r.Header.Set("Content-Type", "application/cbor")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := rpcv2.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

type wireError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// TestCBORResponses checks the wire of RPC v2 CBOR responses: routing,
// headers, bodies and errors with their query-compatible header.
func TestCBORResponses(t *testing.T) {
	h, _ := newCWEdge(nil)
	put := func(ns string) []byte { return mustCBOR(t, cwPutIn{Namespace: &ns}) }
	cases := []struct {
		name       string
		req        *http.Request
		status     int
		body       bool // a CBOR body on success
		code, msg  string
		queryError string
	}{
		{"unit output has no body", cborRequest("POST", cborPath+"PutMetricData", put("ns")), 200, false, "", "", ""},
		{"empty input body", cborRequest("POST", cborPath+"PutMetricData", nil), 200, false, "", "", ""},
		{"indefinite empty map", cborRequest("POST", cborPath+"PutMetricData", []byte{0xbf, 0xff}), 200, false, "", "", ""},
		{"gzip body", cborRequest("POST", cborPath+"PutMetricData", gzipped(put("ns")), "Content-Encoding", "gzip"), 200, false, "", "", ""},
		{"output", cborRequest("POST", cborPath+"ListMetrics", nil), 200, true, "", "", ""},
		{"absolute service name", cborRequest("POST", "/service/com.amazonaws.cloudwatch."+cwService+"/operation/ListMetrics", nil), 200, true, "", "", ""},
		{"path prefix", cborRequest("POST", "/v1/x"+cborPath+"ListMetrics", nil), 200, true, "", "", ""},
		{"unknown operation", cborRequest("POST", cborPath+"Nope", nil), 404, false, "UnknownOperationException", "", "UnknownOperationException;Sender"},
		{"absolute operation name", cborRequest("POST", cborPath+"com.amazonaws.cloudwatch.ListMetrics", nil), 404, false, "UnknownOperationException", "", "UnknownOperationException;Sender"},
		{"unknown service", cborRequest("POST", "/service/Other/operation/ListMetrics", nil), 404, false, "UnknownOperationException", "", ""},
		{"not an RPC path", cborRequest("POST", "/", nil), 404, false, "UnknownOperationException", "", ""},
		{"GET", cborRequest("GET", cborPath+"ListMetrics", nil), 405, false, "UnknownOperationException", "must use POST", "UnknownOperationException;Sender"},
		{"X-Amz-Target", cborRequest("POST", cborPath+"ListMetrics", nil, "X-Amz-Target", cwService+".ListMetrics"), 400, false,
			"SerializationException", "must not carry X-Amz-Target", "SerializationException;Sender"},
		{"malformed body", cborRequest("POST", cborPath+"PutMetricData", []byte{0xff}), 400, false,
			"SerializationException", "break can not be converted to Structure", "SerializationException;Sender"},
		{"wrong type", cborRequest("POST", cborPath+"PutMetricData", []byte{0xa1, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x01}), 400, false,
			"SerializationException", "unsigned integer can not be converted to String at Namespace", "SerializationException;Sender"},
		{"bad gzip", cborRequest("POST", cborPath+"PutMetricData", []byte("not gzip"), "Content-Encoding", "gzip"), 400, false,
			"SerializationException", "not gzip data", "SerializationException;Sender"},
		{"unknown encoding", cborRequest("POST", cborPath+"PutMetricData", put("ns"), "Content-Encoding", "br"), 400, false,
			"SerializationException", "unsupported Content-Encoding br", "SerializationException;Sender"},
		{"client error", cborRequest("POST", cborPath+"PutMetricData", put("fail")), 400, false,
			"com.amazonaws.cloudwatch#InvalidParameterValueException", "The value fail for parameter Namespace is not valid.", "InvalidParameterValue;Sender"},
		{"server error", cborRequest("POST", cborPath+"PutMetricData", put("boom")), 500, false, "InternalFailure", "", "InternalFailure;Receiver"},
		{"panic", cborRequest("POST", cborPath+"PutMetricData", put("panic")), 500, false, "InternalFailure", "", "InternalFailure;Receiver"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(h, tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %x", w.Code, tc.status, w.Body.Bytes())
			}
			if w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" || w.Header().Get("x-amzn-RequestId") == "" {
				t.Fatalf("headers %v", w.Header())
			}
			if got := w.Header().Get("X-Amzn-Query-Error"); got != tc.queryError {
				t.Fatalf("x-amzn-query-error %q, want %q", got, tc.queryError)
			}
			if w.Header().Get("X-Amzn-ErrorType") != "" {
				t.Fatal("X-Amzn-ErrorType is set")
			}
			hasBody := tc.body || tc.code != ""
			if ct := w.Header().Get("Content-Type"); (ct == "application/cbor") != hasBody || hasBody != (w.Body.Len() > 0) {
				t.Fatalf("content type %q with %d bytes", ct, w.Body.Len())
			}
			if tc.code == "" {
				return
			}
			var e wireError
			if err := rpcv2.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body %x: %v", w.Body.Bytes(), err)
			}
			if e.Type != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("error %q %q, want %q containing %q", e.Type, e.Message, tc.code, tc.msg)
			}
		})
	}
}

// TestCBORRoundTrip sends what the Go SDK sends (indefinite lengths, tag 1
// floats) and reads the output back.
func TestCBORRoundTrip(t *testing.T) {
	h, _ := newCWEdge(nil)
	in := []byte{0xbf}
	in = append(in, mustCBOR(t, "Namespace")...)
	in = append(in, mustCBOR(t, "ns")...)
	in = append(in, mustCBOR(t, "MetricData")...)
	in = append(in, 0x9f, 0xbf)
	in = append(in, mustCBOR(t, "MetricName")...)
	in = append(in, mustCBOR(t, "m")...)
	in = append(in, mustCBOR(t, "Value")...)
	in = append(in, 0xfb, 0x40, 0x04, 0, 0, 0, 0, 0, 0) // 2.5
	in = append(in, mustCBOR(t, "Timestamp")...)
	in = append(in, 0xc1, 0xfb, 0x41, 0xd9, 0x54, 0xfc, 0x40, 0x10, 0, 0) // 1700000000.25
	in = append(in, 0xff, 0xff, 0xff)
	if w := serve(h, cborRequest("POST", cborPath+"PutMetricData", in)); w.Code != 200 {
		t.Fatalf("put: %d %x", w.Code, w.Body.Bytes())
	}
	stats := mustCBOR(t, cwStatsIn{Namespace: ptr("ns"), MetricName: ptr("m")})
	w := serve(h, cborRequest("POST", cborPath+"GetMetricStatistics", stats))
	var out cwStatsOut
	if err := rpcv2.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%d %x: %v", w.Code, w.Body.Bytes(), err)
	}
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Average != 2.5 || !out.Datapoints[0].Timestamp.Equal(time.Unix(1700000000, 250e6)) {
		t.Fatalf("datapoints %+v", out.Datapoints)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCBORBodyLimit(t *testing.T) {
	h, _ := newCWEdge(nil)
	big := bytes.Repeat([]byte{0}, edge.MaxBodyBytes+1)
	for name, r := range map[string]*http.Request{
		"body":      cborRequest("POST", cborPath+"PutMetricData", big),
		"gzip bomb": cborRequest("POST", cborPath+"PutMetricData", gzipped(big), "Content-Encoding", "gzip"),
	} {
		w := serve(h, r)
		var e wireError
		if err := rpcv2.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != http.StatusRequestEntityTooLarge || e.Type != "RequestEntityTooLargeException" {
			t.Errorf("%s: %d %+v %v", name, w.Code, e, err)
		}
	}
}

// TestCBORSignature checks that CBOR requests are verified, and that the
// query-compatible header carries the awsquery code of signature errors.
func TestCBORSignature(t *testing.T) {
	h, _ := newCWEdge(verifier())
	signed := func(body, signedBody []byte, key string) *http.Request {
		r := cborRequest("POST", cborPath+"ListMetrics", body)
		sigv4.Sign(r, signedBody, key, qSecret, "us-east-1", "monitoring", time.Now())
		return r
	}
	if w := serve(h, signed([]byte{0xa0}, []byte{0xa0}, qKey)); w.Code != 200 {
		t.Fatalf("signed request: %d %x", w.Code, w.Body.Bytes())
	}
	cases := []struct {
		name              string
		req               *http.Request
		code, queryHeader string
	}{
		{"unsigned", cborRequest("POST", cborPath+"ListMetrics", nil), "MissingAuthenticationTokenException", "MissingAuthenticationToken;Sender"},
		{"tampered", signed([]byte{0xa1, 0x61, 'x', 0x01}, []byte{0xa0}, qKey), "InvalidSignatureException", "SignatureDoesNotMatch;Sender"},
		{"unknown key", signed([]byte{0xa0}, []byte{0xa0}, "AKIAOTHER00000000000"), "UnrecognizedClientException", "InvalidClientTokenId;Sender"},
	}
	for _, tc := range cases {
		w := serve(h, tc.req)
		var e wireError
		if err := rpcv2.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s: %x: %v", tc.name, w.Body.Bytes(), err)
		}
		if w.Code != 400 || e.Type != tc.code || w.Header().Get("X-Amzn-Query-Error") != tc.queryHeader {
			t.Errorf("%s: %d %s %q, want 400 %s %q", tc.name, w.Code, e.Type, w.Header().Get("X-Amzn-Query-Error"), tc.code, tc.queryHeader)
		}
	}
}

// TestJSONQueryCompatible checks the x-amzn-query-error header and the
// __type of AWS JSON errors of a query-compatible API, and that other
// APIs' errors have neither.
func TestJSONQueryCompatible(t *testing.T) {
	h, _ := newCWEdge(nil)
	cases := []struct {
		target, body              string
		status                    int
		code, errorType, queryErr string
	}{
		{cwService + ".PutMetricData", `{"Namespace":"fail"}`, 400, "com.amazonaws.cloudwatch#InvalidParameterValueException", "com.amazonaws.cloudwatch#InvalidParameterValueException", "InvalidParameterValue;Sender"},
		{cwService + ".PutMetricData", `{"Namespace":"boom"}`, 500, "InternalFailure", "InternalFailure", "InternalFailure;Receiver"},
		{cwService + ".PutMetricData", `{"Namespace":1}`, 400, "SerializationException", "SerializationException", "SerializationException;Sender"},
		{cwService + ".Nope", `{}`, 400, "UnknownOperationException", "UnknownOperationException", "UnknownOperationException;Sender"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
		r.Header.Set("X-Amz-Target", tc.target)
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		w := serve(h, r)
		var e wireError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		got := []any{w.Code, e.Type, w.Header().Get("X-Amzn-ErrorType"), w.Header().Get("X-Amzn-Query-Error"), w.Header().Get("Content-Type")}
		want := []any{tc.status, tc.code, tc.errorType, tc.queryErr, "application/x-amz-json-1.0"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.target, tc.body, diff)
		}
	}
	if w := do(newEdge(), "Test_20200101.Fail", `{}`); w.Header().Get("X-Amzn-Query-Error") != "" {
		t.Errorf("a service that is not query-compatible sent x-amzn-query-error %q", w.Header().Get("X-Amzn-Query-Error"))
	}
}

func TestCBORDuplicateService(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering a CBOR service twice did not panic")
		}
	}()
	e, _ := newCWEdge(nil)
	e.RegisterAPI(&edge.API{CBORService: cwService})
}

// FuzzCBOR feeds arbitrary bodies to PutMetricData over RPC v2 CBOR: the
// answer is a 200 or a 400 whose body is a CBOR error, never a 500.
func FuzzCBOR(f *testing.F) {
	f.Add(mustCBOR(f, cwPutIn{Namespace: ptr("ns"), MetricData: []cwDatum{{MetricName: ptr("m"), Value: ptr(1.0), Values: []float64{1, 2}}}}))
	f.Add([]byte{0xbf, 0xff})
	f.Add([]byte{0xa1, 0x6a, 'M', 'e', 't', 'r', 'i', 'c', 'D', 'a', 't', 'a', 0x9f, 0xa0, 0xff})
	f.Add([]byte{0xff})
	f.Add([]byte{})
	h, _ := newCWEdge(nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := serve(h, cborRequest("POST", cborPath+"PutMetricData", body))
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for %x: %x", w.Code, body, w.Body.Bytes())
		}
		if w.Code == 400 {
			var e wireError
			if err := rpcv2.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Type == "" {
				t.Fatalf("error body %x: %v", w.Body.Bytes(), err)
			}
		}
	})
}
