package ecs

import (
	"encoding/json"
	"fmt"
	"sync"
)

// records memoizes decoded store records by key and mod revision, so that
// hot reads (DescribeServices, every cluster lookup) decode a record once per
// change rather than once per request. The values are shared between
// requests: callers must copy what they modify. Only records that are never
// deleted from the store (clusters, services) go through it, so it holds at
// most one entry per such record.
type records struct {
	mu sync.Mutex
	m  map[string]record
}

type record struct {
	modRev int64
	v      any
}

// cachedRecord returns the decoded record at key, shared and read-only.
func cachedRecord[T any](a *API, key string) (*T, bool, error) {
	kv, ok := a.store.Get(key)
	if !ok {
		return nil, false, nil
	}
	a.records.mu.Lock()
	r, hit := a.records.m[key]
	a.records.mu.Unlock()
	if hit && r.modRev == kv.ModRev {
		if v, ok := r.v.(*T); ok {
			return v, true, nil
		}
	}
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", key, err)
	}
	a.records.mu.Lock()
	if a.records.m == nil {
		a.records.m = map[string]record{}
	}
	if cur, ok := a.records.m[key]; !ok || cur.modRev < kv.ModRev {
		a.records.m[key] = record{modRev: kv.ModRev, v: v}
	}
	a.records.mu.Unlock()
	return v, true, nil
}

// taskCounts are the running and pending tasks of a cluster by task group
// and by startedBy (a service deployment's ID), as of one store revision.
type taskCounts struct {
	rev         int64
	byGroup     map[string]counts
	byStartedBy map[string]counts
}

type counts struct{ running, pending int32 }

// clusterTaskCounts returns the counts for cluster, recomputed when the
// store has changed since they were last computed.
func (a *API) clusterTaskCounts(cluster string) *taskCounts {
	rev := a.store.Revision()
	a.countsMu.Lock()
	tc := a.counts[cluster]
	a.countsMu.Unlock()
	if tc != nil && tc.rev == rev {
		return tc
	}
	tc = &taskCounts{rev: rev, byGroup: map[string]counts{}, byStartedBy: map[string]counts{}}
	for _, t := range a.tasksOf(cluster) {
		if t.DesiredStatus != "RUNNING" || t.LastStatus == "STOPPED" {
			continue
		}
		g, s := tc.byGroup[t.Group], tc.byStartedBy[t.StartedBy]
		if t.LastStatus == "RUNNING" {
			g.running++
			s.running++
		} else {
			g.pending++
			s.pending++
		}
		tc.byGroup[t.Group], tc.byStartedBy[t.StartedBy] = g, s
	}
	a.countsMu.Lock()
	if a.counts == nil {
		a.counts = map[string]*taskCounts{}
	}
	if cur := a.counts[cluster]; cur == nil || cur.rev < rev {
		a.counts[cluster] = tc
	}
	a.countsMu.Unlock()
	return tc
}
