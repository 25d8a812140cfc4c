// Package ecs implements the ECS control-plane API (AmazonEC2ContainerServiceV20141113)
// over the store: clusters, task definitions, services, tasks, container
// instances, attributes, tags and account settings, with AWS's validation rules,
// ARNs, errors and pagination.
//
// It records desired state and reports observed state; it never starts a
// container. Placement, agents and the service scheduler live elsewhere and
// meet this package only through the store.
package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of the ECS API.
const TargetPrefix = "AmazonEC2ContainerServiceV20141113"

// API serves the ECS operations.
type API struct {
	store    *store.Store
	log      *slog.Logger
	now      func() time.Time
	region   string
	account  string
	agentCfg AgentConfig

	records records // decoded clusters and services
	// familyLocks serialise this server's registrations per family (striped
	// by hash), so that concurrent registrations of one family queue here
	// instead of losing revision races in etcd and retrying through raft.
	// Correctness never depends on them: the store's guarded writes do that.
	familyLocks [64]sync.Mutex
	countsMu    sync.Mutex
	counts      map[string]*taskCounts // by cluster name

	usage usageBook // latest container usage from agents' polls

	encodedMu sync.Mutex
	encoded   map[string]encodedEntry // DescribeServices encodings by service key

	lb LoadBalancing // nil: no load balancer wired in
}

// Config holds what the API needs besides the store.
type Config struct {
	Region    string
	AccountID string
	Now       func() time.Time // nil means time.Now
	Agent     AgentConfig
}

// New returns the ECS API over s.
func New(s *store.Store, log *slog.Logger, cfg Config) *API {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.Agent.PollWait <= 0 {
		cfg.Agent.PollWait = time.Second
	}
	if cfg.Agent.HeartbeatTimeout <= 0 {
		cfg.Agent.HeartbeatTimeout = 15 * time.Second
	}
	if cfg.Agent.DeploymentSettle <= 0 {
		cfg.Agent.DeploymentSettle = 5 * time.Second
	}
	if cfg.Agent.StoppedTaskRetention <= 0 {
		cfg.Agent.StoppedTaskRetention = time.Hour
	}
	return &API{store: s, log: log, now: now, region: cfg.Region, account: cfg.AccountID, agentCfg: cfg.Agent}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.Service {
	ops := map[string]edge.Handler{}
	a.clusterOps(ops)
	a.taskDefinitionOps(ops)
	a.serviceOps(ops)
	a.taskOps(ops)
	a.instanceOps(ops)
	a.tagOps(ops)
	a.settingOps(ops)
	return &edge.Service{TargetPrefix: TargetPrefix, JSONVersion: "1.1", Ops: ops}
}

// Failure is an entry of the failures list in Describe responses.
type Failure struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// KeyValuePair is ECS's name/value pair.
type KeyValuePair struct {
	Name  *string `json:"name,omitempty"`
	Value *string `json:"value,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	Key   *string `json:"key,omitempty"`
	Value *string `json:"value,omitempty"`
}

// arn builds an ECS ARN for resource ("cluster/name", "task/c/id", ...).
func (a *API) arn(resource string) string {
	return "arn:aws:ecs:" + a.region + ":" + a.account + ":" + resource
}

// parseARN splits an ECS ARN of this region and account into its resource
// type and the rest ("cluster", "name"). ok is false for anything else.
func (a *API) parseARN(s string) (kind, rest string, ok bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "ecs" {
		return "", "", false
	}
	kind, rest, ok = strings.Cut(p[5], "/")
	return kind, rest, ok
}

// getJSON decodes the cached value at key into v.
func (a *API) getJSON(key string, v any) (store.KV, bool, error) {
	kv, ok := a.store.Get(key)
	if !ok {
		return kv, false, nil
	}
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return kv, false, fmt.Errorf("decode %s: %w", key, err)
	}
	return kv, true, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // our own types always encode
	}
	return b
}

// updateJSON runs a guarded read-modify-write of the record at key.
func updateJSON[T any](ctx context.Context, s *store.Store, key string, fn func(*T) error) (*T, error) {
	var out *T
	_, err := s.Update(ctx, key, func(cur store.KV) ([]byte, error) {
		v := new(T)
		if err := json.Unmarshal(cur.Value, v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", key, err)
		}
		if err := fn(v); err != nil {
			return nil, err
		}
		out = v
		return mustJSON(v), nil
	})
	return out, err
}

// storeErr turns store failures into API errors: conflicts are retried by the
// store, so what reaches here is unavailability or a bug.
func storeErr(err error) error {
	if err == nil || awserr.As(err) != nil {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return awserr.New(500, "ServerException", "Service unavailable, please retry: %v", err)
}

func str(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func bytesContains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func isARN(s string) bool { return strings.HasPrefix(s, "arn:") }
