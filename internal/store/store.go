// Package store is Tide's only durable state: keys and JSON values in etcd v3,
// the embedded single member by default or an external cluster, through one
// client API. Reads come from an in-memory cache that an etcd watch keeps
// current; writes are etcd transactions guarded by mod revisions, so concurrent
// read-modify-write cycles never lose an update. After a write returns, reads
// through the same Store observe it.
//
// It knows nothing of ECS or any other API; those packages choose the keys.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors returned by writes.
var (
	ErrNotFound = errors.New("store: key not found")
	ErrExists   = errors.New("store: key exists")
	ErrConflict = errors.New("store: write conflict")
)

// KV is one key with its value and revisions.
type KV struct {
	Key       string
	Value     []byte
	ModRev    int64
	CreateRev int64
}

func lessKV(a, b KV) bool { return a.Key < b.Key }

// Store is a watch-fed cache over a prefix of etcd with revision-guarded writes.
type Store struct {
	client *clientv3.Client
	prefix string
	log    *slog.Logger

	mu      sync.RWMutex
	items   *btree.BTreeG[KV]
	rev     int64         // every event up to rev is in items
	advance chan struct{} // closed and replaced when rev advances

	cancel context.CancelFunc
	done   chan struct{}
}

// Open loads every key under prefix into the cache and starts the watch that
// keeps it current. The Store owns the watch goroutine until Close.
func Open(ctx context.Context, client *clientv3.Client, prefix string, log *slog.Logger) (*Store, error) {
	s := &Store{
		client:  client,
		prefix:  prefix,
		log:     log,
		advance: make(chan struct{}),
		done:    make(chan struct{}),
	}
	rev, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.watch(wctx, rev)
	return s, nil
}

// Close stops the watch. The etcd client stays open; its owner closes it.
func (s *Store) Close() {
	s.cancel()
	<-s.done
}

// load replaces the cache with a consistent snapshot and returns its revision.
func (s *Store) load(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", s.prefix, err)
	}
	items := btree.NewG(32, lessKV)
	for _, kv := range resp.Kvs {
		items.ReplaceOrInsert(KV{Key: strings.TrimPrefix(string(kv.Key), s.prefix), Value: kv.Value, ModRev: kv.ModRevision, CreateRev: kv.CreateRevision})
	}
	s.mu.Lock()
	s.items = items
	s.setRevLocked(resp.Header.Revision)
	s.mu.Unlock()
	return resp.Header.Revision, nil
}

func (s *Store) setRevLocked(rev int64) {
	if rev > s.rev {
		s.rev = rev
		close(s.advance)
		s.advance = make(chan struct{})
	}
}

// watch applies events to the cache until ctx ends, reloading after a
// compaction or a broken watch so that the cache never silently misses one.
func (s *Store) watch(ctx context.Context, rev int64) {
	defer close(s.done)
	for ctx.Err() == nil {
		wc := s.client.Watch(clientv3.WithRequireLeader(ctx), s.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithProgressNotify())
		for resp := range wc {
			if err := resp.Err(); err != nil {
				s.log.Warn("store watch broken", "err", err)
				break
			}
			s.apply(resp)
			rev = resp.Header.Revision
		}
		if ctx.Err() != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
		r, err := s.load(ctx)
		if err != nil {
			s.log.Warn("store reload failed", "err", err)
			continue
		}
		rev = r
	}
}

func (s *Store) apply(resp clientv3.WatchResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range resp.Events {
		key := strings.TrimPrefix(string(ev.Kv.Key), s.prefix)
		switch ev.Type {
		case clientv3.EventTypePut:
			s.items.ReplaceOrInsert(KV{Key: key, Value: ev.Kv.Value, ModRev: ev.Kv.ModRevision, CreateRev: ev.Kv.CreateRevision})
		case clientv3.EventTypeDelete:
			s.items.Delete(KV{Key: key})
		}
	}
	s.setRevLocked(resp.Header.Revision)
}

// WaitFor blocks until the cache has applied every change up to rev.
func (s *Store) WaitFor(ctx context.Context, rev int64) error {
	for {
		s.mu.RLock()
		cur, ch := s.rev, s.advance
		s.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for store revision %d (at %d): %w", rev, cur, ctx.Err())
		}
	}
}

// Get returns the cached value of key.
func (s *Store) Get(key string) (KV, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.items.Get(KV{Key: key})
}

// Range calls fn for each key with the given prefix that sorts after `after`,
// in key order, until fn returns false. fn runs under the cache lock and must
// not call into the Store.
// The values are shared: callers must not modify them.
func (s *Store) Range(prefix, after string, fn func(KV) bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	start := prefix
	if after > start {
		start = after + "\x00"
	}
	s.items.AscendGreaterOrEqual(KV{Key: start}, func(kv KV) bool {
		if !strings.HasPrefix(kv.Key, prefix) {
			return false
		}
		return fn(kv)
	})
}

// List returns every cached KV under prefix in key order.
func (s *Store) List(prefix string) []KV {
	var out []KV
	s.Range(prefix, "", func(kv KV) bool { out = append(out, kv); return true })
	return out
}

// Revision is the revision the cache has applied.
func (s *Store) Revision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// IsUnavailable reports whether err means etcd could not be reached.
func IsUnavailable(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rpctypes.ErrNoLeader) || errors.Is(err, rpctypes.ErrTimeout)
}
