package registry

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseManifest: any bytes and Content-Type are accepted or refused
// with a ManifestError, never a panic; an accepted manifest has a media type
// the registry serves.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a","digest":"sha256:`+strings.Repeat("a", 64)+`","size":2},"layers":[]}`), "")
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha512:`+strings.Repeat("b", 128)+`","size":1}]}`), mtOCIIndex)
	f.Add([]byte(`{"schemaVersion":2,"config":{"digest":"sha256:zz"},"subject":{"digest":"md5:1"}}`), mtDockerManifest)
	f.Add([]byte(`[]`), "application/json")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		m, err := parseManifest(body, ct)
		if err != nil {
			if _, ok := err.(*ManifestError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		switch m.MediaType {
		case mtOCIManifest, mtDockerManifest:
			if m.Config == nil {
				t.Fatal("image manifest accepted without config")
			}
		case mtOCIIndex, mtDockerList:
		default:
			t.Fatalf("accepted media type %q", m.MediaType)
		}
	})
}

// FuzzRequests sends arbitrary authenticated requests to a real registry:
// it never answers 500 or panics, and always answers in the OCI error
// format when it refuses.
func FuzzRequests(f *testing.F) {
	h := newHarness(f)
	ctxRepo := "fuzz/repo"
	if err := h.reg.CreateRepo(f.Context(), &Repository{Name: ctxRepo, TagMutability: Mutable}); err != nil {
		f.Fatal(err)
	}
	d := "sha256:" + strings.Repeat("0", 64)
	for _, s := range []struct{ m, p, cr string }{
		{"POST", "/v2/fuzz/repo/blobs/uploads/", ""},
		{"POST", "/v2/fuzz/repo/blobs/uploads/?digest=" + d, ""},
		{"POST", "/v2/fuzz/repo/blobs/uploads/?mount=" + d + "&from=x", ""},
		{"PATCH", "/v2/fuzz/repo/blobs/uploads/00000000-0000-0000-0000-000000000000", "0-3"},
		{"PUT", "/v2/fuzz/repo/manifests/latest", ""},
		{"GET", "/v2/fuzz/repo/tags/list?n=-1&last=%ff", ""},
		{"GET", "/v2/fuzz/repo/referrers/" + d + "?artifactType=x", ""},
		{"DELETE", "/v2/fuzz/repo/blobs/" + d, ""},
		{"GET", "/v2/../etc/passwd", ""},
	} {
		f.Add(s.m, s.p, s.cr, []byte(`{"schemaVersion":2}`))
	}
	f.Fuzz(func(t *testing.T, method, path, contentRange string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") {
			return
		}
		req, err := http.NewRequest(method, "http://registry"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth("AWS", h.token)
		if contentRange != "" && !strings.ContainsAny(contentRange, "\r\n") {
			req.Header.Set("Content-Range", contentRange)
		}
		w := httptest.NewRecorder()
		h.reg.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		if w.Code >= 400 && w.Code != 416 && !strings.Contains(w.Body.String(), `"errors"`) {
			t.Fatalf("%s %s: %d without an OCI error body: %q", method, path, w.Code, w.Body)
		}
	})
}
