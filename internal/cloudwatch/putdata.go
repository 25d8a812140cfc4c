package cloudwatch

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"tide/internal/awsjson"
	"tide/internal/metrics"
)

// MetricStore is where the metric operations keep and read data: package
// metrics' Store.
type MetricStore interface {
	Put(data ...metrics.Datum)
	Get(q metrics.Query) []metrics.Point
	List(namespace, name string, filters []metrics.DimensionFilter, since time.Time) []metrics.Metric
	Units(namespace, name string, dims []metrics.Dimension) []string
}

// StatisticSet is PutMetricData's pre-aggregated datum.
type StatisticSet struct {
	SampleCount *float64 `json:"SampleCount,omitempty"`
	Sum         *float64 `json:"Sum,omitempty"`
	Minimum     *float64 `json:"Minimum,omitempty"`
	Maximum     *float64 `json:"Maximum,omitempty"`
}

// MetricDatum is one datum of PutMetricData.
type MetricDatum struct {
	MetricName        *string       `json:"MetricName,omitempty"`
	Dimensions        []Dimension   `json:"Dimensions,omitempty"`
	Timestamp         *awsjson.Time `json:"Timestamp,omitempty"`
	Value             *float64      `json:"Value,omitempty"`
	StatisticValues   *StatisticSet `json:"StatisticValues,omitempty"`
	Values            []float64     `json:"Values,omitempty"`
	Counts            []float64     `json:"Counts,omitempty"`
	Unit              *string       `json:"Unit,omitempty"`
	StorageResolution *int32        `json:"StorageResolution,omitempty"`
}

// PutMetricDataInput is the PutMetricData request. EntityMetricData is
// accepted and its metric data stored; entities themselves are not kept.
type PutMetricDataInput struct {
	Namespace              *string            `json:"Namespace,omitempty"`
	MetricData             []MetricDatum      `json:"MetricData,omitempty"`
	EntityMetricData       []EntityMetricData `json:"EntityMetricData,omitempty"`
	StrictEntityValidation *bool              `json:"StrictEntityValidation,omitempty"`
}

// EntityMetricData is metric data about an entity.
type EntityMetricData struct {
	Entity     *Entity       `json:"Entity,omitempty"`
	MetricData []MetricDatum `json:"MetricData,omitempty"`
}

// Entity is what EntityMetricData is about.
type Entity struct {
	KeyAttributes map[string]string `json:"KeyAttributes,omitempty"`
	Attributes    map[string]string `json:"Attributes,omitempty"`
}

// PutMetricDataOutput is empty.
type PutMetricDataOutput struct{}

// Limits of PutMetricData.
const (
	maxMetricData = 1000
	maxValues     = 150
	maxPastData   = 14 * 24 * time.Hour
	maxFutureData = 2 * time.Hour
	// CloudWatch rejects values whose magnitude is outside the range of
	// its storage (zero aside).
	maxMagnitude = 1.174271e+108
	minMagnitude = 8.515920e-109
)

func (a *API) putMetricData(ctx context.Context, in *PutMetricDataInput) (*PutMetricDataOutput, error) {
	if in.Namespace == nil {
		return nil, required("Namespace")
	}
	if err := checkLen(in.Namespace, "namespace", 1, 255); err != nil {
		return nil, err
	}
	ns := *in.Namespace
	if strings.HasPrefix(ns, ":") {
		return nil, constraint(ns, "namespace", "Member must satisfy regular expression pattern: [^:].*")
	}
	if strings.HasPrefix(ns, "AWS/") {
		return nil, invalidValue("The value %s for parameter Namespace is invalid.", ns)
	}
	all := in.MetricData
	for _, e := range in.EntityMetricData {
		all = append(all, e.MetricData...)
	}
	if len(all) == 0 {
		return nil, required("MetricData")
	}
	if len(all) > maxMetricData {
		return nil, invalidValue("The collection MetricData must not have a size greater than %d.", maxMetricData)
	}
	now := a.now()
	data := make([]metrics.Datum, 0, len(all))
	for i := range all {
		d, err := datumOf(ns, &all[i], fmt.Sprintf("MetricData.member.%d.", i+1), now)
		if err != nil {
			return nil, err
		}
		data = append(data, d)
	}
	a.cfg.Metrics.Put(data...)
	return &PutMetricDataOutput{}, nil
}

// datumOf validates one MetricDatum as CloudWatch does and converts it.
func datumOf(ns string, m *MetricDatum, member string, now time.Time) (metrics.Datum, error) {
	if m.MetricName == nil {
		return metrics.Datum{}, required(member + "MetricName")
	}
	if err := checkMetricName(&ns, m.MetricName, m.Dimensions, ""); err != nil {
		return metrics.Datum{}, err
	}
	if err := checkEnum(m.Unit, member+"Unit", units...); err != nil {
		return metrics.Datum{}, err
	}
	d := metrics.Datum{Namespace: ns, MetricName: *m.MetricName, Dimensions: dimensionsIn(m.Dimensions), Time: now}
	if m.Unit != nil && *m.Unit != "None" {
		d.Unit = *m.Unit
	}
	if m.Timestamp != nil {
		d.Time = m.Timestamp.Time
		if d.Time.Before(now.Add(-maxPastData)) {
			return d, invalidValue("The parameter %sTimestamp must specify a time no more than two weeks in the past.", member)
		}
		if d.Time.After(now.Add(maxFutureData)) {
			return d, invalidValue("The parameter %sTimestamp must specify a time no more than two hours in the future.", member)
		}
	}
	if r := m.StorageResolution; r != nil {
		if *r != 1 && *r != 60 {
			return d, invalidValue("The value %d for parameter %sStorageResolution is invalid.", *r, member)
		}
		d.HighResolution = *r == 1
	}
	given := 0
	for _, set := range []bool{m.Value != nil, m.StatisticValues != nil, len(m.Values) > 0} {
		if set {
			given++
		}
	}
	switch {
	case given == 0:
		return d, combination("At least one of the parameters %[1]sValue, %[1]sStatisticValues or %[1]sValues must be specified.", member)
	case given > 1:
		return d, combination("The parameters %[1]sValue, %[1]sStatisticValues and %[1]sValues are mutually exclusive and you have specified more than one.", member)
	case m.Value != nil:
		if err := checkValue(*m.Value, member+"Value"); err != nil {
			return d, err
		}
		d.Value = *m.Value
	case m.StatisticValues != nil:
		s := m.StatisticValues
		for _, f := range []struct {
			v    *float64
			name string
		}{{s.SampleCount, "SampleCount"}, {s.Sum, "Sum"}, {s.Minimum, "Minimum"}, {s.Maximum, "Maximum"}} {
			if f.v == nil {
				return d, required(member + "StatisticValues." + f.name)
			}
			if err := checkValue(*f.v, member+"StatisticValues."+f.name); err != nil {
				return d, err
			}
		}
		if *s.SampleCount <= 0 || *s.Minimum > *s.Maximum {
			return d, invalidValue("The parameter %sStatisticValues has a SampleCount below 1 or a Minimum above its Maximum.", member)
		}
		d.Stats = &metrics.StatisticSet{SampleCount: *s.SampleCount, Sum: *s.Sum, Minimum: *s.Minimum, Maximum: *s.Maximum}
	default:
		if len(m.Values) > maxValues {
			return d, invalidValue("The collection %sValues must not have a size greater than %d.", member, maxValues)
		}
		if len(m.Counts) > 0 && len(m.Counts) != len(m.Values) {
			return d, combination("The parameters %[1]sValues and %[1]sCounts must be of the same size.", member)
		}
		for i, v := range m.Values {
			if err := checkValue(v, fmt.Sprintf("%sValues.member.%d", member, i+1)); err != nil {
				return d, err
			}
		}
		for i, c := range m.Counts {
			if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
				return d, invalidValue("The value %v for parameter %sCounts.member.%d is invalid.", c, member, i+1)
			}
		}
		d.Values, d.Counts = m.Values, m.Counts
	}
	return d, nil
}

// checkValue refuses what CloudWatch cannot store: NaN, infinities and
// magnitudes outside its range.
func checkValue(v float64, member string) error {
	a := math.Abs(v)
	if math.IsNaN(v) || math.IsInf(v, 0) || a > maxMagnitude || (a != 0 && a < minMagnitude) {
		return invalidValue("The value %v for parameter %s is invalid.", v, member)
	}
	return nil
}
