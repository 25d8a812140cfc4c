package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Limits that bound the work Verify does for one request.
const (
	maxAuthorizationLen = 16 << 10
	maxSignedHeaders    = 100
	maxQueryParams      = 1000
	maxCachedKeys       = 256
)

// pair is one query parameter, decoded and in canonical (RFC 3986) encoding.
type pair struct{ key, value, encKey, encValue string }

// parseQuery decodes a raw query string, keeping repeated keys and order.
func parseQuery(raw string) ([]pair, *Error) {
	if raw == "" {
		return nil, nil
	}
	if strings.Count(raw, "&") >= maxQueryParams {
		return nil, incomplete("The query string must not have more than 1000 parameters.")
	}
	var out []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, escapeError(err)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, escapeError(err)
		}
		out = append(out, pair{key: dk, value: dv, encKey: uriEncode(dk, false), encValue: uriEncode(dv, false)})
	}
	return out, nil
}

// escapeError words a bad percent-escape the way AWS does.
func escapeError(err error) *Error {
	var ee url.EscapeError
	if errors.As(err, &ee) && len(ee) >= 3 {
		return incomplete("Illegal hex character in escape % pattern: " + string(ee))
	}
	return incomplete("Incomplete trailing escape % sequence")
}

// firstValue returns the first value of key, or nil when it is absent.
func firstValue(query []pair, key string) *string {
	for i := range query {
		if query[i].key == key {
			return &query[i].value
		}
	}
	return nil
}

// canonicalQuery sorts the parameters by encoded key, then encoded value. A
// presigned request's own signature is left out.
func canonicalQuery(query []pair, presigned bool) string {
	ps := make([]pair, 0, len(query))
	for _, p := range query {
		if !presigned || p.key != "X-Amz-Signature" {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b pair) int {
		if c := strings.Compare(a.encKey, b.encKey); c != 0 {
			return c
		}
		return strings.Compare(a.encValue, b.encValue)
	})
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.encKey)
		b.WriteByte('=')
		b.WriteString(p.encValue)
	}
	return b.String()
}

// canonicalURIs returns the canonical URI as the AWS SDKs compute it for
// non-S3 services (the path as sent, encoded once more) and, when it
// differs, the form boto3 and the AWS test suite use, with "." and ".."
// segments and empty segments removed first.
func canonicalURIs(r *http.Request) []string {
	raw := rawPath(r)
	uris := []string{uriEncode(raw, true)}
	if uris[0] == "" {
		uris[0] = "/"
	}
	if n := removeDotSegments(raw); n != raw {
		if n == "" {
			n = "/"
		}
		uris = append(uris, uriEncode(n, true))
	}
	return uris
}

// rawPath returns the path exactly as the client sent it.
func rawPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u != "*" {
		u, _, _ = strings.Cut(u, "?")
		if !strings.HasPrefix(u, "/") {
			if _, rest, ok := strings.Cut(u, "://"); ok {
				u = ""
				if i := strings.IndexByte(rest, '/'); i >= 0 {
					u = rest[i:]
				}
			}
		}
		return u
	}
	if r.URL == nil {
		return "/"
	}
	return r.URL.EscapedPath()
}

// removeDotSegments applies RFC 3986 section 5.2.4 and drops empty segments,
// as botocore does.
func removeDotSegments(p string) string {
	if p == "" {
		return ""
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	first, last := "", ""
	if p[0] == '/' {
		first = "/"
	}
	if p[len(p)-1] == '/' && len(out) > 0 {
		last = "/"
	}
	return first + strings.Join(out, "/") + last
}

// uriEncode percent-encodes every byte except RFC 3986 unreserved ones (and
// '/' when keepSlash is set), with upper-case hex digits.
func uriEncode(s string, keepSlash bool) string {
	keep := func(c byte) bool {
		return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/'
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; keep(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', digits[c>>4], digits[c&15])
		}
	}
	return string(b)
}

// canonicalHeaders renders the signed headers, one "name:value\n" line each.
func canonicalHeaders(r *http.Request, names []string) (string, *Error) {
	var b strings.Builder
	for _, name := range names {
		val, ok := headerValue(r, name)
		if !ok {
			return "", incomplete("'" + name + "' is named as a SignedHeader, but it does not exist in the HTTP request.")
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(val)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// headerValue returns the canonical value of one signed header. Go keeps the
// host, and for chunked bodies the transfer coding, outside r.Header.
func headerValue(r *http.Request, name string) (string, bool) {
	var vals []string
	switch name {
	case "host", ":authority":
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return stripExcessSpaces(h), true
	case "content-length":
		if r.ContentLength > 0 || r.ContentLength == 0 && len(r.Header["Content-Length"]) == 0 {
			return strconv.FormatInt(r.ContentLength, 10), true
		}
		vals = r.Header["Content-Length"]
	case "transfer-encoding":
		vals = r.TransferEncoding
		if len(vals) == 0 {
			vals = r.Header["Transfer-Encoding"]
		}
	default:
		vals = r.Header[textproto.CanonicalMIMEHeaderKey(name)]
		if len(vals) == 0 {
			vals = r.Header[name]
		}
	}
	if len(vals) == 0 {
		return "", false
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.TrimSpace(stripExcessSpaces(v)))
	}
	return b.String(), true
}

// stripExcessSpaces trims spaces at both ends and collapses runs of spaces,
// as the AWS SDK for Go v2 does.
func stripExcessSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' || s[i-1] != ' ' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// payloadHashes returns the payload hashes the client may have signed: the
// declared x-amz-content-sha256, else the body's SHA-256, and for presigned
// requests also UNSIGNED-PAYLOAD, which some presigners use.
func payloadHashes(r *http.Request, a auth, body []byte) ([]string, *Error) {
	declared := r.Header["X-Amz-Content-Sha256"]
	if len(declared) == 0 && a.presigned {
		if q := firstValue(a.query, "X-Amz-Content-Sha256"); q != nil {
			declared = []string{*q}
		}
	}
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	if len(declared) == 0 {
		if a.presigned {
			return []string{actual, unsignedPayload}, nil
		}
		return []string{actual}, nil
	}
	d := declared[0]
	switch {
	case d == unsignedPayload:
		return []string{d}, nil
	case len(d) != 64:
		return nil, incomplete(msgBadPayloadHash)
	}
	if _, err := hex.DecodeString(d); err != nil {
		return nil, incomplete(msgBadPayloadHash)
	}
	if !strings.EqualFold(d, actual) {
		return nil, mismatch()
	}
	return []string{d}, nil
}

// canon holds the parts of the canonical request and string to sign that do
// not vary between candidate URIs and payload hashes.
type canon struct{ method, query, headers, signed, date, scope string }

// signature returns the hex signature of the canonical request for one
// candidate URI and payload hash.
func (c *canon) signature(key []byte, uri, payload string) string {
	h := sha256.New()
	for _, s := range [...]string{c.method, "\n", uri, "\n", c.query, "\n", c.headers, "\n", c.signed, "\n", payload} {
		h.Write([]byte(s))
	}
	sts := algorithm + "\n" + c.date + "\n" + c.scope + "\n" + hex.EncodeToString(h.Sum(nil))
	return hex.EncodeToString(hmacSum(key, sts))
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// keyID identifies a derived signing key.
type keyID struct{ secret, date, region, service string }

// signingKey derives the signing key for a credential scope, caching a
// bounded number of keys because clients reuse one scope for a whole day.
func (v *Verifier) signingKey(secret, date, region, service string) [32]byte {
	id := keyID{secret, date, region, service}
	v.mu.Lock()
	k, ok := v.keys[id]
	v.mu.Unlock()
	if ok {
		return k
	}
	b := hmacSum([]byte("AWS4"+secret), date)
	b = hmacSum(b, region)
	b = hmacSum(b, service)
	copy(k[:], hmacSum(b, scopeTerminator))
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys == nil {
		v.keys = make(map[keyID][32]byte)
	}
	if len(v.keys) >= maxCachedKeys {
		for old := range v.keys {
			delete(v.keys, old)
			break
		}
	}
	v.keys[id] = k
	return k
}
