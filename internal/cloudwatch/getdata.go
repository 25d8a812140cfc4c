package cloudwatch

import (
	"context"
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"time"

	"tide/internal/awsjson"
	"tide/internal/metrics"
)

// GetMetricDataInput is the GetMetricData request.
type GetMetricDataInput struct {
	MetricDataQueries []MetricDataQuery `json:"MetricDataQueries,omitempty"`
	StartTime         *awsjson.Time     `json:"StartTime,omitempty"`
	EndTime           *awsjson.Time     `json:"EndTime,omitempty"`
	NextToken         *string           `json:"NextToken,omitempty"`
	ScanBy            *string           `json:"ScanBy,omitempty"`
	MaxDatapoints     *int32            `json:"MaxDatapoints,omitempty"`
	LabelOptions      *LabelOptions     `json:"LabelOptions,omitempty"`
}

// LabelOptions is accepted; labels carry no dates in Tide.
type LabelOptions struct {
	Timezone *string `json:"Timezone,omitempty"`
}

// MetricDataResult is one returned query's values.
type MetricDataResult struct {
	Id         *string        `json:"Id,omitempty"`
	Label      *string        `json:"Label,omitempty"`
	Timestamps []awsjson.Time `json:"Timestamps"`
	Values     []float64      `json:"Values"`
	StatusCode *string        `json:"StatusCode,omitempty"`
	Messages   []MessageData  `json:"Messages,omitempty"`
}

// MessageData is a message about a query or the request.
type MessageData struct {
	Code  *string `json:"Code,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// GetMetricDataOutput is a page of GetMetricData.
type GetMetricDataOutput struct {
	MetricDataResults []MetricDataResult `json:"MetricDataResults"`
	NextToken         *string            `json:"NextToken,omitempty"`
	Messages          []MessageData      `json:"Messages,omitempty"`
}

// Limits of GetMetricData.
const (
	maxQueries          = 500
	defaultMaxDatapoint = 100800
)

// resolved is one query's values on its period grid.
type resolved struct {
	period time.Duration
	start  int64     // the grid's first period, Unix seconds
	values []float64 // NaN where there is no datapoint
}

func (a *API) getMetricData(ctx context.Context, in *GetMetricDataInput) (*GetMetricDataOutput, error) {
	switch {
	case len(in.MetricDataQueries) == 0:
		return nil, missing("metricDataQueries")
	case in.StartTime == nil:
		return nil, missing("startTime")
	case in.EndTime == nil:
		return nil, missing("endTime")
	case len(in.MetricDataQueries) > maxQueries:
		return nil, constraint("[...]", "metricDataQueries", "Member must have length less than or equal to 500")
	}
	if err := checkQueriesModel(in.MetricDataQueries); err != nil {
		return nil, err
	}
	if err := checkEnum(in.ScanBy, "scanBy", "TimestampDescending", "TimestampAscending"); err != nil {
		return nil, err
	}
	start, end := in.StartTime.Time, in.EndTime.Time
	if !start.Before(end) {
		return nil, invalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	ids := map[string]bool{}
	for _, q := range in.MetricDataQueries {
		if !queryIDRE.MatchString(*q.Id) {
			return nil, invalid("The value %s for parameter MetricDataQueries.member.Id is invalid: it must start with a lower-case letter and contain only letters, digits and underscores.", *q.Id)
		}
		if ids[*q.Id] {
			return nil, invalid("The values for parameter id in MetricDataQueries are not unique.")
		}
		ids[*q.Id] = true
		if (q.MetricStat == nil) == (q.Expression == nil) {
			return nil, invalid("Exactly one of MetricStat and Expression must be specified for query %s.", *q.Id)
		}
	}
	done := map[string]*resolved{}
	var resolve func(q MetricDataQuery, depth int) (*resolved, error)
	byID := map[string]MetricDataQuery{}
	var metricIDs []string // for METRICS()
	for _, q := range in.MetricDataQueries {
		byID[*q.Id] = q
		if q.MetricStat != nil {
			metricIDs = append(metricIDs, *q.Id)
		}
	}
	resolve = func(q MetricDataQuery, depth int) (*resolved, error) {
		if r := done[*q.Id]; r != nil {
			return r, nil
		}
		if depth > len(byID) {
			return nil, invalid("Circular dependency in the expression of query %s.", *q.Id)
		}
		var r *resolved
		var err error
		if q.MetricStat != nil {
			r, err = a.resolveStat(q.MetricStat, start, end)
		} else {
			r, err = a.resolveExpr(q, start, end, metricIDs, func(id string) (*resolved, error) {
				ref, ok := byID[id]
				if !ok {
					return nil, invalid("Error in expression %s: Unrecognized metric or expression identifier %s.", *q.Id, id)
				}
				return resolve(ref, depth+1)
			})
		}
		if err != nil {
			return nil, err
		}
		done[*q.Id] = r
		return r, nil
	}
	out := &GetMetricDataOutput{MetricDataResults: []MetricDataResult{}}
	descending := in.ScanBy == nil || *in.ScanBy == "TimestampDescending"
	for _, q := range in.MetricDataQueries {
		r, err := resolve(q, 0)
		if err != nil {
			return nil, err
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		out.MetricDataResults = append(out.MetricDataResults, result(q, r, descending))
	}
	return page(out, in.NextToken, in.MaxDatapoints)
}

// resolveStat reads one metric's statistic on its period's grid.
func (a *API) resolveStat(ms *MetricStat, start, end time.Time) (*resolved, error) {
	period, err := checkQueryPeriod(*ms.Period, "Period")
	if err != nil {
		return nil, err
	}
	if _, ok := metrics.ParseStat(*ms.Stat); !ok {
		return nil, invalid("The value %s for parameter MetricStat.Stat is not a valid statistic.", *ms.Stat)
	}
	start = queryStart(start, a.now(), period)
	n := periods(start, end, period)
	if n > defaultMaxDatapoint {
		return nil, invalid("The query spans %d datapoints; a query may return at most %d.", n, defaultMaxDatapoint)
	}
	q := metrics.Query{Stat: *ms.Stat, Period: period, Start: start, End: end, Dimensions: dimensionsIn(ms.Metric.Dimensions)}
	if ms.Metric.Namespace != nil {
		q.Namespace = *ms.Metric.Namespace
	}
	if ms.Metric.MetricName != nil {
		q.MetricName = *ms.Metric.MetricName
	}
	if ms.Unit != nil && *ms.Unit != "None" {
		q.Unit = *ms.Unit
	}
	p := int64(period / time.Second)
	r := &resolved{period: period, start: start.Unix(), values: make([]float64, n)}
	for i := range r.values {
		r.values[i] = math.NaN()
	}
	for _, pt := range a.cfg.Metrics.Get(q) {
		if i := (pt.Time.Unix() - r.start) / p; i >= 0 && i < n {
			r.values[i] = pt.Value
		}
	}
	return r, nil
}

// resolveExpr evaluates a metric math expression on the grid of the
// finest period among the series it refers to (its own Period, or 60 s,
// when it refers to none).
func (a *API) resolveExpr(q MetricDataQuery, start, end time.Time, metricIDs []string, ref func(string) (*resolved, error)) (*resolved, error) {
	e, err := parseMath(*q.Expression)
	if err != nil {
		return nil, invalid("Error in expression %s: %v", *q.Id, err)
	}
	var names []string
	e.refs(metricIDs, func(id string) {
		if !slices.Contains(names, id) {
			names = append(names, id)
		}
	})
	inputs := map[string]*resolved{}
	period := time.Duration(0)
	for _, id := range names {
		r, err := ref(id)
		if err != nil {
			return nil, err
		}
		inputs[id] = r
		if period == 0 || r.period < period {
			period = r.period
		}
	}
	if q.Period != nil {
		if period, err = checkQueryPeriod(*q.Period, "Period"); err != nil {
			return nil, err
		}
	}
	if period == 0 {
		period = time.Minute
	}
	p := int64(period / time.Second)
	start = queryStart(start, a.now(), period)
	n := periods(start, end, period)
	if n > defaultMaxDatapoint {
		return nil, invalid("The query spans %d datapoints; a query may return at most %d.", n, defaultMaxDatapoint)
	}
	grid := start.Unix()
	env := &mathEnv{vars: map[string]series{}, periods: map[string]float64{}, n: int(n), period: period.Seconds(), metrics: metricIDs}
	for id, r := range inputs {
		s := make(series, n)
		rp := int64(r.period / time.Second)
		for i := range s {
			t := grid + int64(i)*p
			s[i] = math.NaN()
			if j := (t - r.start) / rp; (t-r.start)%rp == 0 && j >= 0 && j < int64(len(r.values)) {
				s[i] = r.values[j]
			}
		}
		env.vars[id] = s
		env.periods[id] = r.period.Seconds()
	}
	return &resolved{period: period, start: grid, values: e.eval(env)}, nil
}

// result is a query's values without the missing ones, in scan order.
func result(q MetricDataQuery, r *resolved, descending bool) MetricDataResult {
	label := *q.Id
	if q.Label != nil {
		label = *q.Label
	} else if q.MetricStat != nil && q.MetricStat.Metric.MetricName != nil {
		label = *q.MetricStat.Metric.MetricName
	}
	complete := "Complete"
	res := MetricDataResult{Id: q.Id, Label: &label, Timestamps: []awsjson.Time{}, Values: []float64{}, StatusCode: &complete}
	p := int64(r.period / time.Second)
	for i, v := range r.values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		res.Timestamps = append(res.Timestamps, awsjson.Time{Time: time.Unix(r.start+int64(i)*p, 0).UTC()})
		res.Values = append(res.Values, v)
	}
	if descending {
		slices.Reverse(res.Timestamps)
		slices.Reverse(res.Values)
	}
	return res
}

// page cuts the results to MaxDatapoints from the token's offset on: the
// offset counts datapoints across the results in order.
func page(out *GetMetricDataOutput, token *string, maxPoints *int32) (*GetMetricDataOutput, error) {
	limit := defaultMaxDatapoint
	if maxPoints != nil && *maxPoints > 0 {
		limit = int(*maxPoints)
	}
	skip := 0
	if token != nil {
		b, err := base64.RawURLEncoding.DecodeString(*token)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return nil, invalidToken()
		}
		skip = n
	}
	taken, seen := 0, 0
	for i := range out.MetricDataResults {
		r := &out.MetricDataResults[i]
		n := len(r.Values)
		from := min(max(skip-seen, 0), n)
		to := min(from+limit-taken, n)
		seen += n
		r.Timestamps, r.Values = r.Timestamps[from:to], r.Values[from:to]
		taken += to - from
		if to < n {
			partial := "PartialData"
			r.StatusCode = &partial
		}
	}
	if skip+taken < seen {
		tok := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(skip + taken)))
		out.NextToken = &tok
	}
	return out, nil
}
