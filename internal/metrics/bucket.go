package metrics

import "math"

// sample is what one datum adds to a bucket.
type sample struct {
	count, sum, min, max float64
}

func (v *sample) fromDatum(d *Datum) {
	switch {
	case d.Stats != nil:
		*v = sample{d.Stats.SampleCount, d.Stats.Sum, d.Stats.Minimum, d.Stats.Maximum}
	case len(d.Values) > 0:
		*v = sample{min: math.Inf(1), max: math.Inf(-1)}
		for i, x := range d.Values {
			c := 1.0
			if i < len(d.Counts) {
				c = d.Counts[i]
			}
			if c <= 0 {
				continue
			}
			v.count += c
			v.sum += x * c
			v.min = min(v.min, x)
			v.max = max(v.max, x)
		}
	default:
		*v = sample{1, d.Value, d.Value, d.Value}
	}
}

// bucket is one period of one tier: the aggregate of the datums in it and,
// for datums with raw values, their distribution. Most one-second buckets
// hold one value, so a distribution whose values all fall in one bin is
// kept as that bin (one) without a sketch.
type bucket struct {
	t                    int64 // the period's start, Unix seconds
	count, sum, min, max float64
	raw                  float64 // how much of count has a distribution
	one                  int32   // the bin of every value while dist is nil
	dist                 *sketch
}

func (b *bucket) add(v *sample, d *Datum) {
	switch {
	case d.Stats == nil && len(d.Values) == 0:
		b.addValue(d.Value, 1)
	case d.Stats == nil:
		for i, x := range d.Values {
			c := 1.0
			if i < len(d.Counts) {
				c = d.Counts[i]
			}
			b.addValue(x, c)
		}
	case d.Stats.SampleCount == 1 || d.Stats.Minimum == d.Stats.Maximum: // one value, SampleCount times
		b.addValue(d.Stats.Minimum, d.Stats.SampleCount)
	}
	if b.count == 0 {
		b.min, b.max = v.min, v.max
	} else {
		b.min, b.max = min(b.min, v.min), max(b.max, v.max)
	}
	b.count += v.count
	b.sum += v.sum
}

// addValue adds x, observed c times, to the distribution.
func (b *bucket) addValue(x, c float64) {
	if !(c > 0) {
		return
	}
	k := binOf(x)
	switch {
	case b.dist != nil:
		b.dist.addBin(k, c)
	case b.raw == 0:
		b.one = k
	case k != b.one:
		b.dist = &sketch{}
		b.dist.addBin(b.one, b.raw)
		b.dist.addBin(k, c)
	}
	b.raw += c
}

// eachBin calls fn with the distribution's bins in order.
func (b *bucket) eachBin(fn func(k int32, n float64)) {
	switch {
	case b.dist != nil:
		b.dist.each(fn)
	case b.raw > 0:
		fn(b.one, b.raw)
	}
}

// bucketRing is one tier of a series: its buckets in time order in a
// circular buffer that grows as data comes, up to the tier's span (more
// only for data timestamped ahead), and gives memory back as it empties.
type bucketRing struct {
	b       []bucket // len(b) is the capacity
	head, n int
}

func (r *bucketRing) at(i int) *bucket {
	j := r.head + i
	if j >= len(r.b) {
		j -= len(r.b)
	}
	return &r.b[j]
}

// search returns the index of the first bucket at or after t, and whether
// it starts at t.
func (r *bucketRing) search(t int64) (int, bool) {
	lo, hi := 0, r.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.at(m).t < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < r.n && r.at(lo).t == t
}

// add adds a datum to the bucket that starts at t; slots is how many
// buckets the tier keeps. A bucket's distribution is compacted when a
// newer bucket opens.
func (r *bucketRing) add(t int64, v *sample, d *Datum, slots int) {
	switch {
	case r.n > 0 && r.at(r.n-1).t == t:
		r.at(r.n-1).add(v, d)
	case r.n == 0 || r.at(r.n-1).t < t:
		if r.n > 0 {
			r.at(r.n - 1).dist.freeze()
		}
		r.insert(r.n, t, slots).add(v, d)
	default: // late data
		var b *bucket
		if i, found := r.search(t); found {
			b = r.at(i)
		} else {
			b = r.insert(i, t, slots)
		}
		b.add(v, d)
		b.dist.freeze()
	}
}

// insert opens a bucket at t at index i.
func (r *bucketRing) insert(i int, t int64, slots int) *bucket {
	if r.n == len(r.b) {
		c := max(4, 2*len(r.b))
		if len(r.b) < slots {
			c = min(c, slots)
		}
		r.resize(c)
	}
	for j := r.n; j > i; j-- {
		*r.at(j) = *r.at(j - 1)
	}
	r.n++
	b := r.at(i)
	*b = bucket{t: t}
	return b
}

func (r *bucketRing) resize(c int) {
	nb := make([]bucket, c)
	for j := range r.n {
		nb[j] = *r.at(j)
	}
	r.b, r.head = nb, 0
	if c == 0 {
		r.b = nil
	}
}

// expire drops the buckets that start before cutoff.
func (r *bucketRing) expire(cutoff int64) {
	for r.n > 0 && r.at(0).t < cutoff {
		*r.at(0) = bucket{}
		r.head++
		if r.head == len(r.b) {
			r.head = 0
		}
		r.n--
	}
	if len(r.b) > 16 && r.n < len(r.b)/4 {
		r.resize(2 * r.n)
	}
}

// each calls fn with the buckets in [from, to), oldest first.
func (r *bucketRing) each(from, to int64, fn func(*bucket)) {
	i, _ := r.search(from)
	for ; i < r.n && r.at(i).t < to; i++ {
		fn(r.at(i))
	}
}

// newest returns the newest bucket, if any.
func (r *bucketRing) newest() (*bucket, bool) {
	if r.n == 0 {
		return nil, false
	}
	return r.at(r.n - 1), true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
