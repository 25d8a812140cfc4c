package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"tide/internal/sigv4"
)

const (
	testAKID     = "AKIDIMAGETEST"
	testSecret   = "image-test-secret"
	testPassword = "tide1.test.token"
)

// buildHello compiles testdata/hello as a static Linux binary.
func buildHello(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH to compile testdata/hello:", err)
	}
	out := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", out, "./testdata/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/hello: %v\n%s", err, b)
	}
	return out
}

// startFakeTide serves, on one loopback port as Tide does, ECR's
// GetAuthorizationToken (checking the SigV4 signature) and an in-memory
// registry that wants the token's password as Basic authentication. It
// returns host:port.
func startFakeTide(t *testing.T) string {
	t.Helper()
	verifier := &sigv4.Verifier{Secret: func(id string) (string, bool) { return testSecret, id == testAKID }}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var host string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v2/") {
			if u, p, ok := r.BasicAuth(); !ok || u != "AWS" || p != testPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="tide"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			reg.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if r.Header.Get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"UnknownOperationException","message":"unknown operation"}`)
			return
		}
		if _, err := verifier.Verify(r, body); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`)
			return
		}
		token := base64.StdEncoding.EncodeToString([]byte("AWS:" + testPassword))
		io.WriteString(w, `{"authorizationData":[{"authorizationToken":"`+token+`","expiresAt":`+
			strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)+`,"proxyEndpoint":"http://`+host+`"}]}`)
	}))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	return host
}

// env returns a getenv that knows only vars.
func env(vars ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(vars); i += 2 {
			if vars[i] == k {
				return vars[i+1]
			}
		}
		return ""
	}
}

var goodEnv = env("AWS_ACCESS_KEY_ID", testAKID, "AWS_SECRET_ACCESS_KEY", testSecret)

func TestImageBuildPushes(t *testing.T) {
	bin := buildHello(t)
	conf := filepath.Join(t.TempDir(), "conf.json")
	if err := os.WriteFile(conf, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	host := startFakeTide(t)

	for _, tc := range []struct {
		name       string
		args       []string
		getenv     func(string) string
		wantConfig v1.Config
		wantFiles  []string
		wantMedia  string
	}{
		{
			name:       "defaults",
			args:       []string{"--binary", bin, "--tag", host + "/web:1", "--port", "8080"},
			getenv:     goodEnv,
			wantConfig: v1.Config{Entrypoint: []string{"/hello"}, ExposedPorts: map[string]struct{}{"8080/tcp": {}}},
			wantFiles:  []string{"hello"},
			wantMedia:  "application/vnd.oci.image.manifest.v1+json",
		},
		{
			// An AWS_ key ID without its secret does not pair with TIDE_'s.
			name: "every flag, TIDE_ credentials",
			args: []string{"--binary", bin, "--tag", host + "/team/api:v2", "--entrypoint", "/usr/local/bin/api",
				"--cmd", "serve", "--cmd", "--addr=:9000", "--env", "GREETING=hi", "--env", "MODE=prod",
				"--port", "9000/tcp", "--port", "53/udp", "--file", conf + ":/etc/api/conf.json",
				"--label", "team=core", "--workdir", "/etc/api", "--user", "1000:1000",
				"--docker-media-types", "--endpoint", "http://" + host + "/", "--region", "eu-west-1"},
			getenv: env("AWS_ACCESS_KEY_ID", "AKIDREALAWS", "TIDE_ACCESS_KEY_ID", testAKID, "TIDE_SECRET_ACCESS_KEY", testSecret),
			wantConfig: v1.Config{
				Entrypoint: []string{"/usr/local/bin/api"}, Cmd: []string{"serve", "--addr=:9000"},
				Env:          []string{"GREETING=hi", "MODE=prod"},
				ExposedPorts: map[string]struct{}{"9000/tcp": {}, "53/udp": {}},
				Labels:       map[string]string{"team": "core"}, WorkingDir: "/etc/api", User: "1000:1000",
			},
			wantFiles: []string{"etc/", "etc/api/", "etc/api/conf.json", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/api"},
			wantMedia: "application/vnd.docker.distribution.manifest.v2+json",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := imageBuild(t.Context(), tc.args, tc.getenv, &stdout, &stderr); err != nil {
				t.Fatalf("tide image build: %v\nstderr: %s", err, &stderr)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr: %s", &stderr)
			}
			out := strings.TrimSpace(stdout.String())
			ref, err := name.NewDigest(out, name.Insecure)
			if err != nil {
				t.Fatalf("stdout %q is not a digest reference: %v", out, err)
			}
			if !strings.HasPrefix(out, host+"/") {
				t.Errorf("stdout %q does not start with the registry %s", out, host)
			}

			img, err := remote.Image(ref, remote.WithContext(t.Context()),
				remote.WithAuth(&authn.Basic{Username: "AWS", Password: testPassword}))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantConfig, cfg.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
				t.Errorf("platform %s/%s", cfg.OS, cfg.Architecture)
			}
			m, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if string(m.MediaType) != tc.wantMedia {
				t.Errorf("manifest media type %s, want %s", m.MediaType, tc.wantMedia)
			}
			if diff := cmp.Diff(tc.wantFiles, layerNames(t, img)); diff != "" {
				t.Errorf("layer members (-want +got):\n%s", diff)
			}
		})
	}
}

func layerNames(t *testing.T, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func TestImageBuildFails(t *testing.T) {
	bin := buildHello(t)
	host := startFakeTide(t)
	script := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := "s390x"
	if runtime.GOARCH == other {
		other = "amd64"
	}
	tag := host + "/web:1"
	for _, tc := range []struct {
		name   string
		args   []string
		getenv func(string) string
		want   string
	}{
		{"no binary", []string{"--tag", tag}, goodEnv, "--binary and --tag are required"},
		{"no tag", []string{"--binary", bin}, goodEnv, "--binary and --tag are required"},
		{"extra argument", []string{"--binary", bin, "--tag", tag, "oops"}, goodEnv, `unexpected argument "oops"`},
		{"not an executable", []string{"--binary", script, "--tag", tag}, goodEnv, "is not a Linux executable"},
		{"wrong architecture", []string{"--binary", bin, "--tag", tag, "--platform", "linux/" + other}, goodEnv, "GOARCH=" + other},
		{"bad platform", []string{"--binary", bin, "--tag", tag, "--platform", "a/b/c/d"}, goodEnv, "--platform"},
		{"bad file", []string{"--binary", bin, "--tag", tag, "--file", "nodst"}, goodEnv, `--file "nodst": want SRC:DST`},
		{"relative file destination", []string{"--binary", bin, "--tag", tag, "--file", bin + ":x"}, goodEnv, "absolute path"},
		{"bad port", []string{"--binary", bin, "--tag", tag, "--port", "http"}, goodEnv, `port "http"`},
		{"bad label", []string{"--binary", bin, "--tag", tag, "--label", "x"}, goodEnv, `--label "x"`},
		{"tag without registry", []string{"--binary", bin, "--tag", "web:1"}, goodEnv, "names no registry host"},
		{"endpoint without scheme", []string{"--binary", bin, "--tag", tag, "--endpoint", host}, goodEnv, "want an http:// or https:// URL"},
		{"no credentials", []string{"--binary", bin, "--tag", tag}, env(), "credentials needed"},
		{"wrong secret", []string{"--binary", bin, "--tag", tag}, env("AWS_ACCESS_KEY_ID", testAKID, "AWS_SECRET_ACCESS_KEY", "guess"),
			"UnrecognizedClientException: The security token included in the request is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := imageBuild(t.Context(), tc.args, tc.getenv, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout on failure: %q", &stdout)
			}
		})
	}
}

func TestImageBuildWarnsOfDynamicBinary(t *testing.T) {
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh:", err)
	}
	out := filepath.Join(t.TempDir(), "sh.tar")
	var stdout, stderr bytes.Buffer
	if err := imageBuild(t.Context(), []string{"--binary", sh, "--tag", "sh:1", "--output", out}, env(), &stdout, &stderr); err != nil {
		t.Skipf("/bin/sh is not a binary for this platform: %v", err)
	}
	if !strings.Contains(stderr.String(), "is dynamically linked") {
		t.Skipf("/bin/sh is statically linked here (stderr %q)", &stderr)
	}
	if strings.TrimSpace(stdout.String()) != "sh:1" {
		t.Errorf("stdout %q, want the tag", &stdout)
	}
}

// TestImageBuildDockerLoad checks that docker loads the --output tarball and
// runs the image.
func TestImageBuildDockerLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	docker := func(args ...string) (string, error) {
		b, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
		return string(b), err
	}
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Skipf("docker is not usable here (docker info: %v)", err)
	}
	bin := buildHello(t)
	tarPath := filepath.Join(t.TempDir(), "hello.tar")
	tag := "tide-image-test:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var stdout, stderr bytes.Buffer
	err := imageBuild(ctx, []string{"--binary", bin, "--tag", tag, "--output", tarPath,
		"--cmd", "a", "--cmd", "b", "--env", "GREETING=hi"}, env(), &stdout, &stderr)
	if err != nil {
		t.Fatalf("tide image build: %v\nstderr: %s", err, &stderr)
	}
	if out, err := docker("load", "-i", tarPath); err != nil {
		t.Fatalf("docker load: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if out, err := exec.CommandContext(cctx, "docker", "rmi", "-f", tag).CombinedOutput(); err != nil {
			t.Logf("docker rmi %s: %v\n%s", tag, err, out)
		}
	})
	out, err := docker("run", "--rm", "--network", "none", tag)
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	if want := "hello from tide: args=a,b greeting=hi\n"; out != want {
		t.Errorf("docker run printed %q, want %q", out, want)
	}
}
