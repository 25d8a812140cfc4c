package metrics

import (
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
	"time"
)

// Metric is a metric's identity, as ListMetrics shows it.
type Metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension // sorted by name
	// Updated is the time of its newest datum.
	Updated time.Time
}

// DimensionFilter matches metrics that have a dimension of this name and,
// when Value is not nil, this value.
type DimensionFilter struct {
	Name  string
	Value *string
}

// listWindow is how long a metric without new data stays listed: two
// weeks, as in CloudWatch.
const listWindow = 14 * 24 * time.Hour

// List returns the metrics that match namespace and name (either may be
// empty to match all) and every filter, that received data after since
// (zero: in the last two weeks), sorted by namespace, name and dimensions.
// As ListMetrics' RecentlyActive, it counts when data was put, whatever
// its timestamps.
func (s *Store) List(namespace, name string, filters []DimensionFilter, since time.Time) []Metric {
	cutoff := s.now().Add(-listWindow)
	if since.After(cutoff) {
		cutoff = since
	}
	var out []Metric
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, list := range sh.series {
			m := Metric{Namespace: list[0].namespace, MetricName: list[0].name, Dimensions: list[0].dims}
			var seen time.Time
			for _, se := range list {
				if se.updated.After(m.Updated) {
					m.Updated = se.updated
				}
				if se.seen.After(seen) {
					seen = se.seen
				}
			}
			if seen.Before(cutoff) || (namespace != "" && m.Namespace != namespace) || (name != "" && m.MetricName != name) || !matches(m.Dimensions, filters) {
				continue
			}
			m.Dimensions = slices.Clone(m.Dimensions)
			out = append(out, m)
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Metric) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		if c := strings.Compare(a.MetricName, b.MetricName); c != 0 {
			return c
		}
		return slices.CompareFunc(a.Dimensions, b.Dimensions, func(x, y Dimension) int {
			if c := strings.Compare(x.Name, y.Name); c != 0 {
				return c
			}
			return strings.Compare(x.Value, y.Value)
		})
	})
	return out
}

func matches(dims []Dimension, filters []DimensionFilter) bool {
	for _, f := range filters {
		i := slices.IndexFunc(dims, func(d Dimension) bool { return d.Name == f.Name })
		if i < 0 || (f.Value != nil && dims[i].Value != *f.Value) {
			return false
		}
	}
	return true
}

// WritePrometheus writes the newest datapoint of every metric updated in
// the last five minutes in Prometheus' text format: one gauge family,
// tide_cloudwatch, labelled by namespace, metric name, unit and dimensions,
// whose value is the average of the newest period at the finest
// resolution kept.
func (s *Store) WritePrometheus(w io.Writer) {
	cutoff := s.now().Add(-5 * time.Minute)
	type row struct {
		labels string
		v      float64
		ms     int64
	}
	var rows []row
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, list := range sh.series {
			for _, se := range list {
				if se.updated.Before(cutoff) {
					continue
				}
				b, ok := se.newest()
				if !ok || b.count == 0 {
					continue
				}
				var l strings.Builder
				fmt.Fprintf(&l, "namespace=%q,metric=%q", se.namespace, se.name)
				if se.unit != "" {
					fmt.Fprintf(&l, ",unit=%q", se.unit)
				}
				for _, d := range se.dims {
					fmt.Fprintf(&l, ",%s=%q", promLabel(d.Name), d.Value)
				}
				rows = append(rows, row{l.String(), b.sum / b.count, b.t * 1000})
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.labels, b.labels) })
	fmt.Fprintln(w, "# HELP tide_cloudwatch The newest datapoint of each CloudWatch metric (the average of its newest period).")
	fmt.Fprintln(w, "# TYPE tide_cloudwatch gauge")
	for _, r := range rows {
		fmt.Fprintf(w, "tide_cloudwatch{%s} %g %d\n", r.labels, r.v, r.ms)
	}
}

// newest returns the newest bucket at the finest tier that has one.
func (se *series) newest() (*bucket, bool) {
	for i := range se.tiers {
		if b, ok := se.tiers[i].newest(); ok {
			return b, true
		}
	}
	return nil, false
}

// promLabel makes a dimension name a Prometheus label name.
func promLabel(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || slices.Contains([]string{"namespace", "metric", "unit"}, string(b)) {
		return "dim_" + string(b)
	}
	return string(b)
}

// Units returns the units datums of a metric were sent with ("" for
// None), in no particular order.
func (s *Store) Units(namespace, name string, dims []Dimension) []string {
	id := identity(nil, namespace, name, dims)
	sh := &s.shards[maphash.Bytes(s.seed, id)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var out []string
	for _, se := range sh.series[string(id)] {
		out = append(out, se.unit)
	}
	return out
}
