package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"tide/internal/etcdtest"
	"tide/internal/store"
)

// backends runs body once against the embedded member and once against an
// external three-member cluster: one suite, both deployments.
func backends(t *testing.T, body func(t *testing.T, s *store.Store)) {
	t.Run("embedded", func(t *testing.T) {
		e, err := store.StartEmbedded(context.Background(), t.TempDir(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		s, err := store.Open(context.Background(), e.Client(), "/tide/", slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		body(t, s)
	})
	t.Run("external3", func(t *testing.T) {
		c := etcdtest.Start(t, 3)
		cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		s, err := store.Open(context.Background(), cli, "/tide/", slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		body(t, s)
	})
}

func TestStore(t *testing.T) {
	backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t.Run("create get list", func(t *testing.T) {
			if _, err := s.Create(ctx, "c/a", []byte("1")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Create(ctx, "c/a", []byte("2")); !errors.Is(err, store.ErrExists) {
				t.Fatalf("second create: %v, want ErrExists", err)
			}
			for _, k := range []string{"c/c", "c/b", "d/x"} {
				if _, err := s.Create(ctx, k, []byte(k)); err != nil {
					t.Fatal(err)
				}
			}
			kv, ok := s.Get("c/a")
			if !ok || string(kv.Value) != "1" {
				t.Fatalf("get c/a = %q %v", kv.Value, ok)
			}
			var keys []string
			for _, kv := range s.List("c/") {
				keys = append(keys, kv.Key)
			}
			if fmt.Sprint(keys) != "[c/a c/b c/c]" {
				t.Fatalf("list c/ = %v", keys)
			}
			var after []string
			s.Range("c/", "c/a", func(kv store.KV) bool { after = append(after, kv.Key); return true })
			if fmt.Sprint(after) != "[c/b c/c]" {
				t.Fatalf("range after c/a = %v", after)
			}
		})
		t.Run("guarded commit", func(t *testing.T) {
			kv, _ := s.Get("c/b")
			if _, err := s.Commit(ctx, store.Put("c/b", []byte("new"), kv.ModRev)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Commit(ctx, store.Put("c/b", []byte("stale"), kv.ModRev)); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("stale write: %v, want ErrConflict", err)
			}
			cur, _ := s.Get("c/b")
			if string(cur.Value) != "new" {
				t.Fatalf("c/b = %q after stale write", cur.Value)
			}
			if _, err := s.Commit(ctx, store.Del("c/c", store.Any)); err != nil {
				t.Fatal(err)
			}
			if _, ok := s.Get("c/c"); ok {
				t.Fatal("c/c still cached after delete")
			}
		})
		t.Run("concurrent updates lose nothing", func(t *testing.T) {
			if _, err := s.Create(ctx, "counter", []byte("0")); err != nil {
				t.Fatal(err)
			}
			const workers, each = 8, 25
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range each {
						_, err := s.Update(ctx, "counter", func(cur store.KV) ([]byte, error) {
							n, _ := strconv.Atoi(string(cur.Value))
							return []byte(strconv.Itoa(n + 1)), nil
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			kv, _ := s.Get("counter")
			if string(kv.Value) != strconv.Itoa(workers*each) {
				t.Fatalf("counter = %s, want %d", kv.Value, workers*each)
			}
		})
		t.Run("unchanged update writes nothing", func(t *testing.T) {
			before, _ := s.Get("counter")
			kv, err := s.Update(ctx, "counter", func(cur store.KV) ([]byte, error) { return cur.Value, nil })
			if err != nil || kv.ModRev != before.ModRev {
				t.Fatalf("no-op update: %v, mod revision %d → %d", err, before.ModRev, kv.ModRev)
			}
		})
		t.Run("update missing", func(t *testing.T) {
			_, err := s.Update(ctx, "nope", func(store.KV) ([]byte, error) { return nil, nil })
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

// TestEmbeddedRestart shows that acknowledged writes survive a restart of the
// embedded member on the same directory.
func TestEmbeddedRestart(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()
	for round := range 3 {
		e, err := store.StartEmbedded(ctx, dir, log)
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(ctx, e.Client(), "/tide/", log)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(s.List("k/")); got != round {
			t.Fatalf("round %d: %d keys, want %d", round, got, round)
		}
		if _, err := s.Create(ctx, fmt.Sprintf("k/%d", round), []byte("v")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		e.Close()
	}
}
