package registry

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestCraneRoundTrip pushes images and an index with go-containerregistry
// and reads them back, byte for byte.
func TestCraneRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.repo(t, "team/web", Mutable)
	img, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(h.ref(t, "team/web:v1"), img, h.remoteOpts()...); err != nil {
		t.Fatalf("push: %v", err)
	}
	got, err := remote.Image(h.ref(t, "team/web:v1"), h.remoteOpts()...)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	wantD, _ := img.Digest()
	gotD, _ := got.Digest()
	if wantD != gotD {
		t.Fatalf("digest %v, want %v", gotD, wantD)
	}
	layers, _ := got.Layers()
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		ld, _ := l.Digest()
		if sha(buf.Bytes()) != ld.String() {
			t.Fatalf("layer %v came back with digest %s", ld, sha(buf.Bytes()))
		}
	}
	idx, err := random.Index(1024, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(h.ref(t, "team/web:multi"), idx, h.remoteOpts()...); err != nil {
		t.Fatalf("push index: %v", err)
	}
	desc, err := remote.Get(h.ref(t, "team/web:multi"), h.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := idx.RawManifest()
	if !bytes.Equal(desc.Manifest, raw) || desc.MediaType != types.OCIImageIndex {
		t.Fatalf("index came back as %s %q", desc.MediaType, desc.Manifest)
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	h.repo(t, "web", Mutable)
	expired, _ := h.reg.Token(testKey, h.clock.Now().Add(-1))
	otherKey, _ := h.reg.Token(testKey, h.clock.Now().Add(TokenTTL))
	tampered := strings.Replace(otherKey, "tide1.", "tide1.e", 1)
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"no credentials", func(*http.Request) {}, 401},
		{"valid token", func(r *http.Request) { r.SetBasicAuth("AWS", h.token) }, 200},
		{"wrong user", func(r *http.Request) { r.SetBasicAuth("admin", h.token) }, 401},
		{"expired token", func(r *http.Request) { r.SetBasicAuth("AWS", expired) }, 401},
		{"tampered token", func(r *http.Request) { r.SetBasicAuth("AWS", tampered) }, 401},
		{"garbage", func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }, 401},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.srv.URL+"/v2/", nil)
			tc.set(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
				t.Fatalf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestBlobUploads(t *testing.T) {
	h := newHarness(t)
	h.repo(t, "web", Mutable)
	h.repo(t, "other", Mutable)
	data := bytes.Repeat([]byte("0123456789"), 1000)
	d := sha(data)

	t.Run("chunked in order", func(t *testing.T) {
		resp, body := h.do(t, "POST", "/v2/web/blobs/uploads/", nil)
		expectStatus(t, resp, body, 202, "")
		loc := resp.Header.Get("Location")
		for off := 0; off < len(data); off += 3000 {
			end := min(off+3000, len(data))
			resp, body = h.do(t, "PATCH", loc, data[off:end], "Content-Range", fmt.Sprintf("%d-%d", off, end-1), "Content-Type", "application/octet-stream")
			expectStatus(t, resp, body, 202, "")
			if got := resp.Header.Get("Range"); got != fmt.Sprintf("0-%d", end-1) {
				t.Fatalf("Range %q after %d bytes", got, end)
			}
		}
		resp, body = h.do(t, "PUT", loc+"?digest="+d, nil)
		expectStatus(t, resp, body, 201, "")
		if resp.Header.Get("Docker-Content-Digest") != d {
			t.Fatalf("digest header %q", resp.Header.Get("Docker-Content-Digest"))
		}
	})
	t.Run("out of order chunk", func(t *testing.T) {
		resp, body := h.do(t, "POST", "/v2/web/blobs/uploads/", nil)
		loc := resp.Header.Get("Location")
		resp, body = h.do(t, "PATCH", loc, data[:10], "Content-Range", "0-9")
		expectStatus(t, resp, body, 202, "")
		resp, body = h.do(t, "PATCH", loc, data[20:30], "Content-Range", "20-29")
		expectStatus(t, resp, body, 416, "BLOB_UPLOAD_INVALID")
		resp, body = h.do(t, "GET", loc, nil)
		expectStatus(t, resp, body, 204, "")
		if resp.Header.Get("Range") != "0-9" {
			t.Fatalf("status Range %q", resp.Header.Get("Range"))
		}
		resp, body = h.do(t, "DELETE", loc, nil)
		expectStatus(t, resp, body, 204, "")
		resp, body = h.do(t, "GET", loc, nil)
		expectStatus(t, resp, body, 404, "BLOB_UPLOAD_UNKNOWN")
	})
	t.Run("wrong digest", func(t *testing.T) {
		resp, body := h.do(t, "POST", "/v2/web/blobs/uploads/?digest="+sha([]byte("x")), data)
		expectStatus(t, resp, body, 400, "DIGEST_INVALID")
		resp, body = h.do(t, "POST", "/v2/web/blobs/uploads/?digest=sha256:nothex", data)
		expectStatus(t, resp, body, 400, "DIGEST_INVALID")
		resp, body = h.do(t, "HEAD", "/v2/web/blobs/"+sha([]byte("x")), nil)
		expectStatus(t, resp, body, 404, "")
	})
	t.Run("sha512", func(t *testing.T) {
		s := sha512.Sum512(data)
		d512 := "sha512:" + hex.EncodeToString(s[:])
		resp, body := h.do(t, "POST", "/v2/web/blobs/uploads/?digest="+d512, data)
		expectStatus(t, resp, body, 201, "")
		resp, body = h.do(t, "GET", "/v2/web/blobs/"+d512, nil)
		expectStatus(t, resp, body, 200, "")
		if !bytes.Equal(body, data) {
			t.Fatal("sha512 blob came back different")
		}
	})
	t.Run("range and head", func(t *testing.T) {
		resp, body := h.do(t, "HEAD", "/v2/web/blobs/"+d, nil)
		expectStatus(t, resp, body, 200, "")
		if resp.ContentLength != int64(len(data)) || resp.Header.Get("Docker-Content-Digest") != d {
			t.Fatalf("HEAD: length %d digest %q", resp.ContentLength, resp.Header.Get("Docker-Content-Digest"))
		}
		resp, body = h.do(t, "GET", "/v2/web/blobs/"+d, nil, "Range", "bytes=10-19")
		expectStatus(t, resp, body, 206, "")
		if !bytes.Equal(body, data[10:20]) {
			t.Fatalf("range body %q", body)
		}
	})
	t.Run("mount", func(t *testing.T) {
		resp, body := h.do(t, "HEAD", "/v2/other/blobs/"+d, nil)
		expectStatus(t, resp, body, 404, "")
		resp, body = h.do(t, "POST", "/v2/other/blobs/uploads/?mount="+d+"&from=web", nil)
		expectStatus(t, resp, body, 201, "")
		resp, body = h.do(t, "GET", "/v2/other/blobs/"+d, nil)
		expectStatus(t, resp, body, 200, "")
		// A mount from a repository without the blob starts an upload instead.
		resp, body = h.do(t, "POST", "/v2/web/blobs/uploads/?mount="+sha([]byte("none"))+"&from=other", nil)
		expectStatus(t, resp, body, 202, "")
	})
	t.Run("delete", func(t *testing.T) {
		resp, body := h.do(t, "DELETE", "/v2/other/blobs/"+d, nil)
		expectStatus(t, resp, body, 202, "")
		resp, body = h.do(t, "GET", "/v2/other/blobs/"+d, nil)
		expectStatus(t, resp, body, 404, "BLOB_UNKNOWN")
		resp, body = h.do(t, "GET", "/v2/web/blobs/"+d, nil) // still in web
		expectStatus(t, resp, body, 200, "")
	})
	t.Run("unknown repository", func(t *testing.T) {
		resp, body := h.do(t, "POST", "/v2/nope/blobs/uploads/", nil)
		expectStatus(t, resp, body, 404, "NAME_UNKNOWN")
		resp, body = h.do(t, "GET", "/v2/UPPER/tags/list", nil)
		expectStatus(t, resp, body, 400, "NAME_INVALID")
	})
}

// TestConcurrentSameBlob pushes one blob from many clients at once: every
// push succeeds and the stored blob is intact.
func TestConcurrentSameBlob(t *testing.T) {
	h := newHarness(t)
	h.repo(t, "web", Mutable)
	data := bytes.Repeat([]byte("concurrent "), 50000)
	d := sha(data)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 16 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", h.srv.URL+"/v2/web/blobs/uploads/", nil)
			req.SetBasicAuth("AWS", h.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			req, _ = http.NewRequest("PUT", h.srv.URL+resp.Header.Get("Location")+"?digest="+d, bytes.NewReader(data))
			req.SetBasicAuth("AWS", h.token)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				errs <- fmt.Sprint("status ", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	resp, body := h.do(t, "GET", "/v2/web/blobs/"+d, nil)
	expectStatus(t, resp, body, 200, "")
	if sha(body) != d {
		t.Fatal("blob corrupted by concurrent pushes")
	}
}

// imageManifest builds an OCI image manifest over pushed blobs.
func imageManifest(config string, configSize int, layers map[string]int, extra map[string]any) []byte {
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mtOCIManifest,
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": configSize},
	}
	var ls []map[string]any
	for d, n := range layers {
		ls = append(ls, map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
	}
	m["layers"] = ls
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func TestManifests(t *testing.T) {
	h := newHarness(t)
	h.repo(t, "web", Mutable)
	h.repo(t, "frozen", Immutable)
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	layer := []byte("layer bytes")
	cd, ld := h.pushBlob(t, "web", cfg), h.pushBlob(t, "web", layer)
	man := imageManifest(cd, len(cfg), map[string]int{ld: len(layer)}, nil)
	md := sha(man)

	resp, body := h.do(t, "PUT", "/v2/web/manifests/v1", man, "Content-Type", mtOCIManifest)
	expectStatus(t, resp, body, 201, "")
	if resp.Header.Get("Docker-Content-Digest") != md {
		t.Fatalf("digest %q, want %q", resp.Header.Get("Docker-Content-Digest"), md)
	}
	for _, ref := range []string{"v1", md} {
		resp, body = h.do(t, "GET", "/v2/web/manifests/"+ref, nil)
		expectStatus(t, resp, body, 200, "")
		if !bytes.Equal(body, man) || resp.Header.Get("Content-Type") != mtOCIManifest {
			t.Fatalf("GET %s: %s %q", ref, resp.Header.Get("Content-Type"), body)
		}
	}
	bad := []struct {
		name, ref, ctype string
		body             []byte
		status           int
		code             string
	}{
		{"wrong layer size", "v2", mtOCIManifest, imageManifest(cd, len(cfg), map[string]int{ld: 999}, nil), 400, "MANIFEST_INVALID"},
		{"not json", "v2", mtOCIManifest, []byte("{"), 400, "MANIFEST_INVALID"},
		{"digest mismatch", sha([]byte("x")), mtOCIManifest, man, 400, "DIGEST_INVALID"},
		{"bad tag", "-bad", mtOCIManifest, man, 400, "TAG_INVALID"},
		{"too big", "big", mtOCIManifest, bytes.Repeat([]byte(" "), MaxManifestBytes+1), 413, "SIZE_INVALID"},
		{"schema 1", "v2", "application/vnd.docker.distribution.manifest.v1+json", []byte(`{"schemaVersion":1}`), 400, "MANIFEST_INVALID"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := h.do(t, "PUT", "/v2/web/manifests/"+tc.ref, tc.body, "Content-Type", tc.ctype)
			expectStatus(t, resp, body, tc.status, tc.code)
		})
	}

	t.Run("sparse manifest", func(t *testing.T) {
		// A layer the repository does not hold is allowed (a sparse image).
		sparse := imageManifest(cd, len(cfg), map[string]int{sha([]byte("nope")): 4}, nil)
		resp, body := h.do(t, "PUT", "/v2/web/manifests/"+sha(sparse), sparse, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 201, "")
	})
	t.Run("immutable tags", func(t *testing.T) {
		h.do(t, "POST", "/v2/frozen/blobs/uploads/?mount="+cd+"&from=web", nil)
		h.do(t, "POST", "/v2/frozen/blobs/uploads/?mount="+ld+"&from=web", nil)
		resp, body := h.do(t, "PUT", "/v2/frozen/manifests/v1", man, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 201, "")
		resp, body = h.do(t, "PUT", "/v2/frozen/manifests/v1", man, "Content-Type", mtOCIManifest) // same content: fine
		expectStatus(t, resp, body, 201, "")
		other := imageManifest(cd, len(cfg), map[string]int{ld: len(layer)}, map[string]any{"annotations": map[string]string{"x": "y"}})
		resp, body = h.do(t, "PUT", "/v2/frozen/manifests/v1", other, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 400, "TAG_INVALID")
	})

	t.Run("referrers", func(t *testing.T) {
		empty := []byte("{}")
		ed := h.pushBlob(t, "web", empty)
		sig := map[string]any{"mediaType": mtOCIManifest, "schemaVersion": 2, "artifactType": "application/vnd.example.sig",
			"config":  map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": ed, "size": 2},
			"layers":  []any{map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": ed, "size": 2}},
			"subject": map[string]any{"mediaType": mtOCIManifest, "digest": md, "size": len(man)}}
		sb, _ := json.Marshal(sig)
		resp, body := h.do(t, "PUT", "/v2/web/manifests/"+sha(sb), sb, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 201, "")
		if resp.Header.Get("OCI-Subject") != md {
			t.Fatalf("OCI-Subject %q", resp.Header.Get("OCI-Subject"))
		}
		for _, tc := range []struct {
			q    string
			want int
		}{{"", 1}, {"?artifactType=application/vnd.example.sig", 1}, {"?artifactType=application/other", 0}} {
			resp, body = h.do(t, "GET", "/v2/web/referrers/"+md+tc.q, nil)
			expectStatus(t, resp, body, 200, "")
			var idx struct{ Manifests []Descriptor }
			json.Unmarshal(body, &idx)
			if len(idx.Manifests) != tc.want {
				t.Fatalf("referrers%s: %s", tc.q, body)
			}
			if tc.want == 1 && (idx.Manifests[0].Digest != sha(sb) || idx.Manifests[0].ArtifactType != "application/vnd.example.sig") {
				t.Fatalf("referrer %+v", idx.Manifests[0])
			}
		}
	})

	t.Run("tags and deletes", func(t *testing.T) {
		for _, tag := range []string{"a", "b", "c", "d"} {
			resp, body := h.do(t, "PUT", "/v2/web/manifests/"+tag, man, "Content-Type", mtOCIManifest)
			expectStatus(t, resp, body, 201, "")
		}
		var pages [][]string
		next := "/v2/web/tags/list?n=2"
		for next != "" {
			resp, body := h.do(t, "GET", next, nil)
			expectStatus(t, resp, body, 200, "")
			var tl struct{ Tags []string }
			json.Unmarshal(body, &tl)
			pages = append(pages, tl.Tags)
			next = ""
			if l := resp.Header.Get("Link"); l != "" {
				next = l[1:strings.Index(l, ">")]
			}
		}
		if diff := cmp.Diff([][]string{{"a", "b"}, {"c", "d"}, {"v1"}}, pages); diff != "" {
			t.Fatalf("tag pages (-want +got):\n%s", diff)
		}
		resp, body := h.do(t, "DELETE", "/v2/web/manifests/a", nil)
		expectStatus(t, resp, body, 202, "")
		resp, body = h.do(t, "GET", "/v2/web/manifests/a", nil)
		expectStatus(t, resp, body, 404, "MANIFEST_UNKNOWN")
		resp, body = h.do(t, "DELETE", "/v2/web/manifests/"+md, nil)
		expectStatus(t, resp, body, 202, "")
		resp, body = h.do(t, "GET", "/v2/web/tags/list", nil)
		if !strings.Contains(string(body), `"tags":[]`) {
			t.Fatalf("tags after deleting the manifest: %s", body)
		}
	})

	t.Run("tag parameters", func(t *testing.T) {
		resp, body := h.do(t, "PUT", "/v2/web/manifests/"+md+"?tag=p1&tag=p2", man, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 201, "")
		if got := resp.Header.Values("OCI-Tag"); !cmp.Equal(got, []string{"p1", "p2"}) {
			t.Fatalf("OCI-Tag %q", got)
		}
		resp, body = h.do(t, "GET", "/v2/web/manifests/p2", nil)
		expectStatus(t, resp, body, 200, "")
		resp, body = h.do(t, "PUT", "/v2/web/manifests/"+md+"?tag=-bad", man, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 400, "TAG_INVALID")
	})

	t.Run("large manifest", func(t *testing.T) {
		// A manifest far over etcd's request limit: its record leaves out
		// the descriptors, which come back from its bytes.
		var notes []string
		for i := range 20000 {
			notes = append(notes, fmt.Sprintf("%0150d", i))
		}
		big := imageManifest(cd, len(cfg), map[string]int{ld: len(layer)}, map[string]any{"annotations": map[string]string{"notes": strings.Join(notes, ",")}})
		resp, body := h.do(t, "PUT", "/v2/web/manifests/big", big, "Content-Type", mtOCIManifest)
		expectStatus(t, resp, body, 201, "")
		resp, body = h.do(t, "GET", "/v2/web/manifests/big", nil)
		expectStatus(t, resp, body, 200, "")
		if !bytes.Equal(body, big) {
			t.Fatal("large manifest came back different")
		}
		m, err := h.reg.Resolve("web", "big")
		if err != nil || !m.External {
			t.Fatalf("record %+v %v", m, err)
		}
		full, err := h.reg.Full(m)
		if err != nil || len(full.Layers) != 1 || full.Layers[0].Digest != ld {
			t.Fatalf("full record %+v %v", full, err)
		}
	})
}

// TestGarbageCollection: unreferenced blobs go after the grace period;
// referenced ones and fresh ones stay.
func TestGarbageCollection(t *testing.T) {
	h := newHarness(t)
	h.repo(t, "web", Mutable)
	ctx := context.Background()
	cfg := []byte(`{"os":"linux"}`)
	layer := []byte("kept layer")
	orphan := []byte("orphan layer")
	cd, ld, od := h.pushBlob(t, "web", cfg), h.pushBlob(t, "web", layer), h.pushBlob(t, "web", orphan)
	man := imageManifest(cd, len(cfg), map[string]int{ld: len(layer)}, nil)
	resp, body := h.do(t, "PUT", "/v2/web/manifests/v1", man, "Content-Type", mtOCIManifest)
	expectStatus(t, resp, body, 201, "")

	st, err := h.reg.CollectGarbage(ctx)
	if err != nil || st != (GCStats{}) {
		t.Fatalf("GC within the grace period: %+v %v", st, err)
	}
	h.clock.Advance(2 * h.reg.cfg.GCGrace)
	st, err = h.reg.CollectGarbage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LinksRemoved != 1 || st.BlobsRemoved != 1 || st.BytesFreed != int64(len(orphan)) {
		t.Fatalf("GC removed %+v, want the orphan only", st)
	}
	resp, body = h.do(t, "GET", "/v2/web/blobs/"+od, nil)
	expectStatus(t, resp, body, 404, "BLOB_UNKNOWN")
	resp, body = h.do(t, "GET", "/v2/web/blobs/"+ld, nil)
	expectStatus(t, resp, body, 200, "")

	// Deleting the image frees its blobs on the next pass past the grace.
	h.do(t, "DELETE", "/v2/web/manifests/"+sha(man), nil)
	h.clock.Advance(2 * h.reg.cfg.GCGrace)
	st, err = h.reg.CollectGarbage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.BlobsRemoved != 3 { // config, layer, manifest bytes
		t.Fatalf("after delete GC removed %+v", st)
	}
}
