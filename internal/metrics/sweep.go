package metrics

import (
	"slices"
	"time"
)

// maybeSweep sweeps one shard a second, in turn, while data arrives:
// expiring what series that no longer receive data (a stopped task's) keep
// and forgetting series with nothing left in any tier. Without it a series
// kept its buckets until its next datum, which may never come. Every shard
// is swept about once a minute, by whichever Put call comes due, so no
// goroutine is needed.
func (s *Store) maybeSweep(now time.Time) {
	next := s.sweepNext.Load()
	if now.Unix() < next || !s.sweepNext.CompareAndSwap(next, now.Unix()+1) {
		return
	}
	sh := &s.shards[s.sweepShard.Add(1)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for key, list := range sh.series {
		list = slices.DeleteFunc(list, func(se *series) bool { return !se.expire(now) })
		if len(list) == 0 {
			delete(sh.series, key)
			continue
		}
		sh.series[key] = list
	}
}

// expire drops what each tier keeps beyond its retention, and tells
// whether anything is left.
func (se *series) expire(now time.Time) bool {
	live := false
	for i, tr := range Tiers {
		r := &se.tiers[i]
		r.expire(now.Add(-tr.Retention).Unix())
		live = live || r.n > 0
	}
	return live
}
