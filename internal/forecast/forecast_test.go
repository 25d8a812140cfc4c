package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// from is a Monday noon; forecasts start there.
var from = time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)

// series samples f every step over the span before from.
func series(span, step time.Duration, f func(time.Time) float64) []Sample {
	var out []Sample
	for t := from.Add(-span); t.Before(from); t = t.Add(step) {
		out = append(out, Sample{Time: t, Value: f(t)})
	}
	return out
}

// upTo drops the samples of the last d before from.
func upTo(h []Sample, d time.Duration) []Sample {
	var out []Sample
	for _, s := range h {
		if s.Time.Before(from.Add(-d)) {
			out = append(out, s)
		}
	}
	return out
}

func phase(t time.Time, period time.Duration) float64 {
	return 2 * math.Pi * float64(t.Sub(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))%period) / float64(period)
}

func dailySine(t time.Time) float64 { return 100 + 50*math.Sin(phase(t, day)) }

// weeklySine has a daily cycle and a weekly swing.
func weeklySine(t time.Time) float64 {
	return 100 + 40*math.Sin(phase(t, day)) + 25*math.Sin(phase(t, week))
}

// workweek is a business load: busy hours on weekdays, quiet weekends.
func workweek(t time.Time) float64 {
	v := 20 + 60*math.Max(0, math.Sin(phase(t, day)-math.Pi/3))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		v = 20 + 10*math.Max(0, math.Sin(phase(t, day)-math.Pi/3))
	}
	return v
}

// forecastError returns the mean and the largest absolute error of a
// forecast against truth, relative to norm.
func forecastError(t *testing.T, got []Sample, truth func(time.Time) float64, norm float64) (mean, worst float64) {
	t.Helper()
	if len(got) == 0 {
		t.Fatal("no forecast")
	}
	for _, s := range got {
		e := math.Abs(s.Value-truth(s.Time)) / norm
		mean += e / float64(len(got))
		worst = math.Max(worst, e)
	}
	return mean, worst
}

func TestForecastAccuracy(t *testing.T) {
	noise := func(f func(time.Time) float64, amp float64) func(time.Time) float64 {
		r := rand.New(rand.NewPCG(1, 2))
		return func(t time.Time) float64 { return f(t) * (1 + amp*(2*r.Float64()-1)) }
	}
	gaps := func(f func(time.Time) float64, every int) func(time.Time) float64 {
		i := 0
		return func(t time.Time) float64 {
			i++
			if i%every == 0 || (i/every)%7 == 3 {
				return math.NaN()
			}
			return f(t)
		}
	}
	trend := func(t time.Time) float64 { return dailySine(t) + 5*t.Sub(from).Hours()/24 }
	step := func(at time.Duration) func(time.Time) float64 {
		return func(t time.Time) float64 {
			if t.Before(from.Add(-at)) {
				return 100
			}
			return 150
		}
	}
	tests := []struct {
		name        string
		history     []Sample
		step        time.Duration
		truth       func(time.Time) float64
		norm        float64
		mean, worst float64 // bounds, as fractions of norm
	}{
		{"daily sine, hourly, 14 days", series(MaxHistory, time.Hour, dailySine), time.Hour, dailySine, 100, 0.01, 0.01},
		{"daily sine, minutely, 14 days", series(MaxHistory, time.Minute, dailySine), time.Minute, dailySine, 100, 0.01, 0.01},
		{"daily sine, hourly, 2 days", series(2*day, time.Hour, dailySine), time.Hour, dailySine, 100, 0.01, 0.01},
		{"daily sine, hourly, 1 day", series(day, time.Hour, dailySine), time.Hour, dailySine, 100, 0.01, 0.01},
		{"daily sine, 7-minute step", series(MaxHistory, 7*time.Minute, dailySine), 7 * time.Minute, dailySine, 100, 0.01, 0.02},
		{"weekly sine, hourly, 14 days", series(MaxHistory, time.Hour, weeklySine), time.Hour, weeklySine, 100, 0.01, 0.01},
		{"weekly sine, 5-minute, 10 days", series(10*day, 5*time.Minute, weeklySine), 5 * time.Minute, weeklySine, 100, 0.01, 0.02},
		{"workweek, hourly, 14 days", series(MaxHistory, time.Hour, workweek), time.Hour, workweek, 40, 0.01, 0.02},
		{"daily sine ±5% noise", series(MaxHistory, time.Minute, noise(dailySine, 0.05)), time.Minute, dailySine, 100, 0.02, 0.05},
		{"weekly sine ±5% noise", series(MaxHistory, time.Hour, noise(weeklySine, 0.05)), time.Hour, weeklySine, 100, 0.03, 0.08},
		{"daily sine with gaps", series(MaxHistory, time.Minute, gaps(dailySine, 3)), time.Minute, dailySine, 100, 0.01, 0.02},
		{"daily sine, last 5 hours missing", upTo(series(MaxHistory, time.Minute, dailySine), 5*time.Hour), time.Minute, dailySine, 100, 0.01, 0.01},
		{"weekly sine, last 5 hours missing", upTo(series(MaxHistory, time.Hour, weeklySine), 5*time.Hour), time.Hour, weeklySine, 100, 0.01, 0.02},
		{"trend under a daily cycle, 14 days", series(MaxHistory, time.Hour, trend), time.Hour, trend, 100, 0.01, 0.01},
		{"trend under a daily cycle, 8 days", series(8*day, time.Hour, trend), time.Hour, trend, 100, 0.01, 0.02},
		{"level shift 3 days ago", series(MaxHistory, time.Hour, step(3*day)), time.Hour, step(3 * day), 150, 0.1, 0.1},
		{"level shift 1 day ago", series(MaxHistory, time.Hour, step(day)), time.Hour, step(day), 150, 0.1, 0.1},
		{"level shift 1 day ago, 3 days", series(3*day, time.Hour, step(day)), time.Hour, step(day), 150, 0.1, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Forecast(tt.history, from, tt.step, 48*time.Hour)
			if want := int(48 * time.Hour / tt.step); len(got) != want+boolInt(48*time.Hour%tt.step != 0) {
				t.Fatalf("%d samples, want %d", len(got), want)
			}
			mean, worst := forecastError(t, got, tt.truth, tt.norm)
			t.Logf("mean %.4f worst %.4f", mean, worst)
			if mean > tt.mean || worst > tt.worst {
				t.Errorf("error mean %.4f (bound %.2f), worst %.4f (bound %.2f)", mean, tt.mean, worst, tt.worst)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestForecastRecentShift: a level shift in the last hours is followed only
// partly; the 24-hour level takes a day to absorb it (target tracking
// handles what predictive scaling has not learnt yet).
func TestForecastRecentShift(t *testing.T) {
	h := series(MaxHistory, time.Hour, func(t time.Time) float64 {
		if t.Before(from.Add(-6 * time.Hour)) {
			return 100
		}
		return 200
	})
	got := Forecast(h, from, time.Hour, 48*time.Hour)
	for _, s := range got {
		if s.Value <= 110 || s.Value >= 200 {
			t.Fatalf("forecast %v at %v, want between the old and the new level", s.Value, s.Time)
		}
	}
}

func TestForecastShapes(t *testing.T) {
	nan := math.NaN()
	flat := func(v float64) func(time.Time) float64 { return func(time.Time) float64 { return v } }
	tests := []struct {
		name    string
		history []Sample
		step    time.Duration
		horizon time.Duration
		want    []Sample
	}{
		{"empty", nil, time.Hour, 3 * time.Hour, nil},
		{"all gaps", series(day, time.Hour, flat(nan)), time.Hour, 3 * time.Hour, nil},
		{"infinities are gaps", series(day, time.Hour, flat(math.Inf(1))), time.Hour, 3 * time.Hour, nil},
		{"zero step", series(day, time.Hour, flat(5)), 0, 3 * time.Hour, nil},
		{"negative horizon", series(day, time.Hour, flat(5)), time.Hour, -time.Hour, nil},
		{"only samples after from", []Sample{{from, 5}, {from.Add(time.Hour), 6}}, time.Hour, time.Hour, nil},
		{"only samples older than 14 days", []Sample{{from.Add(-MaxHistory - time.Hour), 5}}, time.Hour, time.Hour, nil},
		{"flat", series(MaxHistory, time.Hour, flat(42)), time.Hour, 3 * time.Hour,
			[]Sample{{from, 42}, {from.Add(time.Hour), 42}, {from.Add(2 * time.Hour), 42}}},
		{"flat zero", series(3*day, time.Hour, flat(0)), time.Hour, 2 * time.Hour,
			[]Sample{{from, 0}, {from.Add(time.Hour), 0}}},
		{"flat negative", series(3*day, time.Hour, flat(-7)), time.Hour, time.Hour, []Sample{{from, -7}}},
		{"partial last step", series(3*day, time.Hour, flat(3)), time.Hour, 90 * time.Minute,
			[]Sample{{from, 3}, {from.Add(time.Hour), 3}}},
		{"one sample", []Sample{{from.Add(-time.Hour), 9}}, time.Hour, 2 * time.Hour,
			[]Sample{{from, 9}, {from.Add(time.Hour), 9}}},
		{"under a day: flat at the last hour's mean", []Sample{
			{from.Add(-3 * time.Hour), 10}, {from.Add(-2 * time.Hour), 20}, {from.Add(-time.Minute * 50), 30}, {from.Add(-time.Minute * 10), 50}},
			time.Minute, 2 * time.Minute, []Sample{{from, 40}, {from.Add(time.Minute), 40}}},
		{"under a day, last hour empty: the latest hour with data", []Sample{
			{from.Add(-5 * time.Hour), 10}, {from.Add(-3 * time.Hour), 20}},
			time.Hour, time.Hour, []Sample{{from, 20}}},
		{"duplicate samples in a slot are averaged", []Sample{
			{from.Add(-time.Hour), 10}, {from.Add(-time.Hour + time.Minute), 20}}, time.Hour, time.Hour, []Sample{{from, 15}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Forecast(tt.history, from, tt.step, tt.horizon)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
				t.Errorf("Forecast (-want +got):\n%s", diff)
			}
		})
	}
}

// TestForecastNeverNegative: a falling load is not forecast below zero.
func TestForecastNeverNegative(t *testing.T) {
	h := series(5*day, time.Hour, func(t time.Time) float64 { return math.Max(0, -t.Sub(from).Hours()*2) })
	for _, s := range Forecast(h, from, time.Hour, 48*time.Hour) {
		if s.Value < 0 {
			t.Fatalf("forecast %v at %v", s.Value, s.Time)
		}
	}
}

// TestForecastIgnoresFuture: samples at or after from change nothing, and
// the same history gives the same forecast.
func TestForecastIgnoresFuture(t *testing.T) {
	h := series(MaxHistory, time.Hour, weeklySine)
	want := Forecast(h, from, time.Hour, 48*time.Hour)
	withFuture := append(h, Sample{from, 1e6}, Sample{from.Add(5 * time.Hour), -1e6})
	if diff := cmp.Diff(want, Forecast(withFuture, from, time.Hour, 48*time.Hour)); diff != "" {
		t.Errorf("future samples changed the forecast (-want +got):\n%s", diff)
	}
}

// TestForecastExtremes: huge values, huge horizons and tiny steps stay
// finite and bounded.
func TestForecastExtremes(t *testing.T) {
	huge := series(3*day, time.Hour, func(t time.Time) float64 { return 1e307 * (1 + 0.5*math.Sin(phase(t, day))) })
	for _, s := range Forecast(huge, from, time.Hour, 48*time.Hour) {
		if !finite(s.Value) {
			t.Fatalf("forecast %v", s.Value)
		}
	}
	recent := series(30*time.Minute, time.Minute, func(time.Time) float64 { return 1e307 })
	if got := Forecast(recent, from, time.Millisecond, time.Duration(math.MaxInt64)); len(got) != maxOutput {
		t.Errorf("%d samples, want the cap %d", len(got), maxOutput)
	}
	if got := Forecast(huge, from, 30*24*time.Hour, 60*24*time.Hour); len(got) != 2 {
		t.Errorf("%d samples for a 30-day step, want 2", len(got))
	}
}

func TestSufficient(t *testing.T) {
	tests := []struct {
		name    string
		history []Sample
		want    bool
	}{
		{"empty", nil, false},
		{"23 hours", series(23*time.Hour, time.Hour, dailySine), false},
		{"24 hours", series(24*time.Hour, time.Hour, dailySine), true},
		{"24 hours of gaps and an hour of data", append(series(24*time.Hour, time.Hour, func(time.Time) float64 { return math.NaN() }),
			Sample{from.Add(-time.Hour), 1}), false},
		{"old sample after from", []Sample{{from.Add(time.Hour), 1}}, false},
	}
	for _, tt := range tests {
		if got := Sufficient(tt.history, from); got != tt.want {
			t.Errorf("%s: Sufficient = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCapacity(t *testing.T) {
	at := func(i int) time.Time { return from.Add(time.Duration(i) * time.Hour) }
	load := []Sample{{at(0), 0}, {at(1), 99}, {at(2), 100}, {at(3), 100.0000000001}, {at(4), 101},
		{at(5), math.NaN()}, {at(6), 1e9}, {at(7), math.Inf(1)}, {at(8), 0.3 * 3 / 0.3 * 100 / 3}}
	tests := []struct {
		name     string
		target   float64
		min, max int
		want     []float64
	}{
		{"target 50, 1-10", 50, 1, 10, []float64{1, 2, 2, 2, 3, 10, 2}},
		{"target 50, 0-1000", 50, 0, 1000, []float64{0, 2, 2, 2, 3, 1000, 2}},
		{"target 100, 3-5", 100, 3, 5, []float64{3, 3, 3, 3, 3, 5, 3}},
		{"min above max", 100, 8, 5, []float64{5, 5, 5, 5, 5, 5, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []float64
			for _, s := range Capacity(load, tt.target, tt.min, tt.max) {
				got = append(got, s.Value)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Capacity (-want +got):\n%s", diff)
			}
		})
	}
	if got := Capacity(load, 0, 1, 10); got != nil {
		t.Errorf("Capacity with target 0 = %v, want nil", got)
	}
	if got := Capacity(load, math.NaN(), 1, 10); got != nil {
		t.Errorf("Capacity with target NaN = %v, want nil", got)
	}
	got := Capacity(load[:3], 50, 1, 10)
	if diff := cmp.Diff([]Sample{{at(0), 1}, {at(1), 2}, {at(2), 2}}, got); diff != "" {
		t.Errorf("Capacity keeps times (-want +got):\n%s", diff)
	}
}
