// Package metrics is Tide's CloudWatch metric store: time series keyed by
// namespace, metric name and dimension set, kept in memory at CloudWatch's
// retention tiers (1-second data for 3 hours, 60-second for 15 days,
// 5-minute for 63 days, 1-hour for 455 days) and aggregated on query into
// CloudWatch's statistics over any period.
//
// Tide's own producers (ECS task stats, the load balancer) and PutMetricData
// write Datums; GetMetricData, GetMetricStatistics, the alarm evaluator and
// the scaling policies read Points. It depends on the standard library only.
//
// Nothing is persisted. A series is plain data (its identity, unit and one
// ring of buckets per tier, each bucket's distribution a bin or packed
// bins), so a snapshot to disk would walk the shards under their locks and
// write that, and a restore would Put nothing but rebuild the rings.
package metrics

import "time"

// Dimension is one name/value pair of a metric's identity.
type Dimension struct {
	Name, Value string
}

// StatisticSet is a pre-aggregated datum: PutMetricData's StatisticValues.
type StatisticSet struct {
	SampleCount, Sum, Minimum, Maximum float64
}

// Datum is one observation of a metric, as PutMetricData takes it: a single
// Value, or Values with Counts (each value observed Counts[i] times, 1 when
// Counts is empty), or a StatisticSet.
type Datum struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
	Time       time.Time
	Value      float64
	Values     []float64
	Counts     []float64
	Stats      *StatisticSet
	Unit       string // CloudWatch's unit names; "" is None
	// HighResolution is StorageResolution 1: the datum is kept at one
	// second. Otherwise it is stored at one-minute resolution.
	HighResolution bool
}

// Query asks for one statistic of one metric (its exact dimension set) per
// period over [Start, End): the periods start at Start.
type Query struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
	// Stat is a CloudWatch statistic: SampleCount, Sum, Average, Minimum,
	// Maximum, or an extended statistic (p99, p99.9, tm90, ...).
	Stat   string
	Period time.Duration
	Start  time.Time
	End    time.Time
	Unit   string // "" matches any unit
}

// Point is one period's value of a query: Time is the period's start.
type Point struct {
	Time  time.Time
	Value float64
}
