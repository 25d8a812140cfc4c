package forecast

import (
	"math"
	"sort"
	"time"
)

// grid is the history on step-wide slots: slot n is from, slot n-1 the step
// before it. Values are scaled into [-1, 1] (so sums cannot overflow) and
// detrended; prefix sums give the mean of any window in constant time.
type grid struct {
	z        []float64 // scaled, detrended values; NaN is a gap
	sum      []float64 // sum[i] is the sum of finite z[:i]
	cnt      []int32   // cnt[i] is the number of finite z[:i]
	n        int       // len(z)
	first    int       // the first slot with a value
	step     time.Duration
	spd, spw int     // slots per day and per week, at least 1
	half     int     // smoothing half-width, in slots
	scale    float64 // z = (value - trend) / scale
	slope    float64 // trend per slot, scaled
	nonNeg   bool    // no history value is negative
}

// newGrid places history on the grid, or returns nil when it has no finite
// value before from.
func newGrid(history []Sample, from time.Time, step time.Duration) *grid {
	n := int(min((MaxHistory+step-1)/step, maxHistorySlots))
	vals := make([]float64, n)
	counts := make([]int32, n)
	scale, found, nonNeg := 0.0, false, true
	for _, s := range history {
		if !finite(s.Value) {
			continue
		}
		if !s.Time.Before(from) {
			continue
		}
		// The nearest slot, but never from's own: a sample just before from
		// belongs to the step before it.
		j := min(-1, math.Round(float64(s.Time.Sub(from))/float64(step)))
		if j < -float64(n) {
			continue
		}
		i := n + int(j)
		vals[i] += s.Value
		counts[i]++
		scale = math.Max(scale, math.Abs(s.Value))
		found = true
		nonNeg = nonNeg && s.Value >= 0
	}
	if !found {
		return nil
	}
	if scale == 0 {
		scale = 1
	}
	g := &grid{z: vals, n: n, step: step, scale: scale, nonNeg: nonNeg, first: -1,
		spd: slots(day, step), spw: slots(week, step), half: int(30 * time.Minute / step)}
	for i := range vals {
		if counts[i] == 0 {
			vals[i] = math.NaN()
			continue
		}
		vals[i] = vals[i] / float64(counts[i]) / scale
		if g.first < 0 {
			g.first = i
		}
	}
	g.prefix()
	g.slope = g.trend()
	for i := range vals {
		vals[i] -= g.slope * float64(i-n)
	}
	g.prefix()
	return g
}

// slots returns d in slots of step, rounded, at least 1.
func slots(d, step time.Duration) int {
	return int(max(1, math.Round(float64(d)/float64(step))))
}

func (g *grid) prefix() {
	if g.sum == nil {
		g.sum = make([]float64, g.n+1)
		g.cnt = make([]int32, g.n+1)
	}
	for i, v := range g.z {
		g.sum[i+1], g.cnt[i+1] = g.sum[i], g.cnt[i]
		if !math.IsNaN(v) {
			g.sum[i+1] += v
			g.cnt[i+1]++
		}
	}
}

// mean returns the mean of the finite values in slots [lo, hi), clipped to
// the grid, and how many there were.
func (g *grid) mean(lo, hi int) (float64, int) {
	lo, hi = max(lo, 0), min(hi, g.n)
	if hi <= lo {
		return 0, 0
	}
	c := int(g.cnt[hi] - g.cnt[lo])
	if c == 0 {
		return 0, 0
	}
	return (g.sum[hi] - g.sum[lo]) / float64(c), c
}

// smooth returns the mean of the hour around slot i, using only slots
// before o.
func (g *grid) smooth(i, o int) (float64, bool) {
	m, c := g.mean(i-g.half, min(i+g.half+1, o))
	return m, c > 0
}

// end returns one past the last slot before o that has a value, so that a
// gap at the end of the history does not cut a day short.
func (g *grid) end(o int) int {
	o = min(o, g.n)
	return sort.Search(o, func(hi int) bool { return g.cnt[hi] == g.cnt[o] })
}

// cycleMean returns the mean of the whole day most nearly centred on slot i
// that lies within the history before o.
func (g *grid) cycleMean(i, o int) (float64, bool) {
	lo := min(i-g.spd/2, g.end(o)-g.spd)
	lo = max(lo, g.first)
	m, c := g.mean(lo, min(lo+g.spd, o))
	return m, c > 0
}

// level returns the mean of the last day of history before o, a whole daily
// cycle ending at its last value.
func (g *grid) level(o int) (float64, bool) {
	hi := g.end(o)
	m, c := g.mean(hi-g.spd, hi)
	return m, c > 0
}

// recent returns the mean of the last hour before o that has values, or of
// the latest value.
func (g *grid) recent(o int) float64 {
	hour := slots(time.Hour, g.step)
	for hi := o; hi > g.first; hi -= hour {
		if m, c := g.mean(hi-hour, hi); c > 0 {
			return m
		}
	}
	return 0
}
