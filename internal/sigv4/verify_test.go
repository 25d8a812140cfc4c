package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func TestVerifySignedJSONPost(t *testing.T) {
	for _, now := range []time.Time{signingTime, signingTime.Add(maxSkew), signingTime.Add(-maxSkew)} {
		r, body := signedJSON(t)
		id, err := newVerifier(now).Verify(r, body)
		if err != nil {
			t.Fatalf("now %v: %v", now, err)
		}
		want := Identity{AccessKeyID: testKeyID, Region: testRegion, Service: "ecs"}
		if diff := cmp.Diff(want, id); diff != "" {
			t.Errorf("identity (-want +got):\n%s", diff)
		}
	}
}

func TestVerifyRegionPinned(t *testing.T) {
	r, body := signedJSON(t)
	v := newVerifier(signingTime)
	v.Region = testRegion
	if _, err := v.Verify(r, body); err != nil {
		t.Fatal(err)
	}
}

// TestVerifySignedGETQuery signs GET requests whose query strings need
// encoding. The SDK sends its canonical encoding; other clients (botocore,
// the CLI) send their own, so the test also puts the original spelling on
// the wire.
func TestVerifySignedGETQuery(t *testing.T) {
	vals := url.Values{
		"Action":   {"DescribeAlarms"},
		"Version":  {"2010-08-01"},
		"Name":     {"cpu high/prod=1"},
		"Unicode":  {"café ✓ 日本"},
		"Repeated": {"zeta", "alpha", "Mid dle"},
		"Empty":    {""},
		"Tilde~":   {"a~b*c+d"},
	}
	queries := map[string]string{
		"form encoding":      vals.Encode(),
		"percent encoding":   "Action=DescribeAlarms&Version=2010-08-01&Name=cpu%20high%2Fprod%3D1&Repeated=zeta&Repeated=alpha&Repeated=Mid%20dle&Unicode=caf%C3%A9%20%E2%9C%93%20%E6%97%A5%E6%9C%AC&Empty=&Tilde~=a~b%2Ac%2Bd",
		"lower-case escapes": "Name=cpu%20high%2fprod%3d1&Repeated=b&Repeated=a&flag",
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "https://monitoring.us-east-1.amazonaws.com/?"+q, nil)
			if err != nil {
				t.Fatal(err)
			}
			sign(t, req, nil, testSecret, testRegion, "monitoring")
			r, body := toServer(t, req)
			if _, err := newVerifier(signingTime).Verify(r, body); err != nil {
				t.Fatalf("canonical query %q: %v", r.URL.RawQuery, err)
			}
			r.URL.RawQuery, r.RequestURI = q, "/?"+q
			if _, err := newVerifier(signingTime).Verify(r, body); err != nil {
				t.Fatalf("query %q: %v", q, err)
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	session := creds(testSecret)
	session.SessionToken = "FwoGZXIvYXdzE//session+token=="
	cases := []struct {
		name        string
		payloadHash string
		c           aws.Credentials
		now         time.Time
	}{
		{"empty payload hash", emptySHA256, creds(testSecret), signingTime},
		{"unsigned payload", unsignedPayload, creds(testSecret), signingTime.Add(300 * time.Second)},
		{"session token", emptySHA256, session, signingTime.Add(-maxSkew)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "https://"+testHost+"/?Action=List%20Things&Tag=b&Tag=a%2Fz&X-Amz-Expires=300", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", jsonTarget)
			r, body := toServer(t, presign(t, req, tc.payloadHash, tc.c))
			if _, err := newVerifier(tc.now).Verify(r, body); err != nil {
				t.Fatalf("%v\nquery %s", err, r.URL.RawQuery)
			}
		})
	}
}

func TestVerifyDeclaredPayloadHash(t *testing.T) {
	for _, declared := range []string{"", "UNSIGNED-PAYLOAD"} {
		req := newJSONRequest(t, jsonBody)
		hash := sha256Hex([]byte(jsonBody))
		if declared != "" {
			hash = declared
		}
		req.Header.Set("X-Amz-Content-Sha256", hash)
		if err := sdkSign(req, hash); err != nil {
			t.Fatal(err)
		}
		r, body := toServer(t, req)
		if _, err := newVerifier(signingTime).Verify(r, body); err != nil {
			t.Errorf("x-amz-content-sha256 %q: %v", hash, err)
		}
	}
}

// TestVerifyECSClient runs a real ECS client against a server that verifies
// its requests and answers failures with the JSON wire error.
func TestVerifyECSClient(t *testing.T) {
	v := newVerifier(time.Time{})
	v.Now = nil // the SDK signs with the real clock
	v.Region = testRegion
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := v.Verify(r, body); err != nil {
			e := err.(*Error)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(e.JSONStatus())
			fmt.Fprintf(w, `{"__type":%q,"message":%q}`, e.JSONCode(), e.Message)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"clusterArns":["arn:aws:ecs:us-east-1:000000000000:cluster/default"]}`)
	}))
	defer srv.Close()
	client := func(secret, region string) *ecs.Client {
		return ecs.New(ecs.Options{
			Region:       region,
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, secret, ""),
			HTTPClient:   srv.Client(),
		})
	}
	out, err := client(testSecret, testRegion).ListClusters(context.Background(), &ecs.ListClustersInput{MaxResults: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ClusterArns) != 1 {
		t.Errorf("clusterArns = %v", out.ClusterArns)
	}
	for _, tc := range []struct{ secret, region, code string }{
		{"wrong", testRegion, "InvalidSignatureException"},
		{testSecret, "eu-west-1", "InvalidSignatureException"},
	} {
		_, err := client(tc.secret, tc.region).ListClusters(context.Background(), &ecs.ListClustersInput{})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
			t.Errorf("secret %q region %q: error = %v, want %s", tc.secret, tc.region, err, tc.code)
		}
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := newVerifier(signingTime)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		r, body := signedJSON(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if _, err := v.Verify(r, body); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSigningKeyCacheIsBounded(t *testing.T) {
	v := newVerifier(signingTime)
	first := v.signingKey(testSecret, "20260101", testRegion, "ecs")
	for i := 0; i < 3*maxCachedKeys; i++ {
		v.signingKey(testSecret, "20260101", fmt.Sprintf("region-%d", i), "ecs")
	}
	if n := len(v.keys); n > maxCachedKeys {
		t.Errorf("cache holds %d keys, want at most %d", n, maxCachedKeys)
	}
	if again := v.signingKey(testSecret, "20260101", testRegion, "ecs"); again != first {
		t.Error("re-derived key differs")
	}
}

func BenchmarkVerify(b *testing.B) {
	r, body := signedJSON(b)
	v := newVerifier(signingTime)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}
