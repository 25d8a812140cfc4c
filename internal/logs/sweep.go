package logs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"tide/internal/store"
)

// idleAfter is how long a stream goes unread and unwritten before its
// files are closed and its index dropped.
const idleAfter = 5 * time.Minute

// sweepLoop sweeps every interval until ctx ends.
func (a *API) sweepLoop(ctx context.Context, every time.Duration) {
	defer close(a.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sweep(ctx)
		}
	}
}

// sweep is level-triggered cleanup on this server: it deletes the segments
// of expired events, the files of streams and groups that no longer exist
// (deleted through another server, or while a put was writing), stream
// records that no group owns, and unloads idle streams.
func (a *API) sweep(ctx context.Context) {
	// List the disk before reading the store: a directory is only made
	// for a stream the store already had, so anything listed that the
	// store lacks afterwards is gone for good.
	disk := map[string][]string{}
	groupDirs, _ := os.ReadDir(a.dir)
	for _, gd := range groupDirs {
		if !gd.IsDir() {
			continue
		}
		disk[gd.Name()] = nil
		streamDirs, _ := os.ReadDir(filepath.Join(a.dir, gd.Name()))
		for _, sd := range streamDirs {
			disk[gd.Name()] = append(disk[gd.Name()], sd.Name())
		}
	}
	groups := map[string]*groupRecord{} // by name
	byID := map[string]*groupRecord{}
	for _, kv := range a.store.List(groupsPrefix) {
		if g, err := decode[groupRecord](kv); err == nil {
			groups[g.Name], byID[g.ID] = g, g
		}
	}
	known := map[string]bool{} // "<group id>/<stream id>"
	var orphans []store.Write
	for _, kv := range a.store.List(streamsPrefix) {
		s, err := decode[streamRecord](kv)
		if err != nil {
			continue
		}
		if g := byID[s.GroupID]; g == nil {
			orphans = append(orphans, store.Del(kv.Key, kv.ModRev))
			continue
		}
		known[s.GroupID+"/"+s.ID] = true
	}
	for len(orphans) > 0 && ctx.Err() == nil {
		n := min(len(orphans), 100)
		if _, err := a.store.Commit(ctx, orphans[:n]...); err != nil && !errors.Is(err, store.ErrConflict) {
			a.log.Warn("delete orphaned log stream records", "err", err)
			break
		}
		orphans = orphans[n:]
	}
	now := a.nowMs()
	for gid, sids := range disk {
		g := byID[gid]
		if g == nil {
			a.dropGroupFiles(gid)
			continue
		}
		for _, sid := range sids {
			if !known[gid+"/"+sid] {
				a.dropEventLog(gid, sid)
				continue
			}
			if cutoff := g.expiredBefore(now); cutoff > 0 {
				if err := a.eventLog(g, &streamRecord{ID: sid}).trim(cutoff); err != nil && !errors.Is(err, errStreamGone) {
					a.log.Warn("expire log events", "group", g.Name, "dir", filepath.Join(gid, sid), "err", err)
				}
			}
		}
	}
	a.mu.Lock()
	var idle []*eventLog
	for _, l := range a.streams {
		if now-l.lastUse.Load() > idleAfter.Milliseconds() {
			idle = append(idle, l)
		}
	}
	a.mu.Unlock()
	for _, l := range idle {
		l.unload()
	}
}
