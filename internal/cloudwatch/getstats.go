package cloudwatch

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"time"

	"tide/internal/awsjson"
	"tide/internal/metrics"
)

// GetMetricStatisticsInput is the GetMetricStatistics request.
type GetMetricStatisticsInput struct {
	Namespace          *string       `json:"Namespace,omitempty"`
	MetricName         *string       `json:"MetricName,omitempty"`
	Dimensions         []Dimension   `json:"Dimensions,omitempty"`
	StartTime          *awsjson.Time `json:"StartTime,omitempty"`
	EndTime            *awsjson.Time `json:"EndTime,omitempty"`
	Period             *int32        `json:"Period,omitempty"`
	Statistics         []string      `json:"Statistics,omitempty"`
	ExtendedStatistics []string      `json:"ExtendedStatistics,omitempty"`
	Unit               *string       `json:"Unit,omitempty"`
}

// StatisticsDatapoint is one period of GetMetricStatistics.
type StatisticsDatapoint struct {
	Timestamp          *awsjson.Time      `json:"Timestamp,omitempty"`
	SampleCount        *float64           `json:"SampleCount,omitempty"`
	Average            *float64           `json:"Average,omitempty"`
	Sum                *float64           `json:"Sum,omitempty"`
	Minimum            *float64           `json:"Minimum,omitempty"`
	Maximum            *float64           `json:"Maximum,omitempty"`
	Unit               *string            `json:"Unit,omitempty"`
	ExtendedStatistics map[string]float64 `json:"ExtendedStatistics,omitempty"`
}

// GetMetricStatisticsOutput is the GetMetricStatistics response.
type GetMetricStatisticsOutput struct {
	Label      *string               `json:"Label,omitempty"`
	Datapoints []StatisticsDatapoint `json:"Datapoints"`
}

// maxStatsDatapoints is GetMetricStatistics' limit.
const maxStatsDatapoints = 1440

func (a *API) getMetricStatistics(ctx context.Context, in *GetMetricStatisticsInput) (*GetMetricStatisticsOutput, error) {
	for _, r := range []struct {
		set  bool
		name string
	}{{in.Namespace != nil, "Namespace"}, {in.MetricName != nil, "MetricName"}, {in.StartTime != nil, "StartTime"}, {in.EndTime != nil, "EndTime"}, {in.Period != nil, "Period"}} {
		if !r.set {
			return nil, required(r.name)
		}
	}
	if err := checkMetricName(in.Namespace, in.MetricName, in.Dimensions, ""); err != nil {
		return nil, err
	}
	if err := checkEnum(in.Unit, "unit", units...); err != nil {
		return nil, err
	}
	switch {
	case len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0:
		return nil, combination("Must specify either Statistics or ExtendedStatistics, but not both.")
	case len(in.Statistics) > 5:
		return nil, invalidValue("The collection Statistics must not have a size greater than 5.")
	case len(in.ExtendedStatistics) > 10:
		return nil, invalidValue("The collection ExtendedStatistics must not have a size greater than 10.")
	}
	for i := range in.Statistics {
		if err := checkEnum(&in.Statistics[i], "statistics."+strconv.Itoa(i+1)+".member", statistics...); err != nil {
			return nil, err
		}
	}
	for _, s := range in.ExtendedStatistics {
		if _, ok := metrics.ParseStat(s); !ok || !extendedStatRE.MatchString(s) {
			return nil, invalidValue("The value %s for parameter ExtendedStatistics is not supported.", s)
		}
	}
	period, err := checkQueryPeriod(*in.Period, "Period")
	if err != nil {
		return nil, err
	}
	start, end := in.StartTime.Time, in.EndTime.Time
	if !start.Before(end) {
		return nil, invalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	start = queryStart(start, a.now(), period)
	if n := periods(start, end, period); n > maxStatsDatapoints {
		return nil, combination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxStatsDatapoints)
	}
	q := metrics.Query{Namespace: *in.Namespace, MetricName: *in.MetricName, Dimensions: dimensionsIn(in.Dimensions), Period: period, Start: start, End: end}
	unit := "None"
	if us := a.cfg.Metrics.Units(q.Namespace, q.MetricName, q.Dimensions); len(us) == 1 && us[0] != "" {
		unit = us[0] // the unit the data came with, as CloudWatch reports it
	}
	if in.Unit != nil {
		unit = *in.Unit
		if unit != "None" {
			q.Unit = unit
		}
	}
	byTime := map[time.Time]*StatisticsDatapoint{}
	point := func(t time.Time) *StatisticsDatapoint {
		d := byTime[t]
		if d == nil {
			d = &StatisticsDatapoint{Timestamp: awsjson.At(t), Unit: &unit}
			byTime[t] = d
		}
		return d
	}
	for _, s := range in.Statistics {
		q.Stat = s
		for _, p := range a.cfg.Metrics.Get(q) {
			v := p.Value
			d := point(p.Time)
			switch s {
			case "SampleCount":
				d.SampleCount = &v
			case "Average":
				d.Average = &v
			case "Sum":
				d.Sum = &v
			case "Minimum":
				d.Minimum = &v
			case "Maximum":
				d.Maximum = &v
			}
		}
	}
	for _, s := range in.ExtendedStatistics {
		q.Stat = s
		for _, p := range a.cfg.Metrics.Get(q) {
			d := point(p.Time)
			if d.ExtendedStatistics == nil {
				d.ExtendedStatistics = map[string]float64{}
			}
			d.ExtendedStatistics[s] = p.Value
		}
	}
	out := &GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []StatisticsDatapoint{}}
	for _, d := range byTime {
		out.Datapoints = append(out.Datapoints, *d)
	}
	slices.SortFunc(out.Datapoints, func(x, y StatisticsDatapoint) int { return x.Timestamp.Compare(y.Timestamp.Time) })
	return out, nil
}

// checkQueryPeriod applies CloudWatch's periods for queries: 1, 5, 10, 20,
// 30 or a multiple of 60 seconds.
func checkQueryPeriod(p int32, member string) (time.Duration, error) {
	if p < 1 {
		return 0, constraint(p, lowerFirst(member), "Member must have value greater than or equal to 1")
	}
	switch {
	case p == 1, p == 5, p == 10, p == 20, p == 30, p%60 == 0:
		return time.Duration(p) * time.Second, nil
	}
	return 0, invalidValue("The parameter %s must be 1, 5, 10, 20, 30, or a multiple of 60.", member)
}

// queryStart is where a query's periods start, as CloudWatch documents
// it: StartTime rounded down to the period when that is shorter than a
// minute (5, 10, 20 and 30 s to even divisions of a minute), otherwise to
// the minute when it is less than 15 days before now, to five minutes up
// to 63 days, and to the hour beyond.
func queryStart(start, now time.Time, period time.Duration) time.Time {
	sec, res := start.Unix(), int64(period/time.Second)
	if period >= time.Minute {
		switch age := now.Sub(start); {
		case age < 15*24*time.Hour:
			res = 60
		case age < 63*24*time.Hour:
			res = 300
		default:
			res = 3600
		}
	}
	return time.Unix(sec-mod(sec, res), 0).UTC()
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// periods is how many periods from from (a period's start) reach end.
func periods(from, end time.Time, period time.Duration) int64 {
	p, e := int64(period/time.Second), end.Unix()
	if end.Nanosecond() != 0 {
		e++
	}
	return (e - from.Unix() + p - 1) / p
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// ListMetricsInput is the ListMetrics request.
type ListMetricsInput struct {
	Namespace             *string           `json:"Namespace,omitempty"`
	MetricName            *string           `json:"MetricName,omitempty"`
	Dimensions            []DimensionFilter `json:"Dimensions,omitempty"`
	NextToken             *string           `json:"NextToken,omitempty"`
	RecentlyActive        *string           `json:"RecentlyActive,omitempty"`
	IncludeLinkedAccounts *bool             `json:"IncludeLinkedAccounts,omitempty"`
	OwningAccount         *string           `json:"OwningAccount,omitempty"`
}

// DimensionFilter selects metrics by a dimension, and its value when set.
type DimensionFilter struct {
	Name  *string `json:"Name,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// ListMetricsOutput is a page of ListMetrics.
type ListMetricsOutput struct {
	Metrics   []Metric `json:"Metrics"`
	NextToken *string  `json:"NextToken,omitempty"`
}

const listPage = 500

func (a *API) listMetrics(ctx context.Context, in *ListMetricsInput) (*ListMetricsOutput, error) {
	if err := checkLen(in.Namespace, "namespace", 1, 255); err != nil {
		return nil, err
	}
	if err := checkLen(in.MetricName, "metricName", 1, 255); err != nil {
		return nil, err
	}
	if len(in.Dimensions) > 10 {
		return nil, constraint("[...]", "dimensions", "Member must have length less than or equal to 10")
	}
	var filters []metrics.DimensionFilter
	for i, f := range in.Dimensions {
		if f.Name == nil {
			return nil, missing("dimensions." + strconv.Itoa(i+1) + ".member.name")
		}
		filters = append(filters, metrics.DimensionFilter{Name: *f.Name, Value: f.Value})
	}
	var since time.Time
	if in.RecentlyActive != nil {
		if *in.RecentlyActive != "PT3H" {
			return nil, constraint(*in.RecentlyActive, "recentlyActive", "Member must satisfy enum value set: [PT3H]")
		}
		since = a.now().Add(-3 * time.Hour)
	}
	offset := 0
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return nil, invalidToken()
		}
		offset = n
	}
	ns, name := "", ""
	if in.Namespace != nil {
		ns = *in.Namespace
	}
	if in.MetricName != nil {
		name = *in.MetricName
	}
	all := a.cfg.Metrics.List(ns, name, filters, since)
	out := &ListMetricsOutput{Metrics: []Metric{}}
	for i := offset; i < len(all) && i < offset+listPage; i++ {
		m := all[i]
		mm := Metric{Namespace: &m.Namespace, MetricName: &m.MetricName, Dimensions: []Dimension{}}
		for _, d := range m.Dimensions {
			mm.Dimensions = append(mm.Dimensions, Dimension{Name: &d.Name, Value: &d.Value})
		}
		out.Metrics = append(out.Metrics, mm)
	}
	if offset+listPage < len(all) {
		tok := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + listPage)))
		out.NextToken = &tok
	}
	return out, nil
}
