package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Guard conditions for a Write.
const (
	Any       int64 = -1 // no condition on the key
	MustBeNew int64 = 0  // the key must not exist
)

// Write is one key to put or delete in a transaction. IfModRev guards it: Any,
// MustBeNew, or the mod revision the key must still have.
type Write struct {
	Key      string
	Value    []byte
	Delete   bool
	IfModRev int64
}

// Put returns a Write that stores value at key if the key still has modRev.
func Put(key string, value []byte, modRev int64) Write {
	return Write{Key: key, Value: value, IfModRev: modRev}
}

// Del returns a Write that deletes key if it still has modRev.
func Del(key string, modRev int64) Write {
	return Write{Key: key, Delete: true, IfModRev: modRev}
}

// Commit applies writes atomically if every guard holds, waits until the cache
// shows the result, and returns the new revision. A failed guard gives
// ErrConflict.
func (s *Store) Commit(ctx context.Context, writes ...Write) (int64, error) {
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	for _, w := range writes {
		key := s.prefix + w.Key
		if w.IfModRev != Any {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", w.IfModRev))
		}
		if w.Delete {
			ops = append(ops, clientv3.OpDelete(key))
		} else {
			ops = append(ops, clientv3.OpPut(key, string(w.Value)))
		}
	}
	resp, err := s.client.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return 0, fmt.Errorf("commit %d writes: %w", len(writes), err)
	}
	rev := resp.Header.Revision
	if err := s.WaitFor(ctx, rev); err != nil {
		return 0, err
	}
	if !resp.Succeeded {
		return rev, ErrConflict
	}
	return rev, nil
}

// Create stores value at key, failing with ErrExists if the key is present.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	rev, err := s.Commit(ctx, Put(key, value, MustBeNew))
	if errors.Is(err, ErrConflict) {
		return rev, ErrExists
	}
	return rev, err
}

// Update runs a read-modify-write cycle on key until it commits without a
// conflict: fn gets the current value and returns the new one (or an error to
// give up, returned as is). A missing key gives ErrNotFound without calling fn.
// When fn returns the value unchanged, nothing is written.
func (s *Store) Update(ctx context.Context, key string, fn func(cur KV) ([]byte, error)) (KV, error) {
	for {
		cur, ok := s.Get(key)
		if !ok {
			return KV{}, ErrNotFound
		}
		val, err := fn(cur)
		if err != nil {
			return KV{}, err
		}
		if bytes.Equal(val, cur.Value) {
			return cur, nil // nothing changed: no write, no new revision
		}
		rev, err := s.Commit(ctx, Put(key, val, cur.ModRev))
		if errors.Is(err, ErrConflict) {
			continue // the cache has caught up with the winner; read again
		}
		if err != nil {
			return KV{}, err
		}
		return KV{Key: key, Value: val, ModRev: rev, CreateRev: cur.CreateRev}, nil
	}
}
