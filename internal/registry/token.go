package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TokenTTL is how long an authorization token is valid, as on ECR.
const TokenTTL = 12 * time.Hour

// tokenClaims is what a token carries; the signature covers its JSON.
type tokenClaims struct {
	AccessKeyID string `json:"k"`
	Expires     int64  `json:"x"`
}

// Token returns a registry password for accessKeyID valid until expires:
// the password half of ECR's "AWS:<password>" authorization token. It is an
// HMAC, under a key derived from the access key's secret, of the key ID and
// expiry; nothing is stored, and any server with the same credentials can
// check it.
func (r *Registry) Token(accessKeyID string, expires time.Time) (string, error) {
	secret, ok := r.cfg.Secret(accessKeyID)
	if !ok {
		return "", errors.New("unknown access key")
	}
	claims := mustJSON(tokenClaims{AccessKeyID: accessKeyID, Expires: expires.Unix()})
	enc := base64.RawURLEncoding
	return "tide1." + enc.EncodeToString(claims) + "." + enc.EncodeToString(tokenMAC(secret, claims)), nil
}

func tokenMAC(secret string, claims []byte) []byte {
	k := hmac.New(sha256.New, []byte(secret))
	k.Write([]byte("tide registry token v1"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write(claims)
	return m.Sum(nil)
}

// checkToken verifies a password made by Token.
func (r *Registry) checkToken(password string) bool {
	rest, ok := strings.CutPrefix(password, "tide1.")
	if !ok {
		return false
	}
	c64, s64, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	enc := base64.RawURLEncoding
	claims, err1 := enc.DecodeString(c64)
	sig, err2 := enc.DecodeString(s64)
	if err1 != nil || err2 != nil {
		return false
	}
	var c tokenClaims
	if json.Unmarshal(claims, &c) != nil {
		return false
	}
	secret, ok := r.cfg.Secret(c.AccessKeyID)
	if !ok || !hmac.Equal(sig, tokenMAC(secret, claims)) {
		return false
	}
	return r.now().Unix() < c.Expires
}

// PresignBlob returns the path and query of a URL that reads blob d of repo
// without other credentials until expires, as ECR's GetDownloadUrlForLayer
// hands out presigned URLs. The signature covers the access key, the
// expiry and the path, so the URL opens that blob and nothing else.
func (r *Registry) PresignBlob(accessKeyID, repo, d string, expires time.Time) (string, error) {
	secret, ok := r.cfg.Secret(accessKeyID)
	if !ok {
		return "", errors.New("unknown access key")
	}
	path := "/v2/" + repo + "/blobs/" + d
	exp := strconv.FormatInt(expires.Unix(), 10)
	sig := base64.RawURLEncoding.EncodeToString(tokenMAC(secret, []byte(path+"\n"+accessKeyID+"\n"+exp)))
	q := url.Values{"X-Tide-Credential": {accessKeyID}, "X-Tide-Expires": {exp}, "X-Tide-Signature": {sig}}
	return path + "?" + q.Encode(), nil
}

// checkPresigned verifies a URL made by PresignBlob.
func (r *Registry) checkPresigned(req *http.Request) bool {
	q := req.URL.Query()
	key, exp, sig := q.Get("X-Tide-Credential"), q.Get("X-Tide-Expires"), q.Get("X-Tide-Signature")
	secret, ok := r.cfg.Secret(key)
	if !ok || (req.Method != http.MethodGet && req.Method != http.MethodHead) || !strings.Contains(req.URL.Path, "/blobs/sha") {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || r.now().Unix() >= n {
		return false
	}
	want := tokenMAC(secret, []byte(req.URL.Path+"\n"+key+"\n"+exp))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(got, want)
}
