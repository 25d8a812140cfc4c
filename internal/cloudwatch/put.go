package cloudwatch

import (
	"context"
	"errors"
	"strings"

	"tide/internal/awserr"
	"tide/internal/store"
)

// The state an alarm starts in, as AWS writes it.
const initialReason = "Unchecked: Initial alarm creation"

func (a *API) putMetricAlarm(ctx context.Context, in *PutMetricAlarmInput) (*Empty, error) {
	return &Empty{}, a.put(ctx, in, nil)
}

// ManagedByAutoScaling marks the alarms Application Auto Scaling creates
// for its target tracking policies (AWS names them "TargetTracking-...").
const ManagedByAutoScaling = "application-autoscaling"

// PutAlarm creates or replaces an alarm on behalf of another Tide service,
// with PutMetricAlarm's validation and errors; managedBy (such as
// ManagedByAutoScaling) marks the alarm as that service's, which
// ManagedAlarms lists. The alarm is described, evaluated and deleted like
// any other.
func (a *API) PutAlarm(ctx context.Context, in *PutMetricAlarmInput, managedBy string) error {
	return a.put(ctx, in, &managedBy)
}

// ManagedAlarms returns the names of the alarms managedBy created, in
// name order, so that it can reconcile them with its policies.
func (a *API) ManagedAlarms(managedBy string) []string {
	var out []string
	for _, r := range a.list() {
		if r.ManagedBy == managedBy {
			out = append(out, r.Name)
		}
	}
	return out
}

// DeleteAlarms deletes the named alarms on behalf of another Tide service,
// as DeleteAlarms does (names that do not exist are skipped).
func (a *API) DeleteAlarms(ctx context.Context, names ...string) error {
	_, err := a.deleteAlarms(ctx, &AlarmNamesInput{AlarmNames: names})
	return err
}

// put validates in and creates or replaces the alarm: a new alarm starts
// INSUFFICIENT_DATA with its tags; an update replaces the configuration
// and keeps the state, tags and owner. managedBy, when set, sets the owner.
func (a *API) put(ctx context.Context, in *PutMetricAlarmInput, managedBy *string) error {
	if err := checkPutModel(in); err != nil {
		return err
	}
	cfg, err := a.configure(in)
	if err != nil {
		return err
	}
	for {
		err := a.putOnce(ctx, in, cfg, managedBy)
		if !errors.Is(err, store.ErrConflict) {
			return storeErr(err)
		}
	}
}

func (a *API) putOnce(ctx context.Context, in *PutMetricAlarmInput, cfg *record, managedBy *string) error {
	now := a.now()
	r := *cfg
	r.ConfigUpdated = now
	old, rev, exists := a.get(cfg.Name)
	if exists {
		r.State, r.StateReason, r.StateReasonData = old.State, old.StateReason, old.StateReasonData
		r.StateUpdated, r.StateTransitioned = old.StateUpdated, old.StateTransitioned
		r.Tags, r.ManagedBy, r.Pending = old.Tags, old.ManagedBy, old.Pending
	} else {
		if a.count() >= a.cfg.MaxAlarms {
			return awserr.Client("LimitExceeded", "The maximum number of alarms (%d) has been reached.", a.cfg.MaxAlarms)
		}
		tags, err := tagsIn(in.Tags)
		if err != nil {
			return err
		}
		r.State, r.StateReason, r.StateUpdated = StateInsufficientData, initialReason, now
		r.Tags = tags
		rev = store.MustBeNew
		old = nil
	}
	if managedBy != nil {
		r.ManagedBy = *managedBy
	}
	writes := append([]store.Write{store.Put(alarmPrefix+r.Name, encodeRecord(&r), rev)},
		a.historyWrites(r.Name, a.configItem(old, &r, now))...)
	_, err := a.store.Commit(ctx, writes...)
	return err
}

// tagsIn checks tags given at creation.
func tagsIn(tags []Tag) ([]tagPair, error) {
	var pairs []tagPair
	for _, t := range tags {
		pairs = append(pairs, tagPair{*t.Key, *t.Value})
	}
	pairs = setTags(nil, pairs)
	if len(pairs) > maxTags {
		return nil, tooManyTags()
	}
	for _, t := range pairs {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, invalidValue("Invalid tag key %s: the prefix aws: is reserved for AWS's use.", t.Key)
		}
	}
	return pairs, nil
}

func tooManyTags() error {
	return invalidValue("A resource can have at most %d tags.", maxTags)
}

// ---------------------------------------------------------------- history JSON of an alarm

// historyAlarm is an alarm as ConfigurationUpdate history data shows it:
// AWS's camelCase names (okactions included).
type historyAlarm struct {
	AlarmName                          string         `json:"alarmName"`
	AlarmArn                           string         `json:"alarmArn"`
	AlarmDescription                   *string        `json:"alarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp string         `json:"alarmConfigurationUpdatedTimestamp"`
	ActionsEnabled                     bool           `json:"actionsEnabled"`
	OKActions                          []string       `json:"okactions"`
	AlarmActions                       []string       `json:"alarmActions"`
	InsufficientDataActions            []string       `json:"insufficientDataActions"`
	StateValue                         string         `json:"stateValue"`
	StateUpdatedTimestamp              string         `json:"stateUpdatedTimestamp"`
	MetricName                         string         `json:"metricName,omitempty"`
	Namespace                          string         `json:"namespace,omitempty"`
	Statistic                          string         `json:"statistic,omitempty"`
	ExtendedStatistic                  string         `json:"extendedStatistic,omitempty"`
	Dimensions                         []historyDim   `json:"dimensions,omitempty"`
	Period                             int32          `json:"period,omitempty"`
	Unit                               string         `json:"unit,omitempty"`
	EvaluationPeriods                  int32          `json:"evaluationPeriods"`
	DatapointsToAlarm                  int32          `json:"datapointsToAlarm,omitempty"`
	Threshold                          javaNumber     `json:"threshold"`
	ComparisonOperator                 string         `json:"comparisonOperator"`
	TreatMissingData                   string         `json:"treatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   string         `json:"evaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []historyQuery `json:"metrics,omitempty"`
}

type historyDim struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type historyQuery struct {
	ID         string             `json:"id"`
	MetricStat *historyMetricStat `json:"metricStat,omitempty"`
	Expression string             `json:"expression,omitempty"`
	Label      string             `json:"label,omitempty"`
	ReturnData bool               `json:"returnData"`
}

type historyMetricStat struct {
	Metric struct {
		Namespace  string       `json:"namespace"`
		Name       string       `json:"name"`
		Dimensions []historyDim `json:"dimensions,omitempty"`
	} `json:"metric"`
	Period int32  `json:"period"`
	Stat   string `json:"stat"`
	Unit   string `json:"unit,omitempty"`
}

// javaNumber is a float that encodes as Java does ("70.0").
type javaNumber float64

func (n javaNumber) MarshalJSON() ([]byte, error) { return []byte(javaDouble(float64(n))), nil }

func (a *API) alarmJSON(r *record) string {
	h := historyAlarm{
		AlarmName: r.Name, AlarmArn: a.arn(r.Name), AlarmDescription: r.Description,
		AlarmConfigurationUpdatedTimestamp: awsTime(r.ConfigUpdated), ActionsEnabled: r.ActionsEnabled,
		OKActions: nonNil(r.OKActions), AlarmActions: nonNil(r.AlarmActions), InsufficientDataActions: nonNil(r.InsufficientDataActions),
		StateValue: r.State, StateUpdatedTimestamp: awsTime(r.StateUpdated),
		MetricName: r.MetricName, Namespace: r.Namespace, Statistic: r.Statistic, ExtendedStatistic: r.ExtendedStatistic,
		Period: r.Period, Unit: r.Unit, EvaluationPeriods: r.EvaluationPeriods, DatapointsToAlarm: r.DatapointsToAlarm,
		Threshold: javaNumber(r.Threshold), ComparisonOperator: r.ComparisonOperator, TreatMissingData: r.TreatMissingData,
		EvaluateLowSampleCountPercentile: r.EvaluateLowSampleCountPercentile,
	}
	for _, d := range r.Dimensions {
		h.Dimensions = append(h.Dimensions, historyDim{d.Name, d.Value})
	}
	for _, q := range r.Metrics {
		hq := historyQuery{ID: deref(q.Id), Expression: deref(q.Expression), Label: deref(q.Label), ReturnData: q.ReturnData == nil || *q.ReturnData}
		if ms := q.MetricStat; ms != nil {
			hq.MetricStat = &historyMetricStat{Period: *ms.Period, Stat: *ms.Stat, Unit: deref(ms.Unit)}
			hq.MetricStat.Metric.Namespace, hq.MetricStat.Metric.Name = deref(ms.Metric.Namespace), deref(ms.Metric.MetricName)
			for _, d := range ms.Metric.Dimensions {
				hq.MetricStat.Metric.Dimensions = append(hq.MetricStat.Metric.Dimensions, historyDim{deref(d.Name), deref(d.Value)})
			}
		}
		h.Metrics = append(h.Metrics, hq)
	}
	return marshal(h)
}
