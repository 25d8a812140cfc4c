package forecast

import (
	"math"
	"slices"
	"time"
)

// Model constants; the package documentation explains them.
const (
	dailyDecay  = 0.8 // weight of each older day relative to the next
	dailyLags   = 14  // days averaged by the daily estimate
	weeklyDecay = 0.5 // weight of two weeks ago relative to one week ago
	weeklyLags  = 2
	// minTrendDays is the history a trend is estimated from: with fewer
	// days a level shift or a weekend looks like a trend, and extrapolating
	// it does more harm than ignoring a real one.
	minTrendDays = 7
)

// predict returns k forecast values, for slots n to n+k-1, unscaled.
func (g *grid) predict(k int) []float64 {
	out := make([]float64, k)
	if g.n-g.first < g.spd { // less than a day: flat
		flat := g.recent(g.n)
		for i := range out {
			out[i] = g.unscale(flat, 0)
		}
		return out
	}
	alpha := g.weeklyWeight()
	for i := range out {
		p := g.n + i
		v, ok := g.estimate(p, g.n, alpha)
		if !ok {
			v, _ = g.level(g.n)
		}
		out[i] = g.unscale(v, p)
	}
	return out
}

// estimate blends the daily and weekly estimates for slot p from the history
// before slot o; alpha is the weekly estimate's weight.
func (g *grid) estimate(p, o int, alpha float64) (float64, bool) {
	d, dok := g.daily(p, o)
	w, wok := g.weekly(p, o)
	switch {
	case dok && wok && alpha > 0:
		return alpha*w + (1-alpha)*d, true
	case dok:
		return d, true
	case wok && alpha > 0:
		return w, true
	}
	return 0, false
}

// unscale adds the trend back at slot p and undoes the scaling.
func (g *grid) unscale(z float64, p int) float64 {
	v := (z + g.slope*float64(p-g.n)) * g.scale
	if g.nonNeg {
		v = math.Max(v, 0)
	}
	return math.Max(-math.MaxFloat64, math.Min(v, math.MaxFloat64))
}

// daily returns the level before o plus the recency-weighted mean deviation
// from the daily mean at slot p's time of day on previous days.
func (g *grid) daily(p, o int) (float64, bool) {
	level, ok := g.level(o)
	if !ok {
		return 0, false
	}
	first := g.firstLag(p, o, day)
	var num, den float64
	w := 1.0
	for d := first; d < first+dailyLags; d++ {
		i := p - g.lag(day, d)
		if i < g.first-g.half {
			break
		}
		s, sok := g.smooth(i, o)
		c, cok := g.cycleMean(i, o)
		if sok && cok {
			num += w * (s - c)
			den += w
		}
		w *= dailyDecay
	}
	if den == 0 {
		return 0, false
	}
	return level + num/den, true
}

// weekly returns the value at slot p's time one (and two) weeks earlier,
// moved by the change in level since then.
func (g *grid) weekly(p, o int) (float64, bool) {
	level, ok := g.level(o)
	if !ok || g.spw < 2 {
		return 0, false
	}
	first := g.firstLag(p, o, week)
	var num, den float64
	w := 1.0
	for k := first; k < first+weeklyLags; k++ {
		i, ref := p-g.lag(week, k), g.end(o)-g.lag(week, k)
		s, sok := g.smooth(i, o)
		then, c := g.mean(ref-g.spd, ref)
		if sok && c > 0 && ref-g.spd >= g.first {
			num += w * (s - then)
			den += w
		}
		w *= weeklyDecay
	}
	if den == 0 {
		return 0, false
	}
	return level + num/den, true
}

// lag returns k periods in slots, rounded.
func (g *grid) lag(period time.Duration, k int) int {
	return int(math.Round(float64(period) * float64(k) / float64(g.step)))
}

// firstLag returns the least k >= 1 for which slot p, k periods back, is
// before slot o.
func (g *grid) firstLag(p, o int, period time.Duration) int {
	k := max(1, int(float64(p-o)*float64(g.step)/float64(period)))
	for k > 1 && p-g.lag(period, k-1) < o {
		k--
	}
	for p-g.lag(period, k) >= o {
		k++
	}
	return k
}

// weeklyWeight back-tests the daily and weekly estimates on the last day of
// history, forecasting it from the day before, and returns the weekly
// estimate's weight: inversely proportional to its squared error. It is 0
// when the weekly estimate cannot be tested.
func (g *grid) weeklyWeight() float64 {
	o := g.n - g.spd
	if o-g.first < g.spd {
		return 0
	}
	var errD, errW float64
	tested := 0
	for p := o; p < g.n; p++ {
		actual := g.z[p]
		if math.IsNaN(actual) {
			continue
		}
		d, dok := g.daily(p, o)
		w, wok := g.weekly(p, o)
		if !dok || !wok {
			continue
		}
		errD += (d - actual) * (d - actual)
		errW += (w - actual) * (w - actual)
		tested++
	}
	if tested == 0 || tested < g.spd/4 {
		return 0
	}
	if errD+errW < 1e-18*float64(tested) { // both exact
		return 0.5
	}
	return errD / (errD + errW)
}

// trend returns the slope per slot of the (scaled) history: from the last
// two weeks' means when both are complete, else the Theil-Sen slope of the
// means of at least minTrendDays complete days, else 0. A day is complete when at
// least half its slots have values.
func (g *grid) trend() float64 {
	type point struct {
		k        int // days before from
		at, mean float64
	}
	var days []point
	for k := 0; g.n-(k+1)*g.spd >= g.first; k++ {
		hi := g.n - k*g.spd
		if m, c := g.mean(hi-g.spd, hi); 2*c >= g.spd {
			days = append(days, point{k, float64(hi) - float64(g.spd)/2, m})
		}
	}
	if len(days) >= 14 && days[13].k == 13 {
		var last, prev float64
		for k := range 7 {
			last += days[k].mean / 7
			prev += days[k+7].mean / 7
		}
		return (last - prev) / float64(7*g.spd)
	}
	if len(days) < minTrendDays {
		return 0
	}
	var slopes []float64
	for i := range days {
		for j := i + 1; j < len(days); j++ {
			slopes = append(slopes, (days[i].mean-days[j].mean)/(days[i].at-days[j].at))
		}
	}
	slices.Sort(slopes)
	if len(slopes)%2 == 1 {
		return slopes[len(slopes)/2]
	}
	return (slopes[len(slopes)/2-1] + slopes[len(slopes)/2]) / 2
}
