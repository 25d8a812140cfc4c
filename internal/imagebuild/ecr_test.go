package imagebuild

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tide/internal/sigv4"
)

// ecrServer answers GetAuthorizationToken requests signed with akid/secret
// for us-east-1 with answer (status and body); any other request gets a
// 400 that names what was wrong with it.
func ecrServer(t *testing.T, akid, secret string, status int, answer string) string {
	t.Helper()
	v := &sigv4.Verifier{
		Secret: func(id string) (string, bool) { return secret, id == akid },
		Region: "us-east-1",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fail := func(code, msg string) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"`+code+`","message":"`+msg+`"}`)
		}
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/":
			fail("UnknownOperationException", r.Method+" "+r.URL.Path)
		case r.Header.Get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken":
			fail("UnknownOperationException", "target "+r.Header.Get("X-Amz-Target"))
		case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
			fail("SerializationException", "content type "+r.Header.Get("Content-Type"))
		case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
			fail("MissingAuthenticationTokenException", "no signature")
		case string(body) != "{}":
			fail("SerializationException", "body "+string(body))
		default:
			id, err := v.Verify(r, body)
			if err != nil {
				fail("UnrecognizedClientException", "The security token included in the request is invalid.")
				return
			}
			if id.Service != "ecr" {
				fail("InvalidSignatureException", "signed for "+id.Service)
				return
			}
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(status)
			io.WriteString(w, answer)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func tokenAnswer(token string) string {
	return `{"authorizationData":[{"authorizationToken":"` + token + `","expiresAt":1.7e9,"proxyEndpoint":"http://127.0.0.1:4566"}]}`
}

func TestECRToken(t *testing.T) {
	good := tokenAnswer(base64.StdEncoding.EncodeToString([]byte("AWS:tide1.abc.def")))
	for _, tc := range []struct {
		name          string
		secret        string // what the client signs with; the server knows "s3cret"
		endpointExtra string
		status        int
		answer        string
		wantPassword  string
		wantErr       string
	}{
		{name: "token", secret: "s3cret", status: 200, answer: good, wantPassword: "tide1.abc.def"},
		{name: "endpoint with trailing slash", secret: "s3cret", endpointExtra: "/", status: 200, answer: good, wantPassword: "tide1.abc.def"},
		{name: "wrong secret", secret: "guess", status: 200, answer: good,
			wantErr: "UnrecognizedClientException: The security token included in the request is invalid."},
		{name: "service error", secret: "s3cret", status: 400, answer: `{"__type":"com.amazonaws.ecr#AccessDeniedException","message":"no"}`,
			wantErr: "AccessDeniedException: no"},
		{name: "server fault without a body", secret: "s3cret", status: 503, answer: "",
			wantErr: "HTTP 503 Service Unavailable"},
		{name: "no authorization data", secret: "s3cret", status: 200, answer: `{"authorizationData":[]}`,
			wantErr: "no authorizationData"},
		{name: "token not base64", secret: "s3cret", status: 200, answer: tokenAnswer("%%%"),
			wantErr: "not base64"},
		{name: "token without a colon", secret: "s3cret", status: 200, answer: tokenAnswer(base64.StdEncoding.EncodeToString([]byte("AWS"))),
			wantErr: "not USER:PASSWORD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := ecrServer(t, "AKIDTEST", "s3cret", tc.status, tc.answer)
			user, password, err := ECRToken(t.Context(), url+tc.endpointExtra, "us-east-1", "AKIDTEST", tc.secret)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ECRToken error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if user != "AWS" || password != tc.wantPassword {
				t.Errorf("ECRToken = %q, %q; want AWS, %q", user, password, tc.wantPassword)
			}
		})
	}
}
