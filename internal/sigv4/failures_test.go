package sigv4

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// wire is the error a client sees in each protocol family.
type wire struct {
	jsonCode    string
	jsonStatus  int
	queryCode   string
	queryStatus int
}

var (
	wireMissing    = wire{"MissingAuthenticationTokenException", 400, "MissingAuthenticationToken", 403}
	wireIncomplete = wire{"IncompleteSignatureException", 400, "IncompleteSignature", 400}
	wireUnknownKey = wire{"UnrecognizedClientException", 400, "InvalidClientTokenId", 403}
	wireInvalid    = wire{"InvalidSignatureException", 400, "SignatureDoesNotMatch", 403}
)

const testScope = testKeyID + "/20260101/us-east-1/ecs/aws4_request"

// signedJSONT adapts signedJSON to the builder type of the failure table.
func signedJSONT(t *testing.T) (*http.Request, []byte) { return signedJSON(t) }

// rawRequest is a request as the server sees it, with the given
// Authorization header (if any) and X-Amz-Date 20260101T000000Z.
func rawRequest(target, authz string) func(*testing.T) (*http.Request, []byte) {
	return func(*testing.T) (*http.Request, []byte) {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(jsonBody))
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		return r, []byte(jsonBody)
	}
}

// signedWith returns a signed ECS request changed by edit.
func signedWith(edit func(r *http.Request, body []byte) []byte) func(*testing.T) (*http.Request, []byte) {
	return func(t *testing.T) (*http.Request, []byte) {
		r, body := signedJSON(t)
		return r, edit(r, body)
	}
}

// presignedGET returns a presigned ECS GET request carrying query.
func presignedGET(query string) func(*testing.T) (*http.Request, []byte) {
	return func(t *testing.T) (*http.Request, []byte) {
		req, err := http.NewRequest(http.MethodGet, "https://"+testHost+"/?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		return toServer(t, presign(t, req, emptySHA256, creds(testSecret)))
	}
}

func TestVerifyFailures(t *testing.T) {
	const okHeaders = ", SignedHeaders=host;x-amz-date, Signature=0123"
	many := "host" + strings.Repeat(";x-h", maxSignedHeaders)
	cases := []struct {
		name   string
		build  func(*testing.T) (*http.Request, []byte)
		now    time.Duration // clock offset from the signing time
		region string
		reason Reason
		msg    string
		wire   wire
	}{
		{"no authentication", rawRequest("/", ""), 0, "", ReasonMissingAuthentication,
			"Request is missing Authentication Token", wireMissing},
		{"presigned with another algorithm", rawRequest("/?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=x", ""), 0, "", ReasonMissingAuthentication,
			"Request is missing Authentication Token", wireMissing},
		{"missing signature parts", rawRequest("/", "AWS4-HMAC-SHA256 Credential="+testScope), 0, "", ReasonIncompleteSignature,
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + testScope, wireIncomplete},
		{"not a sigv4 header and no date", signedWith(func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", "Bearer abc.def")
			r.Header.Del("X-Amz-Date")
			return b
		}), 0, "", ReasonIncompleteSignature,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc.def", wireIncomplete},
		{"unsupported algorithm", rawRequest("/", "AWS4-HMAC-SHA512 Credential="+testScope+okHeaders), 0, "", ReasonIncompleteSignature,
			"Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.", wireIncomplete},
		{"missing equal sign", rawRequest("/", "AWS4-HMAC-SHA256 Credential= "+testScope+okHeaders), 0, "", ReasonIncompleteSignature,
			"'" + testScope + "' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= " + testScope + okHeaders + "'.", wireIncomplete},
		{"x-amz-date missing", signedWith(func(r *http.Request, b []byte) []byte { r.Header.Del("X-Amz-Date"); return b }), 0, "", ReasonIncompleteSignature,
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=" + testScope + ", SignedHeaders=...", wireIncomplete},
		{"bad date", signedWith(func(r *http.Request, b []byte) []byte { r.Header.Set("X-Amz-Date", "2026-01-01T00:00:00Z"); return b }), 0, "", ReasonIncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '2026-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601", wireIncomplete},
		{"four-part credential", rawRequest("/", "AWS4-HMAC-SHA256 Credential="+testKeyID+"/20260101/us-east-1/ecs"+okHeaders), 0, "", ReasonIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testKeyID + "/20260101/us-east-1/ecs'", wireIncomplete},
		{"too many signed headers", rawRequest("/", "AWS4-HMAC-SHA256 Credential="+testScope+", SignedHeaders="+many+", Signature=0"), 0, "", ReasonIncompleteSignature,
			"SignedHeaders must not name more than 100 headers.", wireIncomplete},
		{"signed header absent", rawRequest("/", "AWS4-HMAC-SHA256 Credential="+testScope+", SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"), 0, "", ReasonIncompleteSignature,
			"'x-amz-target' is named as a SignedHeader, but it does not exist in the HTTP request.", wireIncomplete},
		{"presigned without signature", rawRequest("/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+testScope+"&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host", ""), 0, "", ReasonIncompleteSignature,
			"AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.", wireIncomplete},
		{"X-Amz-Expires over a week", presignedGET("X-Amz-Expires=604801"), 0, "", ReasonIncompleteSignature,
			"X-Amz-Expires must be less than a week (in seconds) that is; 604800", wireIncomplete},
		{"X-Amz-Expires not a number", presignedGET("X-Amz-Expires=soon"), 0, "", ReasonIncompleteSignature,
			"X-Amz-Expires should be a number", wireIncomplete},
		{"bad escape in query", signedWith(func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "a=%zz"; return b }), 0, "", ReasonIncompleteSignature,
			"Illegal hex character in escape % pattern: %zz", wireIncomplete},
		{"streaming payload hash", signedWith(func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			return b
		}), 0, "", ReasonIncompleteSignature, msgBadPayloadHash, wireIncomplete},
		{"unknown access key", signedWith(func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testKeyID, "AKIDUNKNOWN000000000", 1))
			return b
		}), 0, "", ReasonUnknownAccessKey, "The security token included in the request is invalid.", wireUnknownKey},
		{"host not signed", rawRequest("/", "AWS4-HMAC-SHA256 Credential="+testScope+", SignedHeaders=x-amz-date, Signature=0"), 0, "", ReasonSignatureMismatch,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", wireInvalid},
		{"wrong secret", func(t *testing.T) (*http.Request, []byte) {
			req := newJSONRequest(t, jsonBody)
			sign(t, req, []byte(jsonBody), "not-the-secret", testRegion, "ecs")
			return toServer(t, req)
		}, 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"tampered body", signedWith(func(*http.Request, []byte) []byte { return []byte(`{"maxResults":99,"nextToken":"a b/c=d"}`) }), 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"tampered header", signedWith(func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteCluster")
			return b
		}), 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"tampered host", signedWith(func(r *http.Request, b []byte) []byte { r.Host = "ecs.eu-west-1.amazonaws.com"; return b }), 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"tampered presigned query", func(t *testing.T) (*http.Request, []byte) {
			r, b := presignedGET("Tag=a&X-Amz-Expires=60")(t)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "Tag=a", "Tag=b", 1)
			return r, b
		}, 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"declared digest differs from body", func(t *testing.T) (*http.Request, []byte) {
			req := newJSONRequest(t, jsonBody)
			req.Header.Set("X-Amz-Content-Sha256", sha256Hex([]byte(jsonBody)))
			if err := sdkSign(req, sha256Hex([]byte(jsonBody))); err != nil {
				t.Fatal(err)
			}
			r, _ := toServer(t, req)
			return r, []byte(`{}`)
		}, 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"authorization and presigned query", signedWith(func(r *http.Request, b []byte) []byte { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"; return b }), 0, "", ReasonSignatureMismatch, msgMismatch, wireInvalid},
		{"bad scope terminator and date", rawRequest("/", "AWS4-HMAC-SHA256 Credential="+testKeyID+"/20250101/us-east-1/ecs/aws5_request"+okHeaders), 0, "", ReasonSignatureMismatch,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250101' != '20260101', from '20260101T000000Z'. ", wireInvalid},
		{"expired by one second", signedJSONT, maxSkew + time.Second, "", ReasonExpired,
			"Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z (20260101T001501Z - 15 min.)", wireInvalid},
		{"expired long ago", signedJSONT, 25 * time.Minute, "", ReasonExpired,
			"Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T002500Z - 15 min.)", wireInvalid},
		{"not yet current by one second", signedJSONT, -maxSkew - time.Second, "", ReasonExpired,
			"Signature not yet current: 20260101T000000Z is still later than 20251231T235959Z (20251231T234459Z + 15 min.)", wireInvalid},
		{"presigned past X-Amz-Expires", presignedGET("X-Amz-Expires=300"), 301 * time.Second, "", ReasonExpired,
			"Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z (20260101T000501Z - 5 min.)", wireInvalid},
		{"wrong region", func(t *testing.T) (*http.Request, []byte) {
			req := newJSONRequest(t, jsonBody)
			sign(t, req, []byte(jsonBody), testSecret, "eu-west-1", "ecs")
			return toServer(t, req)
		}, 0, testRegion, ReasonWrongRegion, "Credential should be scoped to a valid region, not 'eu-west-1'. ", wireInvalid},
	}
	seen := map[Reason]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, body := tc.build(t)
			v := newVerifier(signingTime.Add(tc.now))
			v.Region = tc.region
			id, err := v.Verify(r, body)
			if err == nil {
				t.Fatalf("Verify succeeded with identity %+v", id)
			}
			e := wantError(t, err, tc.reason, tc.msg)
			got := wire{e.JSONCode(), e.JSONStatus(), e.QueryCode(), e.QueryStatus()}
			if got != tc.wire {
				t.Errorf("wire = %+v, want %+v", got, tc.wire)
			}
			if !strings.HasPrefix(e.Error(), "sigv4: "+tc.reason.String()+": ") {
				t.Errorf("Error() = %q", e.Error())
			}
			seen[tc.reason] = true
		})
	}
	for r := ReasonMissingAuthentication; r <= ReasonWrongRegion; r++ {
		if !seen[r] {
			t.Errorf("no case for %v", r)
		}
	}
}
