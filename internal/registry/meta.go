package registry

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"tide/internal/store"
)

// Keys in the store (under the server's prefix). Repository names never hold
// '@' or ':', so a repository's keys are exactly those under its prefixes.
const (
	reposPrefix     = "registry/repos/"
	manifestsPrefix = "registry/manifests/"
	tagsPrefix      = "registry/tags/"
	linksPrefix     = "registry/links/"
)

func repoKey(name string) string               { return reposPrefix + name }
func manifestKey(repo string, d string) string { return manifestsPrefix + repo + "@" + d }
func repoManifestsPrefix(repo string) string   { return manifestsPrefix + repo + "@" }
func tagKey(repo, tag string) string           { return tagsPrefix + repo + ":" + tag }
func repoTagsPrefix(repo string) string        { return tagsPrefix + repo + ":" }
func linkKey(repo string, d string) string     { return linksPrefix + repo + "@" + d }
func repoLinksPrefix(repo string) string       { return linksPrefix + repo + "@" }

// Tag mutability settings.
const (
	Mutable   = "MUTABLE"
	Immutable = "IMMUTABLE"
)

// Repository is one repository. ECR keeps its own settings in ECR, which
// the registry stores and returns untouched.
type Repository struct {
	Name          string          `json:"name"`
	CreatedAt     time.Time       `json:"createdAt"`
	TagMutability string          `json:"tagMutability"`
	ECR           json.RawMessage `json:"ecr,omitempty"`
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     json.RawMessage   `json:"platform,omitempty"`
}

// Manifest is what the registry records of a stored manifest; its exact
// bytes are the blob with its digest.
type Manifest struct {
	Repo         string            `json:"repo"`
	Digest       string            `json:"digest"`
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Size         int64             `json:"size"`
	PushedAt     time.Time         `json:"pushedAt"`
	Subject      string            `json:"subject,omitempty"`
	Config       *Descriptor       `json:"config,omitempty"`
	Layers       []Descriptor      `json:"layers,omitempty"`
	Manifests    []Descriptor      `json:"manifests,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	// External is set when the record leaves out Layers, Manifests and
	// Annotations (a very large manifest): Full reads them from the bytes.
	External bool `json:"external,omitempty"`
}

// IsIndex reports whether m is an image index or manifest list.
func (m *Manifest) IsIndex() bool { return m.MediaType == mtOCIIndex || m.MediaType == mtDockerList }

// LayerBytes is the sum of the sizes of m's config and layers: ECR's image size.
func (m *Manifest) LayerBytes() int64 {
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

// tagRecord points a tag at a manifest.
type tagRecord struct {
	Digest    string    `json:"digest"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// linkRecord says a blob belongs to a repository (pushed or mounted there).
type linkRecord struct {
	Size     int64     `json:"size"`
	LinkedAt time.Time `json:"linkedAt"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own record types are marshalled
	}
	return b
}

// Repo returns repository name.
func (r *Registry) Repo(name string) (*Repository, bool) {
	kv, ok := r.st.Get(repoKey(name))
	if !ok {
		return nil, false
	}
	var rec Repository
	if json.Unmarshal(kv.Value, &rec) != nil {
		return nil, false
	}
	return &rec, true
}

// Repos returns every repository in name order.
func (r *Registry) Repos() []*Repository {
	var out []*Repository
	r.st.Range(reposPrefix, "", func(kv store.KV) bool {
		var rec Repository
		if json.Unmarshal(kv.Value, &rec) == nil {
			out = append(out, &rec)
		}
		return true
	})
	return out
}

// CreateRepo stores a new repository; ErrRepoExists if the name is taken.
func (r *Registry) CreateRepo(ctx context.Context, rec *Repository) error {
	if rec.TagMutability == "" {
		rec.TagMutability = Mutable
	}
	_, err := r.st.Create(ctx, repoKey(rec.Name), mustJSON(rec))
	if errors.Is(err, store.ErrExists) {
		return ErrRepoExists
	}
	return err
}

// UpdateRepo applies fn to repository name and stores the result.
func (r *Registry) UpdateRepo(ctx context.Context, name string, fn func(*Repository) error) (*Repository, error) {
	var out Repository
	_, err := r.st.Update(ctx, repoKey(name), func(cur store.KV) ([]byte, error) {
		out = Repository{}
		if err := json.Unmarshal(cur.Value, &out); err != nil {
			return nil, err
		}
		if err := fn(&out); err != nil {
			return nil, err
		}
		return mustJSON(&out), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrRepoUnknown
	}
	return &out, err
}

// DeleteRepo removes repository name with its tags, manifests and blob
// links; unless force, only when it holds no image (ErrRepoNotEmpty). Blobs
// that nothing else needs are left to garbage collection.
func (r *Registry) DeleteRepo(ctx context.Context, name string, force bool) (*Repository, error) {
	kv, ok := r.st.Get(repoKey(name))
	if !ok {
		return nil, ErrRepoUnknown
	}
	var rec Repository
	json.Unmarshal(kv.Value, &rec)
	if !force && len(r.st.List(repoManifestsPrefix(name))) > 0 {
		return nil, ErrRepoNotEmpty
	}
	if _, err := r.st.Commit(ctx, store.Del(repoKey(name), kv.ModRev)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, ErrRepoUnknown
		}
		return nil, err
	}
	return &rec, r.dropOrphans(ctx, name)
}

// dropOrphans deletes the tags, manifests and links of a repository that
// no longer exists, in batches (etcd bounds a transaction's operations).
func (r *Registry) dropOrphans(ctx context.Context, name string) error {
	var ws []store.Write
	for _, p := range []string{repoTagsPrefix(name), repoManifestsPrefix(name), repoLinksPrefix(name)} {
		for _, kv := range r.st.List(p) {
			ws = append(ws, store.Del(kv.Key, store.Any))
		}
	}
	for len(ws) > 0 {
		n := min(len(ws), 100)
		if _, err := r.st.Commit(ctx, ws[:n]...); err != nil {
			return err
		}
		ws = ws[n:]
	}
	return nil
}

// Manifests returns every manifest of repo in digest order.
func (r *Registry) Manifests(repo string) []*Manifest {
	var out []*Manifest
	r.st.Range(repoManifestsPrefix(repo), "", func(kv store.KV) bool {
		var m Manifest
		if json.Unmarshal(kv.Value, &m) == nil {
			out = append(out, &m)
		}
		return true
	})
	return out
}

// ManifestByDigest returns the manifest of repo with digest d.
func (r *Registry) ManifestByDigest(repo, d string) (*Manifest, bool) {
	kv, ok := r.st.Get(manifestKey(repo, d))
	if !ok {
		return nil, false
	}
	var m Manifest
	if json.Unmarshal(kv.Value, &m) != nil {
		return nil, false
	}
	return &m, true
}

// TagDigest returns the digest tag points at in repo.
func (r *Registry) TagDigest(repo, tag string) (string, bool) {
	kv, ok := r.st.Get(tagKey(repo, tag))
	if !ok {
		return "", false
	}
	var t tagRecord
	if json.Unmarshal(kv.Value, &t) != nil {
		return "", false
	}
	return t.Digest, true
}

// Tags returns repo's tags grouped by the digest they point at, each list sorted.
func (r *Registry) Tags(repo string) map[string][]string {
	out := map[string][]string{}
	p := repoTagsPrefix(repo)
	r.st.Range(p, "", func(kv store.KV) bool {
		var t tagRecord
		if json.Unmarshal(kv.Value, &t) == nil {
			out[t.Digest] = append(out[t.Digest], strings.TrimPrefix(kv.Key, p))
		}
		return true
	})
	for _, ts := range out {
		sort.Strings(ts)
	}
	return out
}

// tagNames returns up to n (n<0: all) tags of repo sorting after last.
func (r *Registry) tagNames(repo, last string, n int) (tags []string, more bool) {
	p := repoTagsPrefix(repo)
	after := ""
	if last != "" {
		after = p + last
	}
	r.st.Range(p, after, func(kv store.KV) bool {
		if n >= 0 && len(tags) == n {
			more = true
			return false
		}
		tags = append(tags, strings.TrimPrefix(kv.Key, p))
		return true
	})
	return tags, more
}

// linked reports whether blob d belongs to repo.
func (r *Registry) linked(repo, d string) (linkRecord, bool) {
	kv, ok := r.st.Get(linkKey(repo, d))
	if !ok {
		return linkRecord{}, false
	}
	var l linkRecord
	json.Unmarshal(kv.Value, &l)
	return l, true
}

// link records that blob d of the given size belongs to repo.
func (r *Registry) link(ctx context.Context, repo string, d digest, size int64) error {
	r.gcMu.RLock()
	defer r.gcMu.RUnlock()
	r.blobs.touch(d, r.now())
	if _, ok := r.linked(repo, d.String()); ok {
		return nil
	}
	_, err := r.st.Commit(ctx, store.Put(linkKey(repo, d.String()), mustJSON(linkRecord{Size: size, LinkedAt: r.now()}), store.Any))
	return err
}

// Registry errors the APIs translate.
var (
	ErrRepoUnknown   = errors.New("repository unknown")
	ErrRepoExists    = errors.New("repository already exists")
	ErrRepoNotEmpty  = errors.New("repository not empty")
	ErrTagImmutable  = errors.New("tag is immutable")
	ErrImageUnknown  = errors.New("image unknown")
	ErrManifestBlobs = errors.New("manifest references unknown blobs")
)

// UnlinkBlob removes blob d from repo; the file goes once nothing needs it.
func (r *Registry) UnlinkBlob(ctx context.Context, repo, d string) error {
	kv, ok := r.st.Get(linkKey(repo, d))
	if !ok {
		return ErrBlobUnknown
	}
	if _, err := r.st.Commit(ctx, store.Del(kv.Key, kv.ModRev)); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}
