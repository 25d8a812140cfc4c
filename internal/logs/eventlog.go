package logs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
)

// errStreamGone is returned by appends to a stream that was deleted.
var errStreamGone = errors.New("log stream deleted")

// entry locates one event: the index of a stream is its entries sorted by
// (ts, off), and off, the logical offset of the record, is unique.
type entry struct {
	ts  int64
	off int64
	n   uint32 // record length on disk
}

func (e entry) before(ts, off int64) bool { return e.ts < ts || e.ts == ts && e.off < off }

// event is a record read back.
type event struct {
	ts, ingest, off int64
	msg             string
}

// summary is what DescribeLogStreams reports of a stream's events on this
// server.
type summary struct {
	count                   int
	first, last, lastIngest int64
	bytes                   int64 // on disk
}

// eventLog is one stream's events on this server's disk: append-only
// segment files and, while the stream is being read, an in-memory index.
// Appends are serialised and fsynced; reads run concurrently with them and
// with each other, and see whole batches only.
type eventLog struct {
	dir string

	wmu sync.Mutex // appends, loads, trims and destroy; taken before mu

	mu      sync.RWMutex
	loaded  bool
	dead    bool
	segs    []*segment
	next    int64   // logical offset of the next record
	indexed bool    // idx is current
	idx     []entry // sorted by (ts, off); replaced, never reordered in place
	sum     summary // of the last unload, when not loaded
	hasSum  bool

	lastUse atomic.Int64 // unix ms of the last read or write
}

func newEventLog(dir string) *eventLog { return &eventLog{dir: dir} }

// append writes events (in chronological order) with their ingestion time
// and fsyncs them before they become visible.
func (l *eventLog) append(events []inputEvent, ingest int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if err := l.loadLocked(false); err != nil {
		return err
	}
	seg, err := l.tailLocked(ingest)
	if err != nil {
		return err
	}
	var size int
	for _, e := range events {
		size += recOverhead + len(e.msg)
	}
	buf := make([]byte, 0, size)
	entries := make([]entry, 0, len(events))
	off := seg.base + seg.size
	for _, e := range events {
		start := len(buf)
		buf = appendRecord(buf, e, ingest)
		entries = append(entries, entry{ts: e.ts, off: off + int64(start), n: uint32(len(buf) - start)})
	}
	if _, err := seg.f.Write(buf); err != nil {
		seg.f.Truncate(seg.size)
		return fmt.Errorf("append to %s: %w", seg.path, err)
	}
	if err := seg.f.Sync(); err != nil {
		seg.f.Truncate(seg.size)
		return fmt.Errorf("sync %s: %w", seg.path, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	seg.size += int64(len(buf))
	l.next = seg.base + seg.size
	for _, e := range entries {
		seg.note(e.ts, ingest)
	}
	if l.indexed {
		l.idx = insertSorted(l.idx, entries)
	}
	l.touch(ingest)
	return nil
}

// insertSorted adds sorted entries, whose offsets follow every offset in
// idx, to idx. In order (the usual case) it appends; otherwise it builds a
// new slice, since readers may hold the old one.
func insertSorted(idx, add []entry) []entry {
	if len(idx) == 0 || !add[0].before(idx[len(idx)-1].ts, idx[len(idx)-1].off) {
		return append(idx, add...)
	}
	out := make([]entry, 0, len(idx)+len(add))
	i, j := 0, 0
	for i < len(idx) || j < len(add) {
		if j == len(add) || i < len(idx) && idx[i].before(add[j].ts, add[j].off) {
			out = append(out, idx[i])
			i++
		} else {
			out = append(out, add[j])
			j++
		}
	}
	return out
}

// tailLocked returns the segment to append to, starting a new one when the
// last is full or old.
func (l *eventLog) tailLocked(now int64) (*segment, error) {
	if n := len(l.segs); n > 0 {
		s := l.segs[n-1]
		if s.size < segmentBytes && (s.count == 0 || now-s.created < segmentAge) {
			return s, nil
		}
	}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(l.dir, fmt.Sprintf("%020d.seg", l.next))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("new segment: %w", err)
	}
	if d, err := os.Open(l.dir); err == nil { // make the new name durable
		d.Sync()
		d.Close()
	}
	s := &segment{base: l.next, path: path, f: f}
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.mu.Unlock()
	return s, nil
}

// ensure loads the segments, and the index too when withIndex is set.
func (l *eventLog) ensure(withIndex bool) error {
	l.mu.RLock()
	ok := l.dead || l.loaded && (l.indexed || !withIndex)
	l.mu.RUnlock()
	if ok {
		return nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.loadLocked(withIndex)
}

// loadLocked opens and scans the segment files, cutting off a torn last
// record (a crash in the middle of an append).
func (l *eventLog) loadLocked(withIndex bool) error {
	if l.dead {
		return errStreamGone
	}
	if l.loaded && (l.indexed || !withIndex) {
		return nil
	}
	var segs []*segment
	if l.loaded {
		segs = l.segs
	} else {
		var err error
		if segs, err = openSegments(l.dir); err != nil {
			return err
		}
	}
	var idx []entry
	next := int64(0)
	for _, s := range segs {
		// A loaded segment's counters are shared with readers: rescanning
		// one only builds the index.
		fresh := !l.loaded
		if fresh {
			s.count, s.lastIngest = 0, 0
		}
		size, err := scanSegment(s.f, s.base, func(e entry, ingest int64) {
			if fresh {
				s.note(e.ts, ingest)
			}
			if withIndex {
				idx = append(idx, e)
			}
		})
		if err != nil {
			if fresh {
				closeSegments(segs)
			}
			return err
		}
		if fresh {
			s.size = size
		}
		next = s.base + size
	}
	if withIndex {
		slices.SortFunc(idx, func(a, b entry) int {
			if a.before(b.ts, b.off) {
				return -1
			}
			return 1
		})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.segs, l.loaded, l.next = segs, true, max(next, l.next)
	if withIndex {
		l.idx, l.indexed = idx, true
	}
	return nil
}

// index returns the stream's entries, sorted by (ts, off). The slice is
// shared and must not be modified.
func (l *eventLog) index(nowMs int64) ([]entry, error) {
	if err := l.ensure(true); err != nil {
		return nil, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	l.touch(nowMs)
	return l.idx, nil
}

// read returns the events of entries (sorted by offset within runs, as an
// index gives them), reading adjacent records with one call. Entries whose
// segment was deleted meanwhile are skipped.
func (l *eventLog) read(entries []entry) ([]event, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]event, 0, len(entries))
	for i := 0; i < len(entries); {
		s := l.segmentAt(entries[i].off)
		if s == nil {
			i++
			continue
		}
		start := entries[i].off
		end := start + int64(entries[i].n)
		j := i + 1
		for j < len(entries) && entries[j].off == end && end+int64(entries[j].n) <= s.base+s.size && end-start < 1<<20 {
			end += int64(entries[j].n)
			j++
		}
		buf := make([]byte, end-start)
		if _, err := s.f.ReadAt(buf, start-s.base); err != nil {
			return nil, fmt.Errorf("read %s: %w", s.path, err)
		}
		for k := i; k < j; k++ {
			out = append(out, decodeRecord(buf[entries[k].off-start:][:entries[k].n], entries[k].off))
		}
		i = j
	}
	return out, nil
}

// segmentAt finds the segment holding logical offset off. Caller holds mu.
func (l *eventLog) segmentAt(off int64) *segment {
	i, found := slices.BinarySearchFunc(l.segs, off, func(s *segment, off int64) int {
		switch {
		case off < s.base:
			return 1
		case off >= s.base+s.size:
			return -1
		}
		return 0
	})
	if !found {
		return nil
	}
	return l.segs[i]
}

// summary reports the stream's events on this server.
func (l *eventLog) summary() (summary, error) {
	l.mu.RLock()
	if !l.loaded && l.hasSum {
		defer l.mu.RUnlock()
		return l.sum, nil
	}
	l.mu.RUnlock()
	if err := l.ensure(false); err != nil {
		if errors.Is(err, errStreamGone) {
			return summary{}, nil
		}
		return summary{}, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.summaryLocked(), nil
}

func (l *eventLog) summaryLocked() summary {
	var s summary
	for _, seg := range l.segs {
		if seg.count == 0 {
			continue
		}
		if s.count == 0 || seg.minTS < s.first {
			s.first = seg.minTS
		}
		s.last = max(s.last, seg.maxTS)
		s.lastIngest = max(s.lastIngest, seg.lastIngest)
		s.count += seg.count
		s.bytes += seg.size
	}
	return s
}

func (l *eventLog) touch(nowMs int64) {
	if nowMs > l.lastUse.Load() {
		l.lastUse.Store(nowMs)
	}
}

// trim deletes the segments whose every event is older than cutoff, but
// never the last one, which appends continue. Readers skip the events of
// segments they no longer find; expired events still on disk are filtered
// out when read. A stream that is not loaded is trimmed without reading
// it: a segment last written at m holds no event later than m plus the 2
// hours PutLogEvents allows into the future.
func (l *eventLog) trim(cutoff int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.dead {
		return nil
	}
	if !l.loaded {
		segs, err := openSegments(l.dir)
		if err != nil {
			return err
		}
		defer closeSegments(segs)
		for _, s := range segs[:max(len(segs)-1, 0)] {
			info, err := s.f.Stat()
			if err != nil || info.ModTime().UnixMilli()+maxFutureMs >= cutoff {
				continue
			}
			if err := os.Remove(s.path); err != nil {
				return err
			}
			l.mu.Lock()
			l.hasSum = false
			l.mu.Unlock()
		}
		return nil
	}
	l.mu.RLock()
	var drop []*segment
	for _, s := range l.segs[:max(len(l.segs)-1, 0)] {
		if s.count == 0 || s.maxTS < cutoff {
			drop = append(drop, s)
		}
	}
	l.mu.RUnlock()
	if len(drop) == 0 {
		return nil
	}
	l.mu.Lock()
	l.segs = slices.DeleteFunc(slices.Clone(l.segs), func(s *segment) bool { return slices.Contains(drop, s) })
	if l.indexed {
		l.idx = slices.DeleteFunc(slices.Clone(l.idx), func(e entry) bool { return l.segmentAt(e.off) == nil })
	}
	l.mu.Unlock()
	for _, s := range drop {
		s.f.Close()
		if err := os.Remove(s.path); err != nil {
			return err
		}
	}
	return nil
}

// unload closes the files and drops the index of an idle stream, keeping
// its summary.
func (l *eventLog) unload() {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded {
		return
	}
	l.sum, l.hasSum = l.summaryLocked(), true
	closeSegments(l.segs)
	l.segs, l.loaded, l.idx, l.indexed = nil, false, nil, false
}

// destroy deletes the stream's files; later appends fail with
// errStreamGone.
func (l *eventLog) destroy() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	closeSegments(l.segs)
	l.segs, l.loaded, l.idx, l.indexed, l.dead = nil, false, nil, false, true
	l.mu.Unlock()
	return os.RemoveAll(l.dir)
}
