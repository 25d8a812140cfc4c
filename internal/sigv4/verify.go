package sigv4

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	scopeTerminator = "aws4_request"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	maxSkew         = 15 * time.Minute
	maxExpires      = 604800 // seconds, one week
)

// Verifier checks Signature Version 4 signatures on incoming requests. It is
// safe for concurrent use and must not be copied after first use.
type Verifier struct {
	// Secret returns the secret access key for an access key ID, and whether it is known.
	Secret func(accessKeyID string) (secret string, ok bool)
	// Region, when non-empty, is the only region a credential scope may name.
	Region string
	// Now returns the current time (injected clock). Nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	keys map[keyID][32]byte
}

// Identity is who signed a request.
type Identity struct{ AccessKeyID, Region, Service string }

// auth is the signing information a request carries, in either form.
type auth struct {
	presigned     bool
	credential    string
	signature     string
	signedHeaders []string // lower-cased and sorted
	rawDate       string
	httpDate      bool  // rawDate came from the Date header
	expires       int64 // seconds; -1 when X-Amz-Expires is absent
	query         []pair
}

// Verify checks the signature of r, whose full body is body (already read by
// the caller; r.Body must not be read). It supports both the Authorization
// header form and the presigned query-string form (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature, optional X-Amz-Security-Token). Every failure is an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	id, e := v.verify(r, body)
	if e != nil {
		return Identity{}, e
	}
	return id, nil
}

func (v *Verifier) verify(r *http.Request, body []byte) (Identity, *Error) {
	if r == nil || r.Header == nil {
		return Identity{}, newError(ReasonMissingAuthentication, msgMissing)
	}
	a, e := parseAuth(r)
	if e != nil {
		return Identity{}, e
	}
	t, ok := parseDate(a.rawDate, a.httpDate)
	if !ok {
		return Identity{}, incomplete("Date must be in ISO-8601 'basic format'. Got '" + clip(a.rawDate) + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if e := checkTime(t, now.UTC(), a.expires); e != nil {
		return Identity{}, e
	}
	parts := strings.SplitN(a.credential, "/", 6)
	if len(parts) != 5 {
		return Identity{}, incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + clip(a.credential) + "'")
	}
	id := Identity{AccessKeyID: parts[0], Region: parts[2], Service: parts[3]}
	if e := v.checkScope(parts, t); e != nil {
		return Identity{}, e
	}
	if v.Secret == nil {
		return Identity{}, newError(ReasonUnknownAccessKey, msgUnknownKey)
	}
	secret, ok := v.Secret(id.AccessKeyID)
	if !ok {
		return Identity{}, newError(ReasonUnknownAccessKey, msgUnknownKey)
	}
	payloads, e := payloadHashes(r, a, body)
	if e != nil {
		return Identity{}, e
	}
	headers, e := canonicalHeaders(r, a.signedHeaders)
	if e != nil {
		return Identity{}, e
	}
	key := v.signingKey(secret, parts[1], id.Region, id.Service)
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	c := canon{
		method:  method,
		query:   canonicalQuery(a.query, a.presigned),
		headers: headers,
		signed:  strings.Join(a.signedHeaders, ";"),
		date:    t.Format(amzDateLayout),
		scope:   strings.Join(parts[1:], "/"),
	}
	for _, uri := range canonicalURIs(r) {
		for _, p := range payloads {
			if hmac.Equal([]byte(c.signature(key[:], uri, p)), []byte(a.signature)) {
				return id, nil
			}
		}
	}
	return Identity{}, mismatch()
}

// parseAuth finds the signing information in the Authorization header or,
// failing that, in the query string.
func parseAuth(r *http.Request) (auth, *Error) {
	rawQuery := ""
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	query, qerr := parseQuery(rawQuery)
	hasAlg := qerr == nil && firstValue(query, "X-Amz-Algorithm") != nil
	var authz string
	if vs := r.Header["Authorization"]; len(vs) > 0 {
		authz = strings.TrimSpace(vs[0])
	}
	switch {
	case authz != "" && qerr != nil:
		return auth{}, qerr
	case authz != "" && hasAlg:
		return auth{}, mismatch()
	case authz != "":
		a, e := parseHeaderAuth(authz, r.Header)
		a.query = query
		return a, e
	case qerr != nil && strings.Contains(rawQuery, "X-Amz-Algorithm"):
		return auth{}, qerr
	case !hasAlg:
		return auth{}, newError(ReasonMissingAuthentication, msgMissing)
	}
	return parseQueryAuth(query)
}

// parseHeaderAuth parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." and finds the request date among the headers.
func parseHeaderAuth(authz string, h http.Header) (auth, *Error) {
	a := auth{expires: -1}
	if len(authz) > maxAuthorizationLen {
		return a, incomplete("Authorization header is too long.")
	}
	date, hasDate := "", false
	if vs := h["X-Amz-Date"]; len(vs) > 0 {
		date, hasDate = vs[0], true
	} else if vs := h["Date"]; len(vs) > 0 {
		date, hasDate, a.httpDate = vs[0], true, true
	}
	alg, rest, _ := strings.Cut(authz, " ")
	if alg != algorithm && strings.HasPrefix(alg, "AWS4-") {
		return a, incomplete("Unsupported AWS 'algorithm': '" + alg + "'.")
	}
	var cred, sig, signed *string
	if alg == algorithm {
		fields := strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' })
		for _, f := range fields {
			k, val, ok := strings.Cut(f, "=")
			if !ok {
				return a, incomplete("'" + f + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + authz + "'.")
			}
			switch k {
			case "Credential":
				cred = &val
			case "Signature":
				sig = &val
			case "SignedHeaders":
				signed = &val
			}
		}
	}
	var missing []string
	if cred == nil {
		missing = append(missing, msgNeedCredential)
	}
	if sig == nil {
		missing = append(missing, msgNeedSignature)
	}
	if signed == nil {
		missing = append(missing, msgNeedSigned)
	}
	if !hasDate {
		missing = append(missing, msgNeedDate)
	}
	if len(missing) > 0 {
		return a, incomplete(strings.Join(missing, " ") + " Authorization=" + authz)
	}
	a.credential, a.signature, a.rawDate = *cred, *sig, date
	var e *Error
	a.signedHeaders, e = parseSignedHeaders(*signed)
	return a, e
}

// parseQueryAuth reads the X-Amz-* parameters of a presigned request.
func parseQueryAuth(query []pair) (auth, *Error) {
	a := auth{presigned: true, expires: -1, query: query}
	if *firstValue(query, "X-Amz-Algorithm") != algorithm {
		return a, newError(ReasonMissingAuthentication, msgMissing)
	}
	cred := firstValue(query, "X-Amz-Credential")
	sig := firstValue(query, "X-Amz-Signature")
	signed := firstValue(query, "X-Amz-SignedHeaders")
	date := firstValue(query, "X-Amz-Date")
	var missing []string
	for _, m := range []struct {
		v    *string
		name string
	}{{cred, "X-Amz-Credential"}, {sig, "X-Amz-Signature"}, {signed, "X-Amz-SignedHeaders"}, {date, "X-Amz-Date"}} {
		if m.v == nil {
			missing = append(missing, "AWS query-string parameters must include '"+m.name+"'.")
		}
	}
	if len(missing) > 0 {
		return a, incomplete(strings.Join(missing, " ") + " " + msgQueryReexamine)
	}
	if exp := firstValue(query, "X-Amz-Expires"); exp != nil {
		n, err := strconv.ParseInt(*exp, 10, 64)
		switch {
		case err != nil:
			return a, incomplete("X-Amz-Expires should be a number")
		case n < 0:
			return a, incomplete("X-Amz-Expires must be non-negative")
		case n > maxExpires:
			return a, incomplete("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
		}
		a.expires = n
	}
	a.credential, a.signature, a.rawDate = *cred, *sig, *date
	var e *Error
	a.signedHeaders, e = parseSignedHeaders(*signed)
	return a, e
}

// parseSignedHeaders splits, lower-cases and sorts the SignedHeaders list and
// checks that it names the host.
func parseSignedHeaders(s string) ([]string, *Error) {
	if strings.Count(s, ";") >= maxSignedHeaders {
		return nil, incomplete("SignedHeaders must not name more than 100 headers.")
	}
	names := strings.Split(strings.ToLower(s), ";")
	host := false
	for _, n := range names {
		host = host || n == "host" || n == ":authority"
	}
	if !host {
		return nil, newError(ReasonSignatureMismatch, msgHostNotSigned)
	}
	slices.Sort(names)
	return names, nil
}

// parseDate parses the request date. A date from the Date header may also be
// in HTTP date format.
func parseDate(s string, httpDate bool) (time.Time, bool) {
	if len(s) == len(amzDateLayout) {
		if t, err := time.Parse(amzDateLayout, s); err == nil {
			return t, true
		}
	}
	if httpDate && len(s) <= 64 {
		if t, err := http.ParseTime(s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// checkTime enforces the ±15 minute window, or X-Amz-Expires for a presigned
// request that has it.
func checkTime(t, now time.Time, expires int64) *Error {
	window := maxSkew
	if expires >= 0 {
		window = time.Duration(expires) * time.Second
	}
	if earliest := now.Add(-window); t.Before(earliest) {
		return newError(ReasonExpired, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			t.Format(amzDateLayout), earliest.Format(amzDateLayout), now.Format(amzDateLayout), duration(window)))
	}
	if latest := now.Add(maxSkew); t.After(latest) {
		return newError(ReasonExpired, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
			t.Format(amzDateLayout), latest.Format(amzDateLayout), now.Format(amzDateLayout), duration(maxSkew)))
	}
	return nil
}

// clip shortens a client-supplied value quoted in an error message.
func clip(s string) string {
	const maxQuoted = 1024
	if len(s) > maxQuoted {
		return s[:maxQuoted] + "..."
	}
	return s
}

func duration(d time.Duration) string {
	s := int64(d / time.Second)
	if s%60 == 0 {
		return strconv.FormatInt(s/60, 10) + " min"
	}
	return strconv.FormatInt(s, 10) + " sec"
}

// checkScope checks the region, terminator and date of the credential scope
// keyid/date/region/service/aws4_request, joining AWS's messages as AWS does.
func (v *Verifier) checkScope(parts []string, t time.Time) *Error {
	var msg strings.Builder
	reason := ReasonSignatureMismatch
	if v.Region != "" && parts[2] != v.Region {
		reason = ReasonWrongRegion
		msg.WriteString("Credential should be scoped to a valid region, not '" + parts[2] + "'. ")
	}
	if parts[4] != scopeTerminator {
		msg.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '" + parts[4] + "'. ")
	}
	if day := t.Format("20060102"); parts[1] != day {
		msg.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			parts[1] + "' != '" + day + "', from '" + t.Format(amzDateLayout) + "'. ")
	}
	if msg.Len() == 0 {
		return nil
	}
	return newError(reason, msg.String())
}
