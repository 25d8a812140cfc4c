package imagebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Push uploads img to the registry as ref ("host:port/repo:tag") and returns
// the digest of its manifest ("sha256:..."). A nil auth is anonymous; with
// insecure, the registry is reached over plain HTTP. An error the registry
// answered with is a *RegistryError.
func Push(ctx context.Context, img v1.Image, ref string, auth authn.Authenticator, insecure bool) (string, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(ref, opts...)
	if err != nil {
		return "", fmt.Errorf("push: %w", err)
	}
	if auth == nil {
		auth = authn.Anonymous
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithAuth(auth)); err != nil {
		return "", fmt.Errorf("push %s: %w", tag, registryError(err))
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("push %s: %w", tag, err)
	}
	return d.String(), nil
}

// WriteTarball writes img to w as a tarball that `docker load` accepts,
// tagged ref (":latest" when ref names no tag).
func WriteTarball(img v1.Image, ref string, w io.Writer) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("write tarball: %w", err)
	}
	if !strings.HasSuffix(ref, ":"+tag.TagStr()) {
		// The tarball names the image as written; docker load wants a tag.
		if tag, err = name.NewTag(ref + ":" + tag.TagStr()); err != nil {
			return fmt.Errorf("write tarball: %w", err)
		}
	}
	if err := tarball.Write(tag, img, w); err != nil {
		return fmt.Errorf("write tarball %s: %w", tag, err)
	}
	return nil
}

// RegistryError is an error response from a registry: its HTTP status and
// the distribution error codes and messages of its body.
type RegistryError struct {
	StatusCode int
	// Errors are the body's "CODE: message" entries; empty when the body had
	// none (a HEAD response, say).
	Errors []string
	err    error
}

func (e *RegistryError) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("registry answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return "registry answered " + strings.Join(e.Errors, "; ")
}

func (e *RegistryError) Unwrap() error { return e.err }

// registryError turns a registry's error response inside err into a
// *RegistryError and returns any other error unchanged.
func registryError(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	re := &RegistryError{StatusCode: te.StatusCode, err: err}
	for _, d := range te.Errors {
		re.Errors = append(re.Errors, fmt.Sprintf("%s: %s", d.Code, d.Message))
	}
	return re
}
