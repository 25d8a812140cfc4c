package metrics

import (
	"math"
	"slices"
)

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
// for datums with raw values, their distribution.
type bucket struct {
	t                    int64 // the period's start, Unix seconds
	count, sum, min, max float64
	raw                  float64 // how much of count has a distribution
	dist                 sketch
}

func (b *bucket) add(v *sample, d *Datum) {
	if b.count == 0 {
		b.min, b.max = v.min, v.max
	} else {
		b.min, b.max = min(b.min, v.min), max(b.max, v.max)
	}
	b.count += v.count
	b.sum += v.sum
	if d.Stats != nil {
		if d.Stats.SampleCount == 1 || d.Stats.Minimum == d.Stats.Maximum { // one value, SampleCount times
			b.dist.add(d.Stats.Minimum, d.Stats.SampleCount)
			b.raw += d.Stats.SampleCount
		}
		return
	}
	if len(d.Values) == 0 {
		b.dist.add(d.Value, 1)
		b.raw++
		return
	}
	for i, x := range d.Values {
		c := 1.0
		if i < len(d.Counts) {
			c = d.Counts[i]
		}
		if c > 0 {
			b.dist.add(x, c)
			b.raw += c
		}
	}
}

// bucketRing is one tier of a series: buckets in time order, the expired
// ones before head.
type bucketRing struct {
	b    []bucket
	head int
}

func (r *bucketRing) add(t int64, v *sample, d *Datum) {
	n := len(r.b)
	switch {
	case n > r.head && r.b[n-1].t == t:
		r.b[n-1].add(v, d)
	case n == r.head || r.b[n-1].t < t:
		r.b = append(r.b, bucket{t: t})
		r.b[n].add(v, d)
	default: // late data
		live := r.b[r.head:]
		i, found := slices.BinarySearchFunc(live, t, func(b bucket, t int64) int { return cmpInt(b.t, t) })
		if !found {
			live = slices.Insert(live, i, bucket{t: t})
			r.b = append(r.b[:r.head], live...)
		}
		r.b[r.head+i].add(v, d)
	}
}

// expire drops the buckets that start before cutoff.
func (r *bucketRing) expire(cutoff int64) {
	for r.head < len(r.b) && r.b[r.head].t < cutoff {
		r.b[r.head] = bucket{}
		r.head++
	}
	if r.head > 32 && r.head > len(r.b)/2 {
		if live := r.b[r.head:]; len(live) < cap(r.b)/4 { // give back what a shrunken tier held
			r.b = nil
			if len(live) > 0 {
				r.b = append(make([]bucket, 0, 2*len(live)), live...)
			}
		} else {
			r.b = append(r.b[:0], live...)
		}
		r.head = 0
	}
}

// span returns the live buckets in [from, to).
func (r *bucketRing) span(from, to int64) []bucket {
	live := r.b[r.head:]
	i, _ := slices.BinarySearchFunc(live, from, func(b bucket, t int64) int { return cmpInt(b.t, t) })
	j, _ := slices.BinarySearchFunc(live, to, func(b bucket, t int64) int { return cmpInt(b.t, t) })
	return live[i:j]
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

// sketch is a distribution of values with 1% relative accuracy: counts by
// logarithmic bin (DDSketch's mapping, gamma 1.02), sparse and sorted.
type sketch struct {
	bins []bin
}

type bin struct {
	k int32
	n float64
}

const (
	gamma    = 1.02
	binBias  = 1 << 20
	minValue = 1e-9 // smaller magnitudes count as zero
)

var logGamma = math.Log(gamma)

// binOf returns the bin of x: ordered as the values are.
func binOf(x float64) int32 {
	a := math.Abs(x)
	if a < minValue || math.IsNaN(x) {
		return 0
	}
	k := int32(math.Ceil(math.Log(a)/logGamma)) + binBias
	if x < 0 {
		return -k
	}
	return k
}

// binValue is the value a bin stands for: the middle of its range.
func binValue(k int32) float64 {
	if k == 0 {
		return 0
	}
	a := k
	if a < 0 {
		a = -a
	}
	v := math.Pow(gamma, float64(a-binBias)) * 2 / (1 + gamma)
	if k < 0 {
		return -v
	}
	return v
}

func (s *sketch) add(x, n float64) { s.addBin(binOf(x), n) }

func (s *sketch) addBin(k int32, n float64) {
	if l := len(s.bins); l > 0 && s.bins[l-1].k == k {
		s.bins[l-1].n += n
		return
	}
	i, found := slices.BinarySearchFunc(s.bins, k, func(b bin, k int32) int { return int(b.k) - int(k) })
	if found {
		s.bins[i].n += n
		return
	}
	s.bins = slices.Insert(s.bins, i, bin{k, n})
}

func (s *sketch) merge(o *sketch) {
	for _, b := range o.bins {
		s.addBin(b.k, b.n)
	}
}
