package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSketchFreeze: frozen bins read back as they were, whatever their
// order of magnitude, sign or count, and take data again after thawing.
func TestSketchFreeze(t *testing.T) {
	var s sketch
	for _, x := range []struct{ v, n float64 }{{-1e6, 1}, {-0.5, 2.5}, {0, 3}, {1e-12, 1}, {1, 1 << 53}, {42, 7}, {1e100, 0.001}} {
		s.addBin(binOf(x.v), x.n)
	}
	want := slices.Clone(s.bins)
	s.freeze()
	if s.bins != nil || len(s.enc) == 0 {
		t.Fatalf("not frozen: %+v", s)
	}
	var got []bin
	s.each(func(k int32, n float64) { got = append(got, bin{k, n}) })
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(bin{})); diff != "" {
		t.Errorf("frozen bins (-want +got):\n%s", diff)
	}
	s.addBin(binOf(42), 1)
	if i := slices.IndexFunc(s.bins, func(b bin) bool { return b.k == binOf(42) }); s.enc != nil || i < 0 || s.bins[i].n != 8 {
		t.Errorf("after late data: %+v", s)
	}
}

// TestRing: buckets added in and out of order, expired and read back
// match a plain model, across the ring's growth, wrap-around and shrinking.
func TestRing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var r bucketRing
	model := map[int64]float64{}
	const slots = 50
	for now := int64(0); now < 2000; now++ {
		at := now
		if rng.IntN(10) == 0 {
			at -= rng.Int64N(slots) // late
		}
		d := Datum{Value: float64(rng.IntN(5))}
		var v sample
		v.fromDatum(&d)
		r.add(at, &v, &d, slots)
		model[at] += d.Value
		cutoff := now - slots
		r.expire(cutoff)
		for k := range model {
			if k < cutoff {
				delete(model, k)
			}
		}
		if now%97 == 0 || now > 1990 {
			var got []float64
			var want []float64
			r.each(cutoff, now+1, func(b *bucket) { got = append(got, b.sum) })
			for _, k := range slices.Sorted(func(yield func(int64) bool) {
				for k := range model {
					if !yield(k) {
						return
					}
				}
			}) {
				want = append(want, model[k])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("at %d (-want +got):\n%s", now, diff)
			}
		}
	}
	if len(r.b) > 2*slots {
		t.Errorf("capacity %d for %d buckets", len(r.b), r.n)
	}
	r.expire(math.MaxInt64)
	if r.n != 0 || len(r.b) > 16 {
		t.Errorf("after everything expired: %d buckets, capacity %d", r.n, len(r.b))
	}
}
