package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"tide/internal/store"
)

// Media types the registry understands.
const (
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// MaxManifestBytes bounds a manifest, as ECR and distribution do.
const MaxManifestBytes = 4 << 20

var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// ValidTag reports whether s is a valid tag.
func ValidTag(s string) bool { return tagRE.MatchString(s) }

// wireManifest is the union of the manifest shapes the registry parses.
type wireManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *Descriptor       `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Manifests     []Descriptor      `json:"manifests"`
	Subject       *Descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// ManifestError is a manifest the registry refuses, with the OCI code.
type ManifestError struct {
	Code    string // MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID, SIZE_INVALID
	Message string
	Detail  any
}

func (e *ManifestError) Error() string { return e.Message }

func invalidManifest(format string, args ...any) error {
	return &ManifestError{Code: "MANIFEST_INVALID", Message: fmt.Sprintf(format, args...)}
}

// parseManifest checks body against mediaType (the Content-Type; may be
// empty) and returns the record to store, without repository or time.
func parseManifest(body []byte, contentType string) (*Manifest, error) {
	var w wireManifest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, invalidManifest("manifest invalid: %v", err)
	}
	if w.SchemaVersion != 2 {
		return nil, invalidManifest("manifest invalid: unsupported schemaVersion %d", w.SchemaVersion)
	}
	mt := w.MediaType
	if mt == "" {
		mt = contentType
	}
	if mt == "" {
		switch {
		case w.Manifests != nil:
			mt = mtOCIIndex
		default:
			mt = mtOCIManifest
		}
	}
	if w.MediaType != "" && contentType != "" && contentType != w.MediaType && !isJSONType(contentType) {
		return nil, invalidManifest("manifest invalid: mediaType %q does not match Content-Type %q", w.MediaType, contentType)
	}
	m := &Manifest{MediaType: mt, ArtifactType: w.ArtifactType, Size: int64(len(body)), Annotations: w.Annotations}
	if w.Subject != nil {
		if _, err := parseDigest(w.Subject.Digest); err != nil {
			return nil, invalidManifest("manifest invalid: subject digest %q", w.Subject.Digest)
		}
		m.Subject = w.Subject.Digest
	}
	switch mt {
	case mtOCIManifest, mtDockerManifest:
		if w.Config == nil {
			return nil, invalidManifest("manifest invalid: config is required")
		}
		if w.Manifests != nil {
			return nil, invalidManifest("manifest invalid: an image manifest has no manifests")
		}
		for _, d := range append([]Descriptor{*w.Config}, w.Layers...) {
			if err := checkDescriptor(d); err != nil {
				return nil, err
			}
		}
		m.Config, m.Layers = w.Config, w.Layers
		if m.ArtifactType == "" && mt == mtOCIManifest {
			m.ArtifactType = w.Config.MediaType
		}
	case mtOCIIndex, mtDockerList:
		if w.Config != nil || w.Layers != nil {
			return nil, invalidManifest("manifest invalid: an index has no config or layers")
		}
		for _, d := range w.Manifests {
			if err := checkDescriptor(d); err != nil {
				return nil, err
			}
		}
		m.Manifests = w.Manifests
	default:
		return nil, invalidManifest("manifest invalid: unsupported media type %q", mt)
	}
	return m, nil
}

func isJSONType(ct string) bool { return ct == "application/json" }

func checkDescriptor(d Descriptor) error {
	if _, err := parseDigest(d.Digest); err != nil {
		return &ManifestError{Code: "DIGEST_INVALID", Message: fmt.Sprintf("invalid digest %q in manifest", d.Digest)}
	}
	if d.Size < 0 {
		return invalidManifest("manifest invalid: negative size for %s", d.Digest)
	}
	return nil
}

// nonDistributable layers need not be in the registry.
func nonDistributable(mt string) bool {
	switch mt {
	case "application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		return true
	}
	return false
}

// PutManifest stores body as a manifest of repo, tagged tag when tag is not
// empty. When want is set (a push by digest) the content must have that
// digest. It returns the stored record; pushing an existing manifest again
// keeps its push time.
func (r *Registry) PutManifest(ctx context.Context, repo, tag, want string, contentType string, body []byte) (*Manifest, error) {
	var tags []string
	if tag != "" {
		tags = []string{tag}
	}
	return r.PutManifestTags(ctx, repo, tags, want, contentType, body)
}

// PutManifestTags is PutManifest with any number of tags, all applied in
// one transaction (the spec's ?tag= parameters).
func (r *Registry) PutManifestTags(ctx context.Context, repo string, tags []string, want string, contentType string, body []byte) (*Manifest, error) {
	rec, ok := r.Repo(repo)
	if !ok {
		return nil, ErrRepoUnknown
	}
	if len(body) > MaxManifestBytes {
		return nil, &ManifestError{Code: "SIZE_INVALID", Message: fmt.Sprintf("manifest exceeds %d bytes", MaxManifestBytes)}
	}
	alg := "sha256"
	if want != "" {
		wd, err := parseDigest(want)
		if err != nil {
			return nil, &ManifestError{Code: "DIGEST_INVALID", Message: "invalid digest " + want}
		}
		alg = wd.alg
	}
	d := digestOf(alg, body)
	if want != "" && d.String() != want {
		return nil, &ManifestError{Code: "DIGEST_INVALID", Message: "manifest digest did not match", Detail: map[string]string{"digest": want}}
	}
	m, err := parseManifest(body, contentType)
	if err != nil {
		return nil, err
	}
	m.Repo, m.Digest, m.PushedAt = repo, d.String(), r.now()
	r.gcMu.RLock()
	defer r.gcMu.RUnlock()
	if err := r.checkReferences(repo, m); err != nil {
		return nil, err
	}
	r.blobs.touch(d, r.now())
	if err := r.blobs.put(d, body); err != nil {
		return nil, fmt.Errorf("store manifest: %w", err)
	}
	for {
		ws, stored, err := r.manifestWrites(repo, rec, tags, m)
		if err != nil {
			return nil, err
		}
		if len(ws) == 0 {
			return stored, nil
		}
		_, err = r.st.Commit(ctx, ws...)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return stored, nil
	}
}

// manifestWrites returns the guarded writes that store m and point tags at it.
func (r *Registry) manifestWrites(repo string, rec *Repository, tags []string, m *Manifest) ([]store.Write, *Manifest, error) {
	var ws []store.Write
	stored := m
	if kv, ok := r.st.Get(manifestKey(repo, m.Digest)); ok {
		var old Manifest
		if json.Unmarshal(kv.Value, &old) == nil {
			stored = &old
		}
	} else {
		ws = append(ws, store.Put(manifestKey(repo, m.Digest), r.manifestRecord(m), store.MustBeNew))
	}
	for _, tag := range tags {
		tkv, ok := r.st.Get(tagKey(repo, tag))
		guard := store.MustBeNew
		if ok {
			var t tagRecord
			json.Unmarshal(tkv.Value, &t)
			if t.Digest == m.Digest {
				continue
			}
			if rec.TagMutability == Immutable {
				return nil, nil, fmt.Errorf("%w: The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", ErrTagImmutable, tag, repo)
			}
			guard = tkv.ModRev
		}
		ws = append(ws, store.Put(tagKey(repo, tag), mustJSON(tagRecord{Digest: m.Digest, UpdatedAt: r.now()}), guard))
	}
	return ws, stored, nil
}

// maxRecordBytes bounds a manifest record in the store (etcd refuses
// requests over 1.5 MiB by default). A manifest whose record would be larger
// is recorded without its descriptors, which are read from its bytes.
const maxRecordBytes = 256 << 10

func (r *Registry) manifestRecord(m *Manifest) []byte {
	b := mustJSON(m)
	if len(b) <= maxRecordBytes {
		return b
	}
	slim := *m
	slim.Layers, slim.Manifests, slim.Annotations, slim.External = nil, nil, nil, true
	return mustJSON(&slim)
}

// Full returns m with the descriptors and annotations that a large
// manifest's record leaves out, read from its bytes.
func (r *Registry) Full(m *Manifest) (*Manifest, error) {
	if !m.External {
		return m, nil
	}
	body, err := r.ManifestBytes(m)
	if err != nil {
		return nil, err
	}
	p, err := parseManifest(body, m.MediaType)
	if err != nil {
		return nil, err
	}
	full := *m
	full.Layers, full.Manifests, full.Annotations, full.External = p.Layers, p.Manifests, p.Annotations, false
	return &full, nil
}

// checkReferences checks the sizes of the blobs m names that repo holds.
// Blobs and child manifests that repo does not hold are allowed: a sparse
// manifest (an index copied with only some of its platforms, an image
// without its non-distributable layers) is valid, as the OCI conformance
// suite's sparse data set requires. ECR's PutImage checks layers itself.
func (r *Registry) checkReferences(repo string, m *Manifest) error {
	blobs := m.Layers
	if m.Config != nil {
		blobs = append([]Descriptor{*m.Config}, m.Layers...)
	}
	for _, b := range blobs {
		if l, ok := r.linked(repo, b.Digest); ok && l.Size != b.Size {
			return invalidManifest("manifest invalid: blob %s has size %d, not %d", b.Digest, l.Size, b.Size)
		}
	}
	return nil
}

// Resolve finds the manifest that ref (a tag or a digest) names in repo.
func (r *Registry) Resolve(repo, ref string) (*Manifest, error) {
	if _, ok := r.Repo(repo); !ok {
		return nil, ErrRepoUnknown
	}
	d := ref
	if _, err := parseDigest(ref); err != nil {
		var ok bool
		if d, ok = r.TagDigest(repo, ref); !ok {
			return nil, ErrImageUnknown
		}
	}
	m, ok := r.ManifestByDigest(repo, d)
	if !ok {
		return nil, ErrImageUnknown
	}
	return m, nil
}

// ManifestBytes returns the exact bytes of manifest m.
func (r *Registry) ManifestBytes(m *Manifest) ([]byte, error) {
	d, err := parseDigest(m.Digest)
	if err != nil {
		return nil, err
	}
	return r.blobs.read(d)
}

// DeleteManifest removes the manifest with digest d from repo, with every tag
// pointing at it.
func (r *Registry) DeleteManifest(ctx context.Context, repo, d string) (*Manifest, []string, error) {
	kv, ok := r.st.Get(manifestKey(repo, d))
	if !ok {
		return nil, nil, ErrImageUnknown
	}
	var m Manifest
	json.Unmarshal(kv.Value, &m)
	ws := []store.Write{store.Del(kv.Key, kv.ModRev)}
	tags := r.Tags(repo)[d]
	for _, t := range tags {
		ws = append(ws, store.Del(tagKey(repo, t), store.Any))
	}
	if _, err := r.st.Commit(ctx, ws...); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, nil, ErrImageUnknown
		}
		return nil, nil, err
	}
	return &m, tags, nil
}

// DeleteTag removes tag from repo, leaving its manifest.
func (r *Registry) DeleteTag(ctx context.Context, repo, tag string) (string, error) {
	kv, ok := r.st.Get(tagKey(repo, tag))
	if !ok {
		return "", ErrImageUnknown
	}
	var t tagRecord
	json.Unmarshal(kv.Value, &t)
	if _, err := r.st.Commit(ctx, store.Del(kv.Key, kv.ModRev)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", ErrImageUnknown
		}
		return "", err
	}
	return t.Digest, nil
}

// Referrers returns the descriptors of the manifests in repo whose subject is
// d, optionally only those of artifactType.
func (r *Registry) Referrers(repo, d, artifactType string) []Descriptor {
	out := []Descriptor{}
	for _, m := range r.Manifests(repo) {
		if m.Subject != d || (artifactType != "" && m.ArtifactType != artifactType) {
			continue
		}
		if full, err := r.Full(m); err == nil {
			m = full
		}
		out = append(out, Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: m.Size, ArtifactType: m.ArtifactType, Annotations: m.Annotations})
	}
	return out
}
