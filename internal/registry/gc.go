package registry

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"tide/internal/store"
)

// GCStats is what one garbage collection pass did.
type GCStats struct {
	LinksRemoved, BlobsRemoved, UploadsRemoved int
	BytesFreed                                 int64
}

// UploadTTL is how long an upload nobody writes to is kept.
const UploadTTL = 24 * time.Hour

// CollectGarbage removes, online, what no manifest needs:
//   - a repository's link to a blob that none of its manifests references and
//     that is older than the grace period (a blob just pushed is linked before
//     the manifest that uses it arrives);
//   - a blob file that no manifest references and no repository links, when
//     it has not been written or linked within the grace period;
//   - uploads untouched for UploadTTL.
//
// Writers that link blobs or store manifests hold gcMu for reading; the
// checks and the deletions hold it for writing, so neither a link nor a blob
// can gain a reference between its check and its removal.
func (r *Registry) CollectGarbage(ctx context.Context) (GCStats, error) {
	var st GCStats
	now := r.now()
	cutoff := now.Add(-r.cfg.GCGrace)

	var candidates []digest
	if err := r.blobs.walk(func(d digest, mod time.Time) {
		if mod.Before(cutoff) {
			candidates = append(candidates, d)
		}
	}); err != nil {
		return st, err
	}

	r.gcMu.Lock()
	defer r.gcMu.Unlock()
	refs, _ := r.references()
	var drop []store.Write
	r.st.Range(linksPrefix, "", func(kv store.KV) bool {
		repo, d, ok := strings.Cut(strings.TrimPrefix(kv.Key, linksPrefix), "@")
		if !ok || refs[repo+"@"+d] {
			return true
		}
		var l linkRecord
		if json.Unmarshal(kv.Value, &l) == nil && l.LinkedAt.After(cutoff) {
			return true
		}
		drop = append(drop, store.Del(kv.Key, kv.ModRev))
		return true
	})
	for len(drop) > 0 {
		batch := drop[:min(len(drop), 100)]
		drop = drop[len(batch):]
		_, err := r.st.Commit(ctx, batch...)
		if err == nil {
			st.LinksRemoved += len(batch)
			continue
		}
		if !errors.Is(err, store.ErrConflict) {
			return st, err
		}
		for _, w := range batch { // one changed meanwhile: the rest one by one
			if _, err := r.st.Commit(ctx, w); err == nil {
				st.LinksRemoved++
			}
		}
	}
	_, needed := r.references()
	for _, d := range candidates {
		if needed[d.String()] {
			continue
		}
		size, err := r.blobs.stat(d)
		if err != nil {
			continue
		}
		if err := r.blobs.removeIfOlder(d, cutoff); err == nil {
			st.BlobsRemoved++
			st.BytesFreed += size
		}
	}
	st.UploadsRemoved = r.blobs.staleUploads(now.Add(-UploadTTL))
	return st, nil
}

// references returns the repo@digest pairs that manifests reference (their
// own bytes, config, layers and children) and every digest that a manifest
// references or a repository links.
func (r *Registry) references() (perRepo, needed map[string]bool) {
	perRepo, needed = map[string]bool{}, map[string]bool{}
	var large []*Manifest
	add := func(repo, d string) {
		perRepo[repo+"@"+d] = true
		needed[d] = true
	}
	r.st.Range(manifestsPrefix, "", func(kv store.KV) bool {
		var m Manifest
		if json.Unmarshal(kv.Value, &m) != nil {
			return true
		}
		if m.External {
			large = append(large, &m)
		}
		add(m.Repo, m.Digest)
		if m.Config != nil {
			add(m.Repo, m.Config.Digest)
		}
		for _, l := range m.Layers {
			add(m.Repo, l.Digest)
		}
		return true
	})
	for _, m := range large { // read outside the store's cache lock
		if full, err := r.Full(m); err == nil {
			for _, l := range full.Layers {
				add(m.Repo, l.Digest)
			}
		}
	}
	r.st.Range(linksPrefix, "", func(kv store.KV) bool {
		if _, d, ok := strings.Cut(strings.TrimPrefix(kv.Key, linksPrefix), "@"); ok {
			needed[d] = true
		}
		return true
	})
	return perRepo, needed
}

// RunGC collects garbage every interval until ctx ends.
func (r *Registry) RunGC(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := r.CollectGarbage(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("registry garbage collection", "err", err)
			continue
		}
		if st != (GCStats{}) {
			r.log.Info("registry garbage collected", "links", st.LinksRemoved, "blobs", st.BlobsRemoved, "bytes", st.BytesFreed, "uploads", st.UploadsRemoved)
		}
	}
}
