package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKeyID  = "AKIDTIDEEXAMPLE00001"
	testSecret = "tide/Secret+Key/0123456789abcdefEXAMPLE"
	testRegion = "us-east-1"
	testHost   = "ecs.us-east-1.amazonaws.com"
	jsonTarget = "AmazonEC2ContainerServiceV20141113.ListClusters"
	jsonBody   = `{"maxResults":10,"nextToken":"a b/c=d"}`
	// emptySHA256 is the SHA-256 of an empty payload.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// signingTime is when the test requests are signed: 20260101T000000Z.
var signingTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newVerifier returns a Verifier that knows the test key and whose clock is
// fixed at now.
func newVerifier(now time.Time) *Verifier {
	return &Verifier{
		Secret: func(id string) (string, bool) {
			if id == testKeyID {
				return testSecret, true
			}
			return "", false
		},
		Now: func() time.Time { return now },
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func creds(secret string) aws.Credentials {
	return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: secret}
}

// newJSONRequest builds the client side of an ECS ListClusters call.
func newJSONRequest(t testing.TB, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://"+testHost+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", jsonTarget)
	return req
}

// sign signs req in the Authorization header form with the AWS SDK for Go v2.
func sign(t testing.TB, req *http.Request, body []byte, secret, region, service string) {
	t.Helper()
	err := v4.NewSigner().SignHTTP(context.Background(), creds(secret), req, sha256Hex(body), service, region, signingTime)
	if err != nil {
		t.Fatal(err)
	}
}

// presign presigns req with the AWS SDK for Go v2 and returns the request a
// client would then send.
func presign(t testing.TB, req *http.Request, payloadHash string, c aws.Credentials) *http.Request {
	t.Helper()
	uri, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c, req, payloadHash, "ecs", testRegion, signingTime)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(req.Method, uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if !strings.EqualFold(k, "Host") {
			out.Header[k] = vs
		}
	}
	return out
}

// toServer sends req over an in-memory wire and returns the request and body
// as a Go HTTP server sees them.
func toServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

// signedJSON returns a signed ECS request as the server sees it.
func signedJSON(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	req := newJSONRequest(t, jsonBody)
	sign(t, req, []byte(jsonBody), testSecret, testRegion, "ecs")
	return toServer(t, req)
}

// wantError checks that err is an *Error with the given reason and message.
// A message ending in "..." is matched as a prefix.
func wantError(t *testing.T, err error, reason Reason, msg string) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error = %#v, want *Error", err)
	}
	if e.Reason != reason {
		t.Errorf("reason = %v, want %v (message %q)", e.Reason, reason, e.Message)
	}
	if p, ok := strings.CutSuffix(msg, "..."); ok {
		if !strings.HasPrefix(e.Message, p) {
			t.Errorf("message = %q, want prefix %q", e.Message, p)
		}
	} else if e.Message != msg {
		t.Errorf("message = %q\nwant      %q", e.Message, msg)
	}
	return e
}

// sdkSign signs req for ECS with the given payload hash.
func sdkSign(req *http.Request, payloadHash string) error {
	return v4.NewSigner().SignHTTP(context.Background(), creds(testSecret), req, payloadHash, "ecs", testRegion, signingTime)
}
