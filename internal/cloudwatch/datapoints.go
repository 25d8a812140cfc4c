package cloudwatch

import (
	"math"
	"time"

	"tide/internal/metrics"
)

// datapoints reads the evaluation range of r ending at end from the
// metric source: the alarm's statistic with the sample counts behind it,
// or the value of its metric math, one Datapoint per period with data.
func (c *Controller) datapoints(r *record, end time.Time) []Datapoint {
	p := r.period()
	start := end.Add(-time.Duration(EvaluationRange(int(r.EvaluationPeriods))) * p)
	if r.MetricName != "" {
		stat := r.Statistic
		if stat == "" {
			stat = r.ExtendedStatistic
		}
		q := metrics.Query{Namespace: r.Namespace, MetricName: r.MetricName, Dimensions: r.Dimensions,
			Stat: stat, Period: p, Start: start, End: end, Unit: r.Unit}
		values := c.cfg.Metrics.Get(q)
		q.Stat = "SampleCount"
		counts := map[int64]float64{}
		for _, pt := range c.cfg.Metrics.Get(q) {
			counts[pt.Time.UnixNano()] = pt.Value
		}
		out := make([]Datapoint, 0, len(values))
		for _, pt := range values {
			out = append(out, Datapoint{Time: pt.Time, Value: pt.Value, SampleCount: counts[pt.Time.UnixNano()]})
		}
		return out
	}
	return c.mathDatapoints(r, start, end)
}

// mathDatapoints evaluates the query of r's Metrics that returns data
// over the range, period by period.
func (c *Controller) mathDatapoints(r *record, start, end time.Time) []Datapoint {
	p := r.period()
	n := int(end.Sub(start) / p)
	env := &mathEnv{vars: map[string]series{}, n: n, period: p.Seconds()}
	for _, q := range r.Metrics {
		if q.MetricStat != nil {
			env.metrics = append(env.metrics, deref(q.Id))
		}
	}
	var resolve func(id string, depth int) series
	resolve = func(id string, depth int) series {
		if s, ok := env.vars[id]; ok {
			return s
		}
		s := missingSeries(n)
		for _, q := range r.Metrics {
			if deref(q.Id) != id || depth > len(r.Metrics) {
				continue
			}
			switch {
			case q.MetricStat != nil:
				s = c.statSeries(q.MetricStat, p, start, n)
			case q.Expression != nil:
				e, err := parseMath(*q.Expression)
				if err != nil {
					break
				}
				e.refs(env.metrics, func(ref string) { resolve(ref, depth+1) })
				s = e.eval(env)
			}
		}
		env.vars[id] = s
		return s
	}
	var out []Datapoint
	for _, q := range r.Metrics {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		for i, v := range resolve(deref(q.Id), 0) {
			if !math.IsNaN(v) {
				out = append(out, Datapoint{Time: start.Add(time.Duration(i) * p), Value: v})
			}
		}
		break
	}
	return out
}

// statSeries reads one metric of a metric-math alarm as a series of n
// periods from start.
func (c *Controller) statSeries(ms *MetricStat, p time.Duration, start time.Time, n int) series {
	s := missingSeries(n)
	if ms.Metric == nil || ms.Stat == nil {
		return s
	}
	q := metrics.Query{Namespace: deref(ms.Metric.Namespace), MetricName: deref(ms.Metric.MetricName),
		Dimensions: dimensionsIn(ms.Metric.Dimensions), Stat: *ms.Stat, Period: p,
		Start: start, End: start.Add(time.Duration(n) * p), Unit: deref(ms.Unit)}
	for _, pt := range c.cfg.Metrics.Get(q) {
		if i := int(pt.Time.Sub(start) / p); i >= 0 && i < n && !pt.Time.Before(start) {
			s[i] = pt.Value
		}
	}
	return s
}
