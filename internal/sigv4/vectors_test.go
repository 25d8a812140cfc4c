package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAWSTestSuite checks requests from the AWS Signature Version 4 test
// suite (aws-sig-v4-test-suite, 2015 edition), built as a Go server would
// receive them. The suite signs with AKIDEXAMPLE for region us-east-1 and
// service "service" at 20150830T123600Z. The suite's
// post-x-www-form-urlencoded-parameters case is left out: it signs form
// body parameters as if they were in the query, which no current client does.
func TestAWSTestSuite(t *testing.T) {
	const (
		keyID  = "AKIDEXAMPLE"
		secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
		scope  = keyID + "/20150830/us-east-1/service/aws4_request"
	)
	cases := []struct {
		name, method, target string
		headers              [][2]string
		signed, signature    string
		body                 string
	}{
		{"get-vanilla", "GET", "/", nil, "host;x-amz-date",
			"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ""},
		{"get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", nil, "host;x-amz-date",
			"5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694", ""},
		{"get-vanilla-empty-query-key", "GET", "/?Param1=value1", nil, "host;x-amz-date",
			"a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb", ""},
		{"get-vanilla-query-unreserved", "GET", "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", nil, "host;x-amz-date",
			"9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197", ""},
		{"get-vanilla-utf8-query", "GET", "/?\u1234=bar", nil, "host;x-amz-date",
			"2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04", ""},
		{"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", nil, "host;x-amz-date",
			"07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f", ""},
		{"get-utf8", "GET", "/\u1234", nil, "host;x-amz-date",
			"8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", ""},
		{"normalize-path/get-space", "GET", "/example space/", nil, "host;x-amz-date",
			"652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741", ""},
		{"normalize-path/get-slash-dot-slash", "GET", "/./", nil, "host;x-amz-date",
			"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ""},
		{"normalize-path/get-slash-pointless-dot", "GET", "/./example", nil, "host;x-amz-date",
			"ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5", ""},
		{"normalize-path/get-relative-relative", "GET", "/example1/example2/../..", nil, "host;x-amz-date",
			"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ""},
		{"normalize-path/get-slashes", "GET", "//example//", nil, "host;x-amz-date",
			"9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84", ""},
		{"get-header-value-trim", "GET", "/", [][2]string{{"My-Header1", "value1"}, {"My-Header2", `"a   b   c"`}},
			"host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736", ""},
		{"get-header-key-duplicate", "GET", "/", [][2]string{{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
			"host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea", ""},
		{"post-vanilla", "POST", "/", nil, "host;x-amz-date",
			"5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", ""},
		{"post-header-key-sort", "POST", "/", [][2]string{{"My-Header1", "value1"}}, "host;my-header1;x-amz-date",
			"c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c", ""},
		{"post-x-www-form-urlencoded", "POST", "/", [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
			"content-type;host;x-amz-date", "0c3bc22986c53164a4755b4466c2e17db853888c5ddb98567e700a3ecdb262f6", ""},
		{"post-sts-token/post-sts-header-before", "POST", "/", [][2]string{{"X-Amz-Security-Token", "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="}},
			"host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead", ""},
	}
	v := &Verifier{
		Secret: func(id string) (string, bool) { return secret, id == keyID },
		Region: "us-east-1",
		Now:    func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) },
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, query, _ := strings.Cut(tc.target, "?")
			r := &http.Request{
				Method:        tc.method,
				RequestURI:    tc.target,
				URL:           &url.URL{Path: path, RawQuery: query},
				Host:          "example.amazonaws.com",
				Header:        http.Header{},
				ContentLength: int64(len(tc.body)),
			}
			for _, h := range tc.headers {
				r.Header.Add(h[0], h[1])
			}
			r.Header.Set("X-Amz-Date", "20150830T123600Z")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+scope+", SignedHeaders="+tc.signed+", Signature="+tc.signature)
			id, err := v.Verify(r, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if id != (Identity{AccessKeyID: keyID, Region: "us-east-1", Service: "service"}) {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

// TestDateHeader checks the Date header fallback with the suite's get-vanilla
// request signed at 20150830T123600Z.
func TestDateHeader(t *testing.T) {
	v := &Verifier{
		Secret: func(string) (string, bool) { return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", true },
		Now:    func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) },
	}
	for _, date := range []string{"20150830T123600Z", "Sun, 30 Aug 2015 12:36:00 GMT"} {
		r := &http.Request{Method: "GET", RequestURI: "/", URL: &url.URL{Path: "/"}, Host: "example.amazonaws.com", Header: http.Header{}}
		r.Header.Set("Date", date)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=date;host, Signature=x")
		_, err := v.Verify(r, nil)
		// The signature is not the suite's (it signs x-amz-date), so the
		// request must get as far as the signature comparison.
		wantError(t, err, ReasonSignatureMismatch, msgMismatch)
	}
}
