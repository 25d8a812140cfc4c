package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestBuildPushPull(t *testing.T) {
	bin := buildHello(t)
	binBytes, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	conf := writeFile(t, "config.json", `{"greeting":"hi"}`, 0o640)
	host := startRegistry(t, nil)

	for _, tc := range []struct {
		name   string
		docker bool
		want   [3]types.MediaType // manifest, config, layer
	}{
		{"oci", false, [3]types.MediaType{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer}},
		{"docker", true, [3]types.MediaType{types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			spec := Spec{
				Files: []File{
					{Src: bin, Dst: "/app"},
					{Src: conf, Dst: "/etc/hello/config.json", Mode: 0o600},
				},
				Entrypoint:       []string{"/app"},
				Cmd:              []string{"serve", "--verbose"},
				Env:              []string{"GREETING=hi", "PATH=/"},
				ExposedPorts:     []string{"8080", "9090/udp"},
				WorkingDir:       "/etc/hello",
				User:             "65532:65532",
				Labels:           map[string]string{"org.opencontainers.image.title": "hello"},
				DockerMediaTypes: tc.docker,
			}
			img, err := Build(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			ref := host + "/test/hello:" + tc.name
			digest, err := Push(ctx, img, ref, nil, true)
			if err != nil {
				t.Fatal(err)
			}

			tag, err := name.NewTag(ref, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			got, err := remote.Image(tag, remote.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			if gd, _ := got.Digest(); gd.String() != digest {
				t.Errorf("pulled digest %s, Push returned %s", gd, digest)
			}
			if !strings.HasPrefix(digest, "sha256:") {
				t.Errorf("digest %q, want sha256:...", digest)
			}

			cfg, err := got.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			wantConfig := v1.Config{
				Entrypoint:   []string{"/app"},
				Cmd:          []string{"serve", "--verbose"},
				Env:          []string{"GREETING=hi", "PATH=/"},
				ExposedPorts: map[string]struct{}{"8080/tcp": {}, "9090/udp": {}},
				WorkingDir:   "/etc/hello",
				User:         "65532:65532",
				Labels:       map[string]string{"org.opencontainers.image.title": "hello"},
			}
			if diff := cmp.Diff(wantConfig, cfg.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
				t.Errorf("platform %s/%s, want linux/%s", cfg.OS, cfg.Architecture, runtime.GOARCH)
			}
			if !cfg.Created.Time.Equal(time.Unix(0, 0)) {
				t.Errorf("created %v, want the epoch", cfg.Created)
			}

			m, err := got.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			gotTypes := [3]types.MediaType{m.MediaType, m.Config.MediaType}
			if len(m.Layers) == 1 {
				gotTypes[2] = m.Layers[0].MediaType
			}
			if gotTypes != tc.want {
				t.Errorf("media types (manifest, config, layer) = %v, want %v", gotTypes, tc.want)
			}

			entries, files := layerContents(t, got)
			wantEntries := []tarEntry{
				{Name: "app", Type: tar.TypeReg, Mode: 0o755, Size: int64(len(binBytes))},
				{Name: "etc/", Type: tar.TypeDir, Mode: 0o755},
				{Name: "etc/hello/", Type: tar.TypeDir, Mode: 0o755},
				{Name: "etc/hello/config.json", Type: tar.TypeReg, Mode: 0o600, Size: int64(len(`{"greeting":"hi"}`))},
			}
			if diff := cmp.Diff(wantEntries, entries); diff != "" {
				t.Errorf("layer entries (-want +got):\n%s", diff)
			}
			if !bytes.Equal(files["app"], binBytes) {
				t.Errorf("/app in the layer differs from the binary (%d bytes, want %d)", len(files["app"]), len(binBytes))
			}
			if got := string(files["etc/hello/config.json"]); got != `{"greeting":"hi"}` {
				t.Errorf("/etc/hello/config.json = %q", got)
			}
		})
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	bin := buildHello(t)
	spec := Spec{Files: []File{{Src: bin, Dst: "/app"}}, Entrypoint: []string{"/app"}, ExposedPorts: []string{"8080"}}
	digest := func(s Spec) string {
		t.Helper()
		img, err := Build(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	first := digest(spec)

	// Neither the time the file was written nor the umask it was written
	// under reaches the image.
	if err := os.Chtimes(bin, time.Now(), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if again := digest(spec); again != first {
		t.Errorf("second build has digest %s, first %s", again, first)
	}

	changed := spec
	changed.Env = []string{"A=b"}
	if other := digest(changed); other == first {
		t.Errorf("a different Env gave the same digest %s", other)
	}
	changed = spec
	changed.DockerMediaTypes = true
	if other := digest(changed); other == first {
		t.Errorf("Docker media types gave the same digest %s", other)
	}
}

func TestBuildRejects(t *testing.T) {
	bin := writeFile(t, "bin", "#!", 0o755)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"no files", Spec{}, "no files"},
		{"relative destination", Spec{Files: []File{{Src: bin, Dst: "app"}}}, "absolute path"},
		{"root destination", Spec{Files: []File{{Src: bin, Dst: "/"}}}, "absolute path"},
		{"same destination twice", Spec{Files: []File{{Src: bin, Dst: "/app"}, {Src: bin, Dst: "/./app"}}}, "given twice"},
		{"file under a file", Spec{Files: []File{{Src: bin, Dst: "/app"}, {Src: bin, Dst: "/app/x"}}}, "also a file"},
		{"file that is a directory", Spec{Files: []File{{Src: bin, Dst: "/a/b"}, {Src: bin, Dst: "/a"}}}, "also a directory"},
		{"missing source", Spec{Files: []File{{Src: bin + ".missing", Dst: "/app"}}}, "no such file"},
		{"directory source", Spec{Files: []File{{Src: dir, Dst: "/app"}}}, "not a regular file"},
		{"bad port", Spec{Files: []File{{Src: bin, Dst: "/app"}}, ExposedPorts: []string{"http"}}, `port "http"`},
		{"port out of range", Spec{Files: []File{{Src: bin, Dst: "/app"}}, ExposedPorts: []string{"70000/tcp"}}, `port "70000/tcp"`},
		{"bad protocol", Spec{Files: []File{{Src: bin, Dst: "/app"}}, ExposedPorts: []string{"80/icmp"}}, `port "80/icmp"`},
		{"bad env", Spec{Files: []File{{Src: bin, Dst: "/app"}}, Env: []string{"NOVALUE"}}, `env "NOVALUE"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestNormalizePort(t *testing.T) {
	for in, want := range map[string]string{"8080": "8080/tcp", "53/udp": "53/udp", "1/sctp": "1/sctp", "65535/tcp": "65535/tcp"} {
		got, err := NormalizePort(in)
		if err != nil || got != want {
			t.Errorf("NormalizePort(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "080", "-1", "8080/", "x/tcp", "8080/TCP"} {
		if got, err := NormalizePort(in); err == nil {
			t.Errorf("NormalizePort(%q) = %q, want an error", in, got)
		}
	}
}
