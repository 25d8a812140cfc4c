package docker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPullAuthenticates points Docker at a registry on loopback (Docker
// trusts 127.0.0.0/8 over plain HTTP) that demands Basic credentials and
// then has no such manifest: the pull fails, but only after Docker has
// presented the credentials from WithAuth.
func TestPullAuthenticates(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		user, pass, ok := req.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="tide-test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		seen = append(seen, user+":"+pass+" "+req.URL.Path)
		mu.Unlock()
		if req.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
	}))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	image := host + "/tide/private:v1"

	var asked []string
	r := newRuntime(t, WithAuth(func(_ context.Context, img string) (RegistryAuth, error) {
		asked = append(asked, img)
		return RegistryAuth{Username: "tide", Password: "s3cret", ServerAddress: host}, nil
	}))
	arn := newArn(t)
	c := app("private")
	c.Image = image
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := r.Start(ctx, task(arn, "bridge", c))
	if !errors.Is(err, ErrCannotPull) {
		t.Fatalf("Start: %v, want ErrCannotPull", err)
	}
	if len(asked) != 1 || asked[0] != image {
		t.Errorf("credentials asked for %q", asked)
	}
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, s := range seen {
		found = found || strings.HasPrefix(s, "tide:s3cret /v2/tide/private/manifests/")
	}
	if !found {
		t.Errorf("registry never saw the credentials on the manifest; saw %q", seen)
	}
	if _, ok := lookup(t, r, arn); ok {
		t.Error("a task whose image could not be pulled is listed")
	}
}

// TestNoPullWhenPresent checks that a local image is used as it is: the
// auth function, called only before a pull, is never asked.
func TestNoPullWhenPresent(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, WithAuth(func(context.Context, string) (RegistryAuth, error) {
		return RegistryAuth{}, errors.New("no pull expected")
	}))
	startTask(t, r, task(newArn(t), "none", app("local", "-exit", "0")))
}
