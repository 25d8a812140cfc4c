// Package forecast predicts a load metric from its recent history, for
// Application Auto Scaling's predictive scaling policies (PredictiveScaling)
// and for Tide's simulator, which replays traces through the same code.
//
// AWS's predictive scaling forecasts the next 48 hours, hourly, from up to
// 14 days of history, and needs at least 24 hours of data; it learns daily
// and weekly patterns with a model AWS does not publish. Tide's model is a
// small, documented, deterministic seasonal decomposition, chosen to be
// explainable and robust rather than clever:
//
//  1. History is placed on a grid of step-wide slots ending at from (each
//     sample in the slot nearest its time; several samples in a slot are
//     averaged; NaN and ±Inf are gaps). Only the 14 days before from count.
//  2. Trend: with two full weeks of history, the slope is the difference of
//     the last two weeks' means (exact under any weekly pattern); with 7 to
//     13 full days, the Theil-Sen slope of daily means (the median of the
//     pairwise slopes, which one odd day cannot swing); with less, none: a
//     level shift or a weekend in a few days of history looks like a trend,
//     and extrapolating it does more harm than ignoring a real one. The
//     trend is removed before the seasonal parts and added back at the end.
//  3. Level: the mean of the last 24 hours of history (ending at its last
//     value, should the latest samples be missing), a whole daily cycle, so
//     the time of day does not bias it.
//  4. Daily estimate: the level plus the average, over the previous days at
//     the same time of day (up to 14, weighted 0.8^k from the most recent),
//     of how far the value stood above its own 24-hour mean. Values are
//     smoothed over an hour around each point first.
//  5. Weekly estimate: the value one week earlier (and, with weight 1/2, two
//     weeks earlier) at the same time, moved by how much the level has
//     changed since then. This carries weekday/weekend differences and
//     level shifts that have already happened.
//  6. Blend: both estimates are back-tested on the last 24 hours of history
//     (forecast from the day before, compared with what happened); each
//     gets a weight inversely proportional to its squared error. The weekly
//     estimate is used only when there is history to test it (9 days).
//
// With less than 24 hours of history the forecast is flat at the mean of the
// last hour; with none it is empty. When no history value is negative, no
// forecast value is either. Forecast values are never NaN or infinite.
//
// Error bounds the tests hold the model to, 48 hours ahead, relative to the
// load's mean: a noiseless daily or weekly sinusoidal load (or a weekday
// business load) within 1% on average and 2% at worst; with ±5% uniform
// noise on the history, 3% on average; a level shift that happened at least
// a day ago within 10%; a linear trend under a daily cycle within 1% with
// 14 days of history and 2% with 8.
//
// The package is pure and deterministic: no clock, I/O, goroutines or
// randomness; the same inputs give the same outputs. It depends only on the
// standard library.
package forecast

import (
	"math"
	"time"
)

// Sample is one value of a metric at a time.
type Sample struct {
	Time  time.Time
	Value float64
}

// The history predictive scaling uses, as AWS documents it.
const (
	// MinHistory is the history predictive scaling needs before it
	// forecasts; see [Sufficient].
	MinHistory = 24 * time.Hour
	// MaxHistory is the history a forecast looks at; older samples are
	// ignored.
	MaxHistory = 14 * 24 * time.Hour
)

// Bounds on the work one call does, whatever the step.
const (
	maxHistorySlots = 1 << 21 // 14 days at one second fits
	maxOutput       = 1 << 20
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Forecast predicts the metric for each step of [from, from+horizon): one
// sample at from, from+step, ..., from+(k-1)·step, where k is horizon/step
// rounded up (at most 2^20). history is one value per step, oldest first,
// with gaps as NaN (or missing samples); samples at or after from are
// ignored. It returns nil when step or horizon is not positive or history
// has no finite value before from. The model is described in the package
// documentation.
func Forecast(history []Sample, from time.Time, step, horizon time.Duration) []Sample {
	if step <= 0 || horizon <= 0 {
		return nil
	}
	g := newGrid(history, from, step)
	if g == nil {
		return nil
	}
	k := int(min((horizon+step-1)/step, maxOutput))
	if horizon > time.Duration(math.MaxInt64)-step { // (horizon+step-1) overflowed
		k = maxOutput
	}
	values := g.predict(k)
	out := make([]Sample, k)
	for i := range out {
		out[i] = Sample{Time: from.Add(time.Duration(i) * step), Value: values[i]}
	}
	return out
}

// Sufficient reports whether history reaches back MinHistory before from, as
// AWS's predictive scaling requires before it forecasts: whether its oldest
// finite sample before from is at least 24 hours older than from.
func Sufficient(history []Sample, from time.Time) bool {
	for _, s := range history {
		if finite(s.Value) && s.Time.Before(from) && from.Sub(s.Time) >= MinHistory {
			return true
		}
	}
	return false
}

// Capacity converts a load forecast into the capacity predictive scaling
// would provide: for each sample, ceil(load / targetPerTask) tasks, clamped
// to [min, max] (to max when min > max). A load a hair above a multiple of
// the target (within 1e-9 of a task, float rounding) does not add a task.
// Samples whose load is NaN or infinite are left out: there is no capacity
// to provide for an unknown load. It returns nil when targetPerTask is not a
// positive finite number.
func Capacity(load []Sample, targetPerTask float64, min, max int) []Sample {
	if !finite(targetPerTask) || targetPerTask <= 0 {
		return nil
	}
	out := make([]Sample, 0, len(load))
	for _, s := range load {
		if !finite(s.Value) {
			continue
		}
		tasks := math.Ceil(s.Value/targetPerTask - 1e-9)
		tasks = math.Max(tasks, float64(min))
		tasks = math.Min(tasks, float64(max))
		out = append(out, Sample{Time: s.Time, Value: tasks})
	}
	return out
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
