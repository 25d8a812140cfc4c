package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fuzzRequest builds the request a Go server would see from fuzzed parts.
// It carries the headers of an ECS call, so the seed signed with the AWS SDK
// verifies.
func fuzzRequest(path, rawQuery, authz, amzDate string, body []byte) *http.Request {
	method, uri := http.MethodPost, path
	if len(body) == 0 {
		method = http.MethodGet
	}
	if rawQuery != "" {
		uri += "?" + rawQuery
	}
	r := &http.Request{
		Method:        method,
		RequestURI:    uri,
		URL:           &url.URL{Path: path, RawQuery: rawQuery},
		Host:          testHost,
		Header:        http.Header{},
		ContentLength: int64(len(body)),
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", jsonTarget)
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	if amzDate != "" {
		r.Header.Set("X-Amz-Date", amzDate)
	}
	return r
}

// FuzzVerify feeds Verify fuzzed paths, query strings, Authorization
// headers, dates and bodies. Verify must not panic, and every failure must
// be an *Error with a known reason and wire codes. The seed corpus in
// testdata/fuzz/FuzzVerify holds an SDK-signed POST and an SDK-presigned GET
// that verify, and malformed requests.
func FuzzVerify(f *testing.F) {
	v := newVerifier(signingTime)
	v.Region = testRegion
	f.Fuzz(func(t *testing.T, path, rawQuery, authz, amzDate string, body []byte) {
		id, err := v.Verify(fuzzRequest(path, rawQuery, authz, amzDate, body), body)
		if err == nil {
			if id.AccessKeyID != testKeyID || id.Region != testRegion {
				t.Fatalf("verified with identity %+v", id)
			}
			return
		}
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("error %T is not *Error", err)
		}
		if e.Reason < ReasonMissingAuthentication || e.Reason > ReasonWrongRegion || e.Message == "" {
			t.Fatalf("bad error %#v", e)
		}
		if e.JSONCode() == "" || e.QueryCode() == "" || e.JSONStatus() < 400 || e.QueryStatus() < 400 {
			t.Fatalf("no wire error for %#v", e)
		}
	})
}

func TestVerifyLimits(t *testing.T) {
	long := "AWS4-HMAC-SHA256 Credential=" + testScope + ", SignedHeaders=host, Signature=" + strings.Repeat("0", maxAuthorizationLen)
	_, err := newVerifier(signingTime).Verify(fuzzRequest("/", "", long, "20260101T000000Z", nil), nil)
	wantError(t, err, ReasonIncompleteSignature, "Authorization header is too long.")

	r, body := signedJSON(t)
	r.URL.RawQuery = strings.Repeat("a=1&", maxQueryParams)
	_, err = newVerifier(signingTime).Verify(r, body)
	wantError(t, err, ReasonIncompleteSignature, "The query string must not have more than 1000 parameters.")

	r, body = signedJSON(t)
	r.URL.RawQuery = strings.Repeat("a=1&", maxQueryParams-1)
	_, err = newVerifier(signingTime).Verify(r, body)
	wantError(t, err, ReasonSignatureMismatch, msgMismatch)
}

func TestVerifyNilAndEmpty(t *testing.T) {
	_, err := newVerifier(signingTime).Verify(nil, nil)
	wantError(t, err, ReasonMissingAuthentication, msgMissing)

	_, err = newVerifier(signingTime).Verify(&http.Request{Header: http.Header{"Authorization": {"  "}}}, nil)
	wantError(t, err, ReasonMissingAuthentication, msgMissing)

	v := &Verifier{Now: func() time.Time { return signingTime }}
	r, body := signedJSON(t)
	_, err = v.Verify(r, body)
	wantError(t, err, ReasonUnknownAccessKey, msgUnknownKey)
}

// TestVerifyRequestForms checks requests that reach the verifier in forms
// other than a plain server request.
func TestVerifyRequestForms(t *testing.T) {
	t.Run("absolute-form request target", func(t *testing.T) {
		r, body := signedJSON(t)
		r.RequestURI = "https://" + testHost + "/"
		if _, err := newVerifier(signingTime).Verify(r, body); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("client-side request", func(t *testing.T) {
		req := newJSONRequest(t, jsonBody)
		sign(t, req, []byte(jsonBody), testSecret, testRegion, "ecs")
		if _, err := newVerifier(signingTime).Verify(req, []byte(jsonBody)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("escaped path", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, "https://"+testHost+"/a%20b/c%2Fd/%E2%9C%93", nil)
		if err != nil {
			t.Fatal(err)
		}
		sign(t, req, nil, testSecret, testRegion, "ecs")
		r, body := toServer(t, req)
		if _, err := newVerifier(signingTime).Verify(r, body); err != nil {
			t.Fatalf("%s: %v", r.RequestURI, err)
		}
	})
}
