package registry

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
)

// Names follow the distribution spec's grammar, as ECR's repository names.
const nameExpr = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*`

var routeRE = regexp.MustCompile(`^/v2/(` + nameExpr + `)/(blobs/uploads/?|blobs/uploads/[^/]+|blobs/[^/]+|manifests/[^/]+|tags/list|referrers/[^/]+)$`)

// ValidName reports whether s is a valid repository name (2–256 characters).
func ValidName(s string) bool {
	return len(s) >= 2 && len(s) <= 256 && nameOnlyRE.MatchString(s)
}

var nameOnlyRE = regexp.MustCompile(`^` + nameExpr + `$`)

// ServeHTTP serves the OCI Distribution API under /v2/.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if !r.authorized(req) {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+r.realm(req)+`",service="ecr.amazonaws.com"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required", nil)
		return
	}
	p := req.URL.Path
	if p == "/v2/" || p == "/v2" {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
		return
	}
	m := routeRE.FindStringSubmatch(p)
	if m == nil {
		if strings.HasPrefix(p, "/v2/") && (strings.Contains(p, "/blobs/") || strings.Contains(p, "/manifests/") || strings.HasSuffix(p, "/tags/list")) {
			writeError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name", nil)
			return
		}
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint", nil)
		return
	}
	name, rest := m[1], m[2]
	if len(name) > 256 {
		writeError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name", nil)
		return
	}
	if _, ok := r.Repo(name); !ok {
		writeError(w, http.StatusNotFound, "NAME_UNKNOWN", "The repository with name '"+name+"' does not exist in the registry with id '"+r.cfg.AccountID+"'", map[string]string{"name": name})
		return
	}
	switch {
	case rest == "blobs/uploads" || rest == "blobs/uploads/":
		r.serveUploadStart(w, req, name)
	case strings.HasPrefix(rest, "blobs/uploads/"):
		r.serveUpload(w, req, name, strings.TrimPrefix(rest, "blobs/uploads/"))
	case strings.HasPrefix(rest, "blobs/"):
		r.serveBlob(w, req, name, strings.TrimPrefix(rest, "blobs/"))
	case strings.HasPrefix(rest, "manifests/"):
		r.serveManifest(w, req, name, strings.TrimPrefix(rest, "manifests/"))
	case rest == "tags/list":
		r.serveTags(w, req, name)
	case strings.HasPrefix(rest, "referrers/"):
		r.serveReferrers(w, req, name, strings.TrimPrefix(rest, "referrers/"))
	}
}

func (r *Registry) realm(req *http.Request) string {
	return "http://" + req.Host + "/"
}

// authorized accepts ECR's Basic "AWS:<token>" credentials, a SigV4 signature
// (with an unsigned payload when there is a body), or, when allowed, an
// anonymous read.
func (r *Registry) authorized(req *http.Request) bool {
	authz := req.Header.Get("Authorization")
	switch {
	case authz == "" && req.URL.Query().Has("X-Tide-Signature"):
		return r.checkPresigned(req)
	case authz == "":
		ping := req.URL.Path == "/v2/" || req.URL.Path == "/v2"
		return r.cfg.AnonymousPull && !ping && (req.Method == http.MethodGet || req.Method == http.MethodHead)
	case strings.HasPrefix(authz, "Basic "):
		user, pass, ok := req.BasicAuth()
		return ok && user == "AWS" && r.checkToken(pass)
	case strings.HasPrefix(authz, "AWS4-HMAC-SHA256 "):
		if req.ContentLength != 0 && req.Header.Get("X-Amz-Content-Sha256") != "UNSIGNED-PAYLOAD" {
			return false
		}
		_, err := r.verifier.Verify(req, nil)
		return err == nil
	}
	return false
}

// ociError is one error in the OCI error body.
type ociError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail"`
}

func writeError(w http.ResponseWriter, status int, code, msg string, detail any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string][]ociError{"errors": {{Code: code, Message: msg, Detail: detail}}})
}

// writeErr translates a registry error once, into the OCI code and status.
func (r *Registry) writeErr(w http.ResponseWriter, err error) {
	var me *ManifestError
	switch {
	case errors.As(err, &me):
		status := http.StatusBadRequest
		if me.Code == "SIZE_INVALID" {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, me.Code, me.Message, me.Detail)
	case errors.Is(err, ErrRepoUnknown):
		writeError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry", nil)
	case errors.Is(err, ErrImageUnknown):
		writeError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown", nil)
	case errors.Is(err, ErrBlobUnknown):
		writeError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry", nil)
	case errors.Is(err, ErrUploadUnknown):
		writeError(w, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", nil)
	case errors.Is(err, ErrDigestInvalid):
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", nil)
	case errors.Is(err, ErrTagImmutable):
		_, msg, _ := strings.Cut(err.Error(), ": ")
		writeError(w, http.StatusBadRequest, "TAG_INVALID", msg, nil)
	default:
		r.log.Error("registry request", "err", err)
		writeError(w, http.StatusInternalServerError, "UNKNOWN", "internal error", nil)
	}
}
