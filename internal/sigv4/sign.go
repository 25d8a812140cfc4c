package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Sign adds a Signature Version 4 Authorization header to r, whose body is
// body, signing the host, x-amz-date and x-amz-content-sha256 headers. Tide's
// agents use it to talk to servers with the same credentials as any AWS
// client; what it signs, Verify accepts.
func Sign(r *http.Request, body []byte, accessKeyID, secret, region, service string, now time.Time) error {
	now = now.UTC()
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	date := now.Format(amzDateLayout)
	r.Header.Set("X-Amz-Date", date)
	r.Header.Set("X-Amz-Content-Sha256", payload)
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	names := []string{"host", "x-amz-content-sha256", "x-amz-date"}
	headers, serr := canonicalHeaders(r, names)
	if serr != nil {
		return serr
	}
	query, serr := parseQuery(r.URL.RawQuery)
	if serr != nil {
		return serr
	}
	day := date[:8]
	c := canon{
		method:  r.Method,
		query:   canonicalQuery(query, false),
		headers: headers,
		signed:  strings.Join(names, ";"),
		date:    date,
		scope:   day + "/" + region + "/" + service + "/" + scopeTerminator,
	}
	key := hmacSum([]byte("AWS4"+secret), day)
	key = hmacSum(key, region)
	key = hmacSum(key, service)
	key = hmacSum(key, scopeTerminator)
	sig := c.signature(key, canonicalURIs(r)[0], payload)
	r.Header.Set("Authorization", algorithm+" Credential="+accessKeyID+"/"+c.scope+", SignedHeaders="+c.signed+", Signature="+sig)
	return nil
}
