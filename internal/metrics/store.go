package metrics

import (
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tier is one resolution of stored data and how long it is kept.
type Tier struct {
	Resolution time.Duration
	Retention  time.Duration
}

// Tiers are CloudWatch's: one-second data (high resolution) for 3 hours,
// one-minute for 15 days, five-minute for 63 days, one-hour for 455 days.
var Tiers = [4]Tier{
	{time.Second, 3 * time.Hour},
	{time.Minute, 15 * 24 * time.Hour},
	{5 * time.Minute, 63 * 24 * time.Hour},
	{time.Hour, 455 * 24 * time.Hour},
}

const shards = 64

// Store is the metric store. It is safe for concurrent use.
type Store struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shards]shard
	// sweepNext is when maybeSweep next runs (Unix seconds), sweepShard
	// the shard it swept last.
	sweepNext  atomic.Int64
	sweepShard atomic.Uint32
}

type shard struct {
	mu     sync.Mutex
	series map[string][]*series // by identity, one per unit
}

// New returns an empty store; now is its clock (nil: time.Now).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{now: now, seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].series = map[string][]*series{}
	}
	return s
}

// series is one metric with one unit: its buckets at each tier.
type series struct {
	namespace, name, unit string
	dims                  []Dimension // sorted by name
	identity              string
	tiers                 [len(Tiers)]bucketRing
	hires                 bool      // it has had high-resolution data
	updated               time.Time // the newest datum's time
	seen                  time.Time // when a datum last arrived
}

// identity is the canonical name of a metric: namespace, name and sorted
// dimensions, written into b.
func identity(b []byte, ns, name string, dims []Dimension) []byte {
	b = append(b, ns...)
	b = append(b, 0)
	b = append(b, name...)
	sorted := dims
	if !slices.IsSortedFunc(dims, cmpDim) {
		sorted = slices.SortedFunc(slices.Values(dims), cmpDim)
	}
	for _, d := range sorted {
		b = append(b, 0)
		b = append(b, d.Name...)
		b = append(b, '=')
		b = append(b, d.Value...)
	}
	return b
}

func cmpDim(a, b Dimension) int { return strings.Compare(a.Name, b.Name) }

// Put stores data. Datums are assumed valid (the API validates them); a
// datum older than its tier's retention is dropped from that tier.
func (s *Store) Put(data ...Datum) {
	now := s.now()
	var kb []byte
	for i := range data {
		d := &data[i]
		kb = identity(kb[:0], d.Namespace, d.MetricName, d.Dimensions)
		sh := &s.shards[maphash.Bytes(s.seed, kb)%shards]
		sh.mu.Lock()
		var se *series
		list := sh.series[string(kb)]
		for _, x := range list {
			if x.unit == d.Unit {
				se = x
				break
			}
		}
		if se == nil {
			dims := slices.SortedFunc(slices.Values(d.Dimensions), cmpDim)
			se = &series{namespace: d.Namespace, name: d.MetricName, unit: d.Unit, dims: dims, identity: string(kb)}
			sh.series[se.identity] = append(list, se)
		}
		se.add(d, now)
		sh.mu.Unlock()
	}
	s.maybeSweep(now)
}

func (se *series) add(d *Datum, now time.Time) {
	var v sample
	v.fromDatum(d)
	if v.count <= 0 {
		return
	}
	first := 1
	if d.HighResolution {
		first = 0
		se.hires = true
	}
	sec := d.Time.Unix()
	for i := first; i < len(Tiers); i++ {
		tr := Tiers[i]
		if d.Time.Before(now.Add(-tr.Retention)) {
			continue
		}
		res := int64(tr.Resolution / time.Second)
		se.tiers[i].expire(now.Add(-tr.Retention).Unix()) // first, so that a full ring need not grow
		se.tiers[i].add(sec-sec%res, &v, d, int(tr.Retention/tr.Resolution)+1)
	}
	if d.Time.After(se.updated) {
		se.updated = d.Time
	}
	se.seen = now
}
