package imagebuild

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// basicAuthOnly answers 401 with an ECR-style Basic challenge unless a
// request carries user:password.
func basicAuthOnly(user, password string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// immutableTags refuses every manifest upload as a registry with immutable
// tags refuses an existing tag.
func immutableTags(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errors":[{"code":"TAG_INVALID","message":"tag v1 is immutable"}]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestPushErrors(t *testing.T) {
	img, err := Build(t.Context(), Spec{Files: []File{{Src: writeFile(t, "f", "x", 0o644), Dst: "/f"}}})
	if err != nil {
		t.Fatal(err)
	}
	authed := startRegistry(t, basicAuthOnly("AWS", "s3cret"))
	immutable := startRegistry(t, immutableTags)
	for _, tc := range []struct {
		name       string
		host       string
		auth       authn.Authenticator
		wantStatus int    // 0: success
		wantErrors string // joined RegistryError.Errors
	}{
		{"right password", authed, &authn.Basic{Username: "AWS", Password: "s3cret"}, 0, ""},
		// gcr learns of the failure from a HEAD request, which has no body.
		{"wrong password", authed, &authn.Basic{Username: "AWS", Password: "nope"}, 401, ""},
		{"anonymous", authed, nil, 401, ""},
		{"registry refuses the manifest", immutable, nil, 400, "TAG_INVALID: tag v1 is immutable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Push(t.Context(), img, tc.host+"/web:v1", tc.auth, true)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Push: %v", err)
				}
				if want, _ := img.Digest(); d != want.String() {
					t.Errorf("digest %s, want %s", d, want)
				}
				return
			}
			var re *RegistryError
			if !errors.As(err, &re) {
				t.Fatalf("Push error = %v (%T), want a *RegistryError", err, err)
			}
			if re.StatusCode != tc.wantStatus || strings.Join(re.Errors, "; ") != tc.wantErrors {
				t.Errorf("RegistryError{%d, %q}, want {%d, %q}", re.StatusCode, re.Errors, tc.wantStatus, tc.wantErrors)
			}
			if tc.wantErrors != "" && !strings.Contains(err.Error(), tc.wantErrors) {
				t.Errorf("error %q does not show the registry's %q", err, tc.wantErrors)
			}
		})
	}
}

func TestWriteTarball(t *testing.T) {
	bin := buildHello(t)
	img, err := Build(t.Context(), Spec{Files: []File{{Src: bin, Dst: "/hello"}}, Entrypoint: []string{"/hello"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTarball(img, "127.0.0.1:4566/web:1", &buf); err != nil {
		t.Fatal(err)
	}

	// The tarball is what `docker save` writes: a manifest.json naming the
	// tag, the config and the layers, which are all in it.
	members := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		members[h.Name] = b
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(members["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 1 {
		t.Fatalf("manifest.json has %d images, want 1", len(manifest))
	}
	if diff := cmp.Diff([]string{"127.0.0.1:4566/web:1"}, manifest[0].RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}
	for _, m := range append([]string{manifest[0].Config}, manifest[0].Layers...) {
		if _, ok := members[m]; !ok {
			t.Errorf("manifest.json names %s, which the tarball lacks", m)
		}
	}

	// Read back, it is the same image config and layer.
	loaded, err := tarball.Image(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := img.ConfigName()
	gotCfg, err := loaded.ConfigName()
	if err != nil || gotCfg != wantCfg {
		t.Errorf("config digest %s (%v), want %s", gotCfg, err, wantCfg)
	}
	_, files := layerContents(t, loaded)
	if len(files["hello"]) == 0 {
		t.Error("the tarball's layer lacks /hello")
	}
}
