package registry

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// serveManifest handles /v2/<name>/manifests/<reference>.
func (r *Registry) serveManifest(w http.ResponseWriter, req *http.Request, name, ref string) {
	_, derr := parseDigest(ref)
	isDigest := derr == nil
	if !isDigest && !ValidTag(ref) {
		code := "TAG_INVALID"
		if strings.Contains(ref, ":") {
			code = "DIGEST_INVALID"
		}
		writeError(w, http.StatusBadRequest, code, "invalid reference "+strconv.Quote(ref), nil)
		return
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		m, err := r.Resolve(name, ref)
		if err != nil {
			r.writeErr(w, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", m.MediaType)
		h.Set("Docker-Content-Digest", m.Digest)
		h.Set("ETag", `"`+m.Digest+`"`)
		if req.Method == http.MethodHead { // the record knows the size
			h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
			return
		}
		body, err := r.ManifestBytes(m)
		if err != nil {
			h.Del("Content-Type")
			r.writeErr(w, err)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(req.Body, MaxManifestBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "MANIFEST_INVALID", "could not read manifest", nil)
			return
		}
		var tags []string
		want := ""
		if isDigest {
			want = ref
		} else {
			tags = append(tags, ref)
		}
		for _, t := range req.URL.Query()["tag"] { // OCI 1.1's tag parameters
			if !ValidTag(t) {
				writeError(w, http.StatusBadRequest, "TAG_INVALID", "invalid tag "+strconv.Quote(t), nil)
				return
			}
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		m, err := r.PutManifestTags(req.Context(), name, tags, want, req.Header.Get("Content-Type"), body)
		if err != nil {
			r.writeErr(w, err)
			return
		}
		h := w.Header()
		for _, t := range tags {
			h.Add("OCI-Tag", t)
		}
		h.Set("Location", "/v2/"+name+"/manifests/"+m.Digest)
		h.Set("Docker-Content-Digest", m.Digest)
		if m.Subject != "" {
			h.Set("OCI-Subject", m.Subject)
		}
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusCreated)
	case http.MethodDelete:
		var err error
		if isDigest {
			_, _, err = r.DeleteManifest(req.Context(), name, ref)
		} else {
			_, err = r.DeleteTag(req.Context(), name, ref)
		}
		if err != nil {
			r.writeErr(w, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	default:
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed", nil)
	}
}

// serveTags handles GET /v2/<name>/tags/list with n/last pagination.
func (r *Registry) serveTags(w http.ResponseWriter, req *http.Request, name string) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed", nil)
		return
	}
	q := req.URL.Query()
	n := -1
	if s := q.Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			writeError(w, http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", map[string]string{"n": s})
			return
		}
		n = v
	}
	tags, more := r.tagNames(name, q.Get("last"), n)
	if tags == nil {
		tags = []string{}
	}
	if more && len(tags) > 0 {
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {tags[len(tags)-1]}}
		w.Header().Set("Link", `</v2/`+name+`/tags/list?`+next.Encode()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, tags})
}

// serveReferrers handles GET /v2/<name>/referrers/<digest>[?artifactType=].
func (r *Registry) serveReferrers(w http.ResponseWriter, req *http.Request, name, d string) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed", nil)
		return
	}
	if _, err := parseDigest(d); err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+strconv.Quote(d), nil)
		return
	}
	at := req.URL.Query().Get("artifactType")
	if at != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", mtOCIIndex)
	json.NewEncoder(w).Encode(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []Descriptor `json:"manifests"`
	}{2, mtOCIIndex, r.Referrers(name, d, at)})
}
