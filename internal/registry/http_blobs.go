package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func uploadLocation(name, id string) string { return "/v2/" + name + "/blobs/uploads/" + id }

// writeUploadStatus answers with an upload's location and received range.
func writeUploadStatus(w http.ResponseWriter, status int, name, id string, offset int64) {
	h := w.Header()
	h.Set("Location", uploadLocation(name, id))
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", fmt.Sprintf("0-%d", max(offset-1, 0)))
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
}

func writeBlobCreated(w http.ResponseWriter, name, d string) {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+d)
	h.Set("Docker-Content-Digest", d)
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// serveUploadStart handles POST /v2/<name>/blobs/uploads/: a cross-repository
// mount, a monolithic upload (?digest=), or the start of a session.
func (r *Registry) serveUploadStart(w http.ResponseWriter, req *http.Request, name string) {
	if req.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed", nil)
		return
	}
	q := req.URL.Query()
	if mount := q.Get("mount"); mount != "" {
		ok, err := r.Mount(req.Context(), name, mount, q.Get("from"))
		if err != nil && !errors.Is(err, ErrDigestInvalid) {
			r.writeErr(w, err)
			return
		}
		if ok {
			writeBlobCreated(w, name, mount)
			return
		}
	}
	id, err := r.StartUpload(name)
	if err != nil {
		r.writeErr(w, err)
		return
	}
	if d := q.Get("digest"); d != "" {
		defer func() {
			if _, err := r.blobs.getUpload(name, id); err == nil {
				r.blobs.cancelUpload(id)
			}
		}()
		r.finish(w, req, name, id, d)
		return
	}
	writeUploadStatus(w, http.StatusAccepted, name, id, 0)
}

// finish appends the request body to upload id and completes it as d.
func (r *Registry) finish(w http.ResponseWriter, req *http.Request, name, id, d string) {
	if _, err := parseDigest(d); err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+strconv.Quote(d), nil)
		return
	}
	if req.Body != nil && req.ContentLength != 0 {
		start := int64(-1)
		if cr := req.Header.Get("Content-Range"); cr != "" {
			s, _, ok := parseContentRange(cr)
			if !ok {
				writeError(w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "invalid Content-Range", nil)
				return
			}
			start = s
		}
		if _, err := r.AppendUpload(name, id, start, req.Body); err != nil {
			r.writeUploadErr(w, name, id, err)
			return
		}
	}
	if _, err := r.CompleteUpload(req.Context(), name, id, d); err != nil {
		r.writeErr(w, err)
		return
	}
	writeBlobCreated(w, name, d)
}

func (r *Registry) writeUploadErr(w http.ResponseWriter, name, id string, err error) {
	if errors.Is(err, ErrUploadRange) {
		off, _ := r.UploadOffset(name, id)
		w.Header().Set("Location", uploadLocation(name, id))
		w.Header().Set("Range", fmt.Sprintf("0-%d", max(off-1, 0)))
		writeError(w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "content range does not start at the upload's offset", nil)
		return
	}
	r.writeErr(w, err)
}

// parseContentRange reads "start-end" (as docker and the spec send it) or
// "bytes start-end/*".
func parseContentRange(s string) (start, end int64, ok bool) {
	s = strings.TrimPrefix(s, "bytes ")
	s, _, _ = strings.Cut(s, "/")
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	return start, end, true
}

// serveUpload handles /v2/<name>/blobs/uploads/<id>.
func (r *Registry) serveUpload(w http.ResponseWriter, req *http.Request, name, id string) {
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		off, err := r.UploadOffset(name, id)
		if err != nil {
			r.writeErr(w, err)
			return
		}
		writeUploadStatus(w, http.StatusNoContent, name, id, off)
	case http.MethodPatch:
		start := int64(-1)
		if cr := req.Header.Get("Content-Range"); cr != "" {
			s, e, ok := parseContentRange(cr)
			if !ok || (req.ContentLength >= 0 && e-s+1 != req.ContentLength) {
				off, err := r.UploadOffset(name, id)
				if err != nil {
					r.writeErr(w, err)
					return
				}
				w.Header().Set("Range", fmt.Sprintf("0-%d", max(off-1, 0)))
				writeError(w, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID", "invalid Content-Range", nil)
				return
			}
			start = s
		}
		off, err := r.AppendUpload(name, id, start, req.Body)
		if err != nil {
			r.writeUploadErr(w, name, id, err)
			return
		}
		writeUploadStatus(w, http.StatusAccepted, name, id, off)
	case http.MethodPut:
		if _, err := r.UploadOffset(name, id); err != nil {
			r.writeErr(w, err)
			return
		}
		r.finish(w, req, name, id, req.URL.Query().Get("digest"))
	case http.MethodDelete:
		if err := r.CancelUpload(name, id); err != nil {
			r.writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed", nil)
	}
}

// serveBlob handles /v2/<name>/blobs/<digest>: GET and HEAD (with ranges),
// DELETE.
func (r *Registry) serveBlob(w http.ResponseWriter, req *http.Request, name, d string) {
	if _, err := parseDigest(d); err != nil {
		writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "invalid digest "+strconv.Quote(d), nil)
		return
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		f, _, err := r.OpenBlob(name, d)
		if err != nil {
			r.writeErr(w, err)
			return
		}
		defer f.Close()
		h := w.Header()
		h.Set("Docker-Content-Digest", d)
		h.Set("Content-Type", "application/octet-stream")
		h.Set("ETag", `"`+d+`"`)
		h.Set("Cache-Control", "max-age=31536000")
		http.ServeContent(w, req, "", time.Time{}, f)
	case http.MethodDelete:
		if err := r.UnlinkBlob(req.Context(), name, d); err != nil {
			r.writeErr(w, err)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
	default:
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed", nil)
	}
}
