// Package registry is Tide's container registry: the OCI Distribution API
// (v1.1) at /v2/ on the edge port, content-addressed blobs on the local
// filesystem, and repository, manifest, tag and blob-link records in the
// store. The ECR API (package ecr) works through the exported methods here.
//
// It must not depend on the ECR wire format or on any other API package.
package registry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"tide/internal/sigv4"
	"tide/internal/store"
)

// Config configures a Registry.
type Config struct {
	Region, AccountID string
	// Secret returns the secret key of an access key ID: it signs and checks
	// authorization tokens and verifies SigV4-signed registry requests.
	Secret func(accessKeyID string) (string, bool)
	// AnonymousPull lets unauthenticated clients read (GET and HEAD).
	AnonymousPull bool
	// GCGrace is how long an unreferenced blob is kept (default 1h): an
	// upload finished within it may still be referenced by a manifest soon.
	GCGrace time.Duration
	Now     func() time.Time
}

// Registry serves and stores images.
type Registry struct {
	st       *store.Store
	blobs    *blobStore
	log      *slog.Logger
	cfg      Config
	verifier *sigv4.Verifier
	now      func() time.Time
	gcMu     sync.RWMutex // held for reading while a blob gains a reference
}

// New returns a registry keeping blobs under dir.
func New(st *store.Store, dir string, log *slog.Logger, cfg Config) (*Registry, error) {
	b, err := newBlobStore(filepath.Clean(dir))
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.GCGrace == 0 {
		cfg.GCGrace = time.Hour
	}
	return &Registry{
		st: st, blobs: b, log: log, cfg: cfg, now: cfg.Now,
		verifier: &sigv4.Verifier{Secret: cfg.Secret, Region: cfg.Region, Now: cfg.Now},
	}, nil
}

// BlobSize returns the size of blob d if it belongs to repo.
func (r *Registry) BlobSize(repo, d string) (int64, bool) {
	l, ok := r.linked(repo, d)
	if !ok {
		return 0, false
	}
	pd, err := parseDigest(d)
	if err != nil {
		return 0, false
	}
	if _, err := r.blobs.stat(pd); err != nil {
		return 0, false
	}
	return l.Size, true
}

// StartUpload begins a blob upload to repo and returns its ID.
func (r *Registry) StartUpload(repo string) (string, error) {
	if _, ok := r.Repo(repo); !ok {
		return "", ErrRepoUnknown
	}
	u, err := r.blobs.startUpload(repo, r.now())
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// UploadOffset returns how many bytes upload id of repo holds.
func (r *Registry) UploadOffset(repo, id string) (int64, error) {
	u, err := r.blobs.getUpload(repo, id)
	if err != nil {
		return 0, ErrUploadUnknown
	}
	return u.Offset, nil
}

// AppendUpload appends data to upload id of repo. When start >= 0 it must
// equal the upload's current size (ErrUploadRange otherwise). It returns the
// new size.
func (r *Registry) AppendUpload(repo, id string, start int64, data io.Reader) (int64, error) {
	defer r.blobs.lockUpload(id)()
	u, err := r.blobs.getUpload(repo, id)
	if err != nil {
		return 0, ErrUploadUnknown
	}
	if start >= 0 && start != u.Offset {
		return u.Offset, ErrUploadRange
	}
	if _, err := r.blobs.appendUpload(u, data, -1); err != nil {
		return u.Offset, fmt.Errorf("append to upload %s: %w", id, err)
	}
	return u.Offset, nil
}

// CompleteUpload verifies upload id against digest d, moves it into the blob
// store and links it to repo.
func (r *Registry) CompleteUpload(ctx context.Context, repo, id, d string) (int64, error) {
	pd, err := parseDigest(d)
	if err != nil {
		return 0, ErrDigestInvalid
	}
	defer r.blobs.lockUpload(id)()
	u, err := r.blobs.getUpload(repo, id)
	if err != nil {
		return 0, ErrUploadUnknown
	}
	size, err := r.blobs.finishUpload(u, pd)
	if err == errDigestMismatch {
		return 0, ErrDigestInvalid
	}
	if err != nil {
		return 0, fmt.Errorf("finish upload %s: %w", id, err)
	}
	return size, r.link(ctx, repo, pd, size)
}

// CancelUpload drops upload id of repo.
func (r *Registry) CancelUpload(repo, id string) error {
	if _, err := r.blobs.getUpload(repo, id); err != nil {
		return ErrUploadUnknown
	}
	defer r.blobs.lockUpload(id)()
	r.blobs.cancelUpload(id)
	return nil
}

// Mount links blob d, which must already be in the blob store and belong to
// from (or, when from is empty, to any repository), to repo.
func (r *Registry) Mount(ctx context.Context, repo, d, from string) (bool, error) {
	pd, err := parseDigest(d)
	if err != nil {
		return false, ErrDigestInvalid
	}
	var size int64
	if from != "" {
		l, ok := r.linked(from, d)
		if !ok {
			return false, nil
		}
		size = l.Size
	} else {
		s, err := r.blobs.stat(pd)
		if err != nil {
			return false, nil
		}
		size = s
	}
	if _, err := r.blobs.stat(pd); err != nil {
		return false, nil
	}
	return true, r.link(ctx, repo, pd, size)
}

// OpenBlob opens blob d of repo for reading.
func (r *Registry) OpenBlob(repo, d string) (io.ReadSeekCloser, int64, error) {
	pd, err := parseDigest(d)
	if err != nil {
		return nil, 0, ErrDigestInvalid
	}
	if _, ok := r.linked(repo, d); !ok {
		return nil, 0, ErrBlobUnknown
	}
	f, err := r.blobs.open(pd)
	if err == errBlobMissing {
		return nil, 0, ErrBlobUnknown
	}
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// More registry errors.
var (
	ErrUploadUnknown = fmt.Errorf("blob upload unknown")
	ErrUploadRange   = fmt.Errorf("upload range out of order")
	ErrDigestInvalid = fmt.Errorf("digest invalid")
	ErrBlobUnknown   = fmt.Errorf("blob unknown")
)
