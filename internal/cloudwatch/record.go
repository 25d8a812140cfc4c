package cloudwatch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"tide/internal/awsjson"
	"tide/internal/metrics"
	"tide/internal/store"
)

// Store keys: one record per alarm under alarmPrefix+name (so that a
// listing is in name order, as DescribeAlarms returns alarms), one per
// history item under historyPrefix+escaped name+"/"+time.
const (
	alarmPrefix   = "alarms/alarm/"
	historyPrefix = "alarms/history/"
)

// record is an alarm as the store keeps it: its configuration, its state,
// its tags and the transitions whose actions the controller has yet to
// fire.
type record struct {
	Name                             string
	Description                      *string `json:",omitempty"`
	ActionsEnabled                   bool
	OKActions                        []string            `json:",omitempty"`
	AlarmActions                     []string            `json:",omitempty"`
	InsufficientDataActions          []string            `json:",omitempty"`
	MetricName                       string              `json:",omitempty"`
	Namespace                        string              `json:",omitempty"`
	Statistic                        string              `json:",omitempty"`
	ExtendedStatistic                string              `json:",omitempty"`
	Dimensions                       []metrics.Dimension `json:",omitempty"`
	Period                           int32               `json:",omitempty"`
	Unit                             string              `json:",omitempty"`
	EvaluationPeriods                int32
	DatapointsToAlarm                int32 `json:",omitempty"` // 0: not set
	Threshold                        float64
	ComparisonOperator               string
	TreatMissingData                 string            `json:",omitempty"` // "": not set (missing)
	EvaluateLowSampleCountPercentile string            `json:",omitempty"`
	Metrics                          []MetricDataQuery `json:",omitempty"`
	ConfigUpdated                    time.Time

	State             string
	StateReason       string
	StateReasonData   string `json:",omitempty"`
	StateUpdated      time.Time
	StateTransitioned time.Time

	Tags []tagPair `json:",omitempty"`
	// ManagedBy names the Tide service that created the alarm for its own
	// use ("application-autoscaling"); "" is a user's alarm.
	ManagedBy string `json:",omitempty"`
	// Pending are state changes whose actions are not fired yet, oldest
	// first. The controller fires and removes them.
	Pending []transition `json:",omitempty"`

	rev int64 // the store's mod revision of the record read
}

type tagPair struct{ Key, Value string }

// transition is one state change waiting for its actions.
type transition struct {
	Old, New  string
	Reason    string
	Time      time.Time
	Values    []float64 `json:",omitempty"` // the evaluated datapoints, oldest first
	Threshold float64
}

// maxPending bounds the transitions kept for the controller: if it has
// been away long enough for more to pile up, the oldest are dropped.
const maxPending = 10

func (r *record) actionsFor(state string) []string {
	switch state {
	case StateOK:
		return r.OKActions
	case StateAlarm:
		return r.AlarmActions
	case StateInsufficientData:
		return r.InsufficientDataActions
	}
	return nil
}

// period is the period the alarm evaluates: its own, or its metrics'.
func (r *record) period() time.Duration {
	if r.Period > 0 {
		return time.Duration(r.Period) * time.Second
	}
	for _, q := range r.Metrics {
		if q.MetricStat != nil && q.MetricStat.Period != nil {
			return time.Duration(*q.MetricStat.Period) * time.Second
		}
		if q.Period != nil {
			return time.Duration(*q.Period) * time.Second
		}
	}
	return time.Minute
}

// rule is the evaluator's view of the alarm.
func (r *record) rule() Rule {
	return Rule{
		Period:                           r.period(),
		EvaluationPeriods:                int(r.EvaluationPeriods),
		DatapointsToAlarm:                int(r.DatapointsToAlarm),
		Threshold:                        r.Threshold,
		ComparisonOperator:               r.ComparisonOperator,
		TreatMissingData:                 r.TreatMissingData,
		Statistic:                        r.Statistic,
		ExtendedStatistic:                r.ExtendedStatistic,
		Unit:                             r.Unit,
		EvaluateLowSampleCountPercentile: r.EvaluateLowSampleCountPercentile,
	}
}

// alarm is the record as DescribeAlarms shows it.
func (a *API) alarm(r *record) MetricAlarm {
	out := MetricAlarm{
		AlarmName:                          str(r.Name),
		AlarmArn:                           str(a.arn(r.Name)),
		AlarmDescription:                   r.Description,
		AlarmConfigurationUpdatedTimestamp: awsjson.At(r.ConfigUpdated),
		ActionsEnabled:                     &r.ActionsEnabled,
		OKActions:                          nonNil(r.OKActions),
		AlarmActions:                       nonNil(r.AlarmActions),
		InsufficientDataActions:            nonNil(r.InsufficientDataActions),
		StateValue:                         str(r.State),
		StateReason:                        str(r.StateReason),
		StateUpdatedTimestamp:              awsjson.At(r.StateUpdated),
		EvaluationPeriods:                  &r.EvaluationPeriods,
		Threshold:                          &r.Threshold,
		ComparisonOperator:                 str(r.ComparisonOperator),
		StateTransitionedTimestamp:         awsjson.At(r.StateTransitioned),
		Metrics:                            r.Metrics,
	}
	if r.StateReasonData != "" {
		out.StateReasonData = str(r.StateReasonData)
	}
	if r.MetricName != "" {
		out.MetricName, out.Namespace = str(r.MetricName), str(r.Namespace)
		out.Dimensions = dimensionsOut(r.Dimensions)
		out.Period = &r.Period
	}
	optional := []struct {
		v   string
		dst **string
	}{{r.Statistic, &out.Statistic}, {r.ExtendedStatistic, &out.ExtendedStatistic}, {r.Unit, &out.Unit},
		{r.TreatMissingData, &out.TreatMissingData}, {r.EvaluateLowSampleCountPercentile, &out.EvaluateLowSampleCountPercentile}}
	for _, o := range optional {
		if o.v != "" {
			*o.dst = str(o.v)
		}
	}
	if r.DatapointsToAlarm > 0 {
		out.DatapointsToAlarm = &r.DatapointsToAlarm
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func dimensionsOut(ds []metrics.Dimension) []Dimension {
	out := make([]Dimension, len(ds))
	for i, d := range ds {
		out[i] = Dimension{Name: str(d.Name), Value: str(d.Value)}
	}
	return out
}

// get returns the alarm named name and the store's revision of it.
func (a *API) get(name string) (*record, int64, bool) {
	kv, ok := a.store.Get(alarmPrefix + name)
	if !ok {
		return nil, 0, false
	}
	r, err := decodeRecord(kv)
	if err != nil {
		a.log.Error("undecodable alarm record", "key", kv.Key, "err", err)
		return nil, 0, false
	}
	return r, kv.ModRev, true
}

// list returns every alarm in name order.
func (a *API) list() []*record {
	var out []*record
	for _, kv := range a.store.List(alarmPrefix) {
		r, err := decodeRecord(kv)
		if err != nil {
			a.log.Error("undecodable alarm record", "key", kv.Key, "err", err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// count is the number of alarms.
func (a *API) count() int {
	n := 0
	a.store.Range(alarmPrefix, "", func(store.KV) bool { n++; return true })
	return n
}

func decodeRecord(kv store.KV) (*record, error) {
	var r record
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return nil, fmt.Errorf("decode alarm %s: %w", kv.Key, err)
	}
	r.rev = kv.ModRev
	return &r, nil
}

func encodeRecord(r *record) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("alarms: encode record: %v", err)) // plain data: cannot fail
	}
	return b
}

// tagsOut lists tags in the order they were added.
func tagsOut(ts []tagPair) []Tag {
	out := make([]Tag, len(ts))
	for i, t := range ts {
		out[i] = Tag{Key: str(t.Key), Value: str(t.Value)}
	}
	return out
}

// setTags adds or replaces tags, keeping the order of first addition.
func setTags(ts []tagPair, add []tagPair) []tagPair {
	out := slices.Clone(ts)
	for _, t := range add {
		if i := slices.IndexFunc(out, func(p tagPair) bool { return p.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	return out
}

// escapeName makes an alarm name safe as one segment of a history key:
// names may hold "/", which would let one alarm's prefix match another's.
func escapeName(name string) string {
	return strings.NewReplacer("%", "%25", "/", "%2F").Replace(name)
}
