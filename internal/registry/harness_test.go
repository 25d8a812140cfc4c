package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"tide/internal/clocktest"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"tide/internal/store"
)

const (
	testKey    = "AKIAREGISTRYTEST0001"
	testSecret = "registryTestSecret/0123456789abcdefghij"
)

// harness is a registry over a real embedded etcd, served on loopback.
type harness struct {
	reg   *Registry
	st    *store.Store
	dir   string
	clock *clocktest.Clock
	srv   *httptest.Server
	host  string // host:port, as image references name it
	token string // a valid registry password
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st, err := store.Open(ctx, e.Client(), "/tide/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	h := &harness{st: st, dir: t.TempDir(), clock: clocktest.New(time.Now())}
	h.reg, err = New(st, h.dir, quiet, Config{
		Region: "us-east-1", AccountID: "000000000000", Now: h.clock.Now,
		Secret: func(id string) (string, bool) { return testSecret, id == testKey },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.reg)
	t.Cleanup(h.srv.Close)
	h.host = h.srv.Listener.Addr().String()
	h.token, err = h.reg.Token(testKey, h.clock.Now().Add(TokenTTL))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// repo creates repository name.
func (h *harness) repo(t *testing.T, name string, mutability string) {
	t.Helper()
	if err := h.reg.CreateRepo(context.Background(), &Repository{Name: name, CreatedAt: h.clock.Now(), TagMutability: mutability}); err != nil {
		t.Fatal(err)
	}
}

// remoteOpts are go-containerregistry options with ECR-style credentials.
func (h *harness) remoteOpts() []remote.Option {
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: "AWS", Password: h.token})}
}

func (h *harness) ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(h.host+"/"+s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// do sends an authenticated request and returns the response with its body read.
func (h *harness) do(t *testing.T, method, path string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("AWS", h.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(s[:])
}

// pushBlob uploads data monolithically to repo and fails the test otherwise.
func (h *harness) pushBlob(t *testing.T, repo string, data []byte) string {
	t.Helper()
	d := sha(data)
	resp, body := h.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+d, data, "Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push blob: %d %s", resp.StatusCode, body)
	}
	return d
}

func expectStatus(t *testing.T, resp *http.Response, body []byte, want int, code string) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
	if code != "" && !bytes.Contains(body, []byte(`"code":"`+code+`"`)) {
		t.Fatalf("%s %s: body %s, want code %s", resp.Request.Method, resp.Request.URL.Path, body, code)
	}
}
