package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
)

// Embedded is a single-member etcd running inside the Tide process, with its
// data under one directory. Tide talks to it through an in-process client, so it
// listens on no TCP port that matters: the client listener is an ephemeral
// loopback port and the peer listener a unix socket in the data directory.
type Embedded struct {
	etcd   *embed.Etcd
	client *clientv3.Client
}

// StartEmbedded starts (or restarts, with its data) an etcd member in dir and
// waits until it can serve.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create etcd dir: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "tide"
	cfg.Dir = dir
	client := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	peer := url.URL{Scheme: "unix", Path: filepath.Join(dir, "peer.sock")}
	_ = os.Remove(peer.Path)
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// One member: there is nobody to wait for, so elect fast.
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	cfg.AutoCompactionMode = "revision"
	cfg.AutoCompactionRetention = "10000"
	// Snapshot the raft log often: its in-memory entries grow with every
	// write until a snapshot, and one member has no follower to catch up.
	cfg.SnapshotCount = 1000
	cfg.SnapshotCatchUpEntries = 1000
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(30 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s did not become ready in 30s", dir)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	log.Debug("embedded etcd ready", "dir", dir)
	return &Embedded{etcd: e, client: v3client.New(e.Server)}, nil
}

// Client returns an in-process client of the member.
func (e *Embedded) Client() *clientv3.Client { return e.client }

// Close stops the member after flushing what it has acknowledged.
func (e *Embedded) Close() {
	e.client.Close()
	e.etcd.Close()
}
