package metrics

import (
	"encoding/binary"
	"math"
	"slices"
)

// sketch is a distribution of values with 1% relative accuracy: counts by
// logarithmic bin (DDSketch's mapping, gamma 1.02), sparse and sorted.
// While its bucket is open the bins are a slice; once a newer bucket
// opens they are compacted (frozen) to a few bytes each: the difference
// from the previous bin's index and the count, as varints.
type sketch struct {
	bins []bin
	enc  []byte // the frozen bins; bins is nil then
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

func (s *sketch) addBin(k int32, n float64) {
	if s.enc != nil {
		s.thaw()
	}
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

// each calls fn with the bins in order.
func (s *sketch) each(fn func(k int32, n float64)) {
	if s.enc == nil {
		for _, b := range s.bins {
			fn(b.k, b.n)
		}
		return
	}
	var k int64
	for p := s.enc; len(p) > 0; {
		dk, w := binary.Varint(p)
		u, w2 := binary.Uvarint(p[w:])
		p = p[w+w2:]
		k += dk
		n := float64(u >> 1)
		if u&1 == 1 { // not a whole number: the float follows
			n = math.Float64frombits(binary.LittleEndian.Uint64(p))
			p = p[8:]
		}
		fn(int32(k), n)
	}
}

// freeze compacts the bins; s may be nil.
func (s *sketch) freeze() {
	if s == nil || s.enc != nil {
		return
	}
	enc := make([]byte, 0, 3*len(s.bins))
	prev := int64(0)
	for _, b := range s.bins {
		enc = binary.AppendVarint(enc, int64(b.k)-prev)
		prev = int64(b.k)
		if b.n == math.Trunc(b.n) && b.n >= 0 && b.n < 1<<52 {
			enc = binary.AppendUvarint(enc, uint64(b.n)<<1)
		} else {
			enc = binary.AppendUvarint(enc, 1)
			enc = binary.LittleEndian.AppendUint64(enc, math.Float64bits(b.n))
		}
	}
	s.enc, s.bins = slices.Clip(enc), nil
}

// thaw undoes freeze, for late data.
func (s *sketch) thaw() {
	bins := []bin{}
	s.each(func(k int32, n float64) { bins = append(bins, bin{k, n}) })
	s.bins, s.enc = bins, nil
}
