package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
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
