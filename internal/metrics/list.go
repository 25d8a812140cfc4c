package metrics

import (
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
// empty to match all) and every filter, with data newer than since (zero:
// any in the last two weeks), sorted by namespace, name and dimensions.
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
			for _, se := range list {
				if se.updated.After(m.Updated) {
					m.Updated = se.updated
				}
			}
			if m.Updated.Before(cutoff) || (namespace != "" && m.Namespace != namespace) || (name != "" && m.MetricName != name) || !matches(m.Dimensions, filters) {
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
