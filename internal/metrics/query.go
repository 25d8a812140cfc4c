package metrics

import (
	"hash/maphash"
	"math"
	"slices"
	"time"
)

// agg is one period's aggregate over the buckets of a query.
type agg struct {
	t                    int64
	count, sum, min, max float64
	raw                  float64
	dist                 sketch
}

func (a *agg) add(b *bucket, needDist bool) {
	if a.count == 0 {
		a.min, a.max = b.min, b.max
	} else {
		a.min, a.max = min(a.min, b.min), max(a.max, b.max)
	}
	a.count += b.count
	a.sum += b.sum
	if needDist {
		a.raw += b.raw
		b.eachBin(a.dist.addBin)
	}
}

// Get returns one Point per period of q that has data, oldest first. The
// periods start at q.Start (in whole seconds) and follow each other to
// q.End; callers align Start as CloudWatch does (the API rounds StartTime
// as AWS documents, the alarm evaluator to a multiple of the period). Get
// reads the coarsest tier whose buckets fall within the periods (every
// datum reaches every tier at or above its resolution), so a one-second
// period sees high-resolution data only for the last 3 hours, as in
// CloudWatch. A metric that has only standard-resolution data shows at a
// sub-minute period one point a minute (as five-minute data shows at one
// minute); one that has both shows only its high-resolution data there. A
// statistic it does not know gives no points.
func (s *Store) Get(q Query) []Point {
	st, ok := ParseStat(q.Stat)
	if !ok || q.Period < time.Second || !q.End.After(q.Start) {
		return nil
	}
	period := int64(q.Period / time.Second)
	from, end := q.Start.Unix(), q.End.Unix()
	if q.End.Nanosecond() != 0 {
		end++
	}
	n := (end - from + period - 1) / period
	if n > maxPeriods {
		return nil
	}
	to := from + n*period
	id := identity(nil, q.Namespace, q.MetricName, q.Dimensions)
	sh := &s.shards[maphash.Bytes(s.seed, id)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	byPeriod := map[int64]*agg{}
	tier := 0 // the coarsest whose buckets fall within periods: it has every datum
	for i := range Tiers {
		if res := int64(Tiers[i].Resolution / time.Second); period%res == 0 && from%res == 0 {
			tier = i
		}
	}
	for _, se := range sh.series[string(id)] {
		if q.Unit != "" && se.unit != q.Unit {
			continue
		}
		ti := tier
		if ti == 0 && !se.hires {
			ti = 1 // standard resolution: each minute in the sub-minute period it starts
		}
		se.tiers[ti].each(from, to, func(b *bucket) {
			t := b.t - (b.t-from)%period
			a := byPeriod[t]
			if a == nil {
				a = &agg{t: t}
				byPeriod[t] = a
			}
			a.add(b, st.needsDist)
		})
	}
	aggs := make([]*agg, 0, len(byPeriod))
	for _, a := range byPeriod {
		aggs = append(aggs, a)
	}
	slices.SortFunc(aggs, func(a, b *agg) int { return cmpInt(a.t, b.t) })
	out := make([]Point, 0, len(aggs))
	for _, a := range aggs {
		if v, ok := st.eval(a); ok {
			out = append(out, Point{Time: time.Unix(a.t, 0).UTC(), Value: v})
		}
	}
	return out
}

// maxPeriods bounds the periods of one query.
const maxPeriods = 1 << 20

// quantile returns the value at rank q (0..1) of a's distribution, kept
// within the observed minimum and maximum.
func (a *agg) quantile(q float64) float64 {
	rank := q * a.raw
	cum := 0.0
	for _, b := range a.dist.bins {
		cum += b.n
		if cum >= rank {
			return math.Min(math.Max(binValue(b.k), a.min), a.max)
		}
	}
	return a.max
}

// between returns the count and sum of the values whose rank lies in
// [lo, hi) (fractions of the distribution), splitting bins pro rata, and
// the values at lo and hi.
func (a *agg) between(lo, hi float64) (n, sum, vlo, vhi float64) {
	rlo, rhi := lo*a.raw, hi*a.raw
	cum := 0.0
	for _, b := range a.dist.bins {
		v := math.Min(math.Max(binValue(b.k), a.min), a.max)
		start, end := cum, cum+b.n
		cum = end
		in := math.Min(end, rhi) - math.Max(start, rlo)
		if in > 0 {
			n += in
			sum += in * v
		}
	}
	return n, sum, a.quantile(lo), a.quantile(hi)
}
