package cloudwatch

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"tide/internal/metrics"
)

// Enumerations of the model.
var (
	statistics  = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
	comparisons = []string{"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
		"LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
	units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
		"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
		"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
		"Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
	stateValues = []string{StateOK, StateAlarm, StateInsufficientData}
)

// Limits of PutMetricAlarm.
const (
	maxActions       = 5
	maxDimensions    = 30
	maxTags          = 50
	maxMathMetrics   = 10
	dayEvaluation    = 86400  // seconds, for periods under an hour
	weekEvaluation   = 604800 // seconds, for periods of an hour or more
	hourPeriodSecond = 3600
)

var (
	// extendedStatRE is the ExtendedStatistic forms CloudWatch documents:
	// p90, tm90, tc90, ts90, wm90, IQM, PR(n:m), TC(X%:X%), TM, TS, WM.
	extendedStatRE = regexp.MustCompile(`^(?:(?:p|tm|tc|ts|wm)\d{1,2}(?:\.\d+)?|p100|IQM|PR\(\d*(?:\.\d+)?:\d*(?:\.\d+)?\)|(?:TC|TM|TS|WM)\(\d{1,2}(?:\.\d+)?%:\d{1,3}(?:\.\d+)?%\))$`)
	queryIDRE      = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
)

// checkPutModel applies the model's constraints, member by member, with
// the front end's messages.
func checkPutModel(in *PutMetricAlarmInput) error {
	if in.AlarmName == nil {
		return missing("alarmName")
	}
	checks := []error{
		checkLen(in.AlarmName, "alarmName", 1, 255),
		checkLen(in.AlarmDescription, "alarmDescription", 0, 1024),
		checkActions(in.OKActions, "oKActions"),
		checkActions(in.AlarmActions, "alarmActions"),
		checkActions(in.InsufficientDataActions, "insufficientDataActions"),
		checkMetricName(in.Namespace, in.MetricName, in.Dimensions, ""),
		checkEnum(in.Statistic, "statistic", statistics...),
		checkMin(in.Period, "period", 1),
		checkEnum(in.Unit, "unit", units...),
		checkMin(in.EvaluationPeriods, "evaluationPeriods", 1),
		checkMin(in.DatapointsToAlarm, "datapointsToAlarm", 1),
		checkEnum(in.ComparisonOperator, "comparisonOperator", comparisons...),
		checkLen(in.TreatMissingData, "treatMissingData", 1, 255),
		checkLen(in.EvaluateLowSampleCountPercentile, "evaluateLowSampleCountPercentile", 1, 255),
		checkQueriesModel(in.Metrics),
		checkTagsModel(in.Tags),
		checkLen(in.ThresholdMetricId, "thresholdMetricId", 1, 255),
		checkMin(in.EvaluationInterval, "evaluationInterval", 10),
		checkMax(in.EvaluationInterval, "evaluationInterval", 3600),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

func checkActions(actions []string, member string) error {
	if err := checkCount(actions, member, maxActions); err != nil {
		return err
	}
	for _, s := range actions {
		if err := checkLen(&s, member+".member", 1, 1024); err != nil {
			return err
		}
	}
	return nil
}

// checkMetricName checks a metric's namespace, name and dimensions;
// prefix is where they sit ("" or "metrics.1.member.metricStat.metric.").
func checkMetricName(namespace, name *string, dims []Dimension, prefix string) error {
	if err := checkLen(name, prefix+"metricName", 1, 255); err != nil {
		return err
	}
	if err := checkLen(namespace, prefix+"namespace", 1, 255); err != nil {
		return err
	}
	if namespace != nil && strings.HasPrefix(*namespace, ":") {
		return constraint(*namespace, prefix+"namespace", "Member must satisfy regular expression pattern: [^:].*")
	}
	if err := checkCount(dims, prefix+"dimensions", maxDimensions); err != nil {
		return err
	}
	for i, d := range dims {
		member := fmt.Sprintf("%sdimensions.%d.member.", prefix, i+1)
		switch {
		case d.Name == nil:
			return missing(member + "name")
		case d.Value == nil:
			return missing(member + "value")
		}
		if err := checkLen(d.Name, member+"name", 1, 255); err != nil {
			return err
		}
		if err := checkLen(d.Value, member+"value", 1, 1024); err != nil {
			return err
		}
	}
	return nil
}

func checkQueriesModel(qs []MetricDataQuery) error {
	for i, q := range qs {
		member := fmt.Sprintf("metrics.%d.member.", i+1)
		if q.Id == nil {
			return missing(member + "id")
		}
		if err := checkLen(q.Id, member+"id", 1, 255); err != nil {
			return err
		}
		if err := checkLen(q.Expression, member+"expression", 1, 2048); err != nil {
			return err
		}
		if err := checkMin(q.Period, member+"period", 1); err != nil {
			return err
		}
		if ms := q.MetricStat; ms != nil {
			sm := member + "metricStat."
			switch {
			case ms.Metric == nil:
				return missing(sm + "metric")
			case ms.Period == nil:
				return missing(sm + "period")
			case ms.Stat == nil:
				return missing(sm + "stat")
			}
			if err := checkMetricName(ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions, sm+"metric."); err != nil {
				return err
			}
			if err := checkMin(ms.Period, sm+"period", 1); err != nil {
				return err
			}
			if err := checkEnum(ms.Unit, sm+"unit", units...); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkTagsModel(tags []Tag) error {
	for i, t := range tags {
		member := fmt.Sprintf("tags.%d.member.", i+1)
		switch {
		case t.Key == nil:
			return missing(member + "key")
		case t.Value == nil:
			return missing(member + "value")
		}
		if err := checkLen(t.Key, member+"key", 1, 128); err != nil {
			return err
		}
		if err := checkLen(t.Value, member+"value", 0, 256); err != nil {
			return err
		}
	}
	return nil
}

// configure applies CloudWatch's own rules to a request that passed the
// model's and returns the alarm's configuration.
func (a *API) configure(in *PutMetricAlarmInput) (*record, error) {
	if in.EvaluationCriteria != nil || in.EvaluationInterval != nil {
		return nil, invalid("Tide does not support PromQL alarms (EvaluationCriteria, EvaluationInterval).")
	}
	if in.ThresholdMetricId != nil || strings.Contains(deref(in.ComparisonOperator), "Lower") || strings.Contains(deref(in.ComparisonOperator), "Upper") {
		return nil, invalid("Tide does not support anomaly detection alarms (ThresholdMetricId and the comparison operators %s, %s and %s).",
			comparisons[4], comparisons[5], comparisons[6])
	}
	if strings.ContainsFunc(*in.AlarmName, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, invalid("The alarm name must not contain ASCII control characters.")
	}
	r := &record{
		Name: *in.AlarmName, Description: in.AlarmDescription, ActionsEnabled: in.ActionsEnabled == nil || *in.ActionsEnabled,
		OKActions: in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions,
		TreatMissingData: deref(in.TreatMissingData), EvaluateLowSampleCountPercentile: deref(in.EvaluateLowSampleCountPercentile),
	}
	for _, step := range []func(*PutMetricAlarmInput, *record) error{a.configureMetric, configureEvaluation, a.configureActions} {
		if err := step(in, r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// configureMetric takes the metric (MetricName) or the metric math
// (Metrics) the alarm watches.
func (a *API) configureMetric(in *PutMetricAlarmInput, r *record) error {
	single := in.MetricName != nil || in.Namespace != nil || in.Dimensions != nil || in.Period != nil ||
		in.Unit != nil || in.Statistic != nil || in.ExtendedStatistic != nil
	switch {
	case in.Metrics != nil && single:
		return combination("If you specify the Metrics parameter, you cannot specify MetricName, Namespace, Dimensions, Period, Unit, Statistic or ExtendedStatistic.")
	case in.Metrics != nil:
		return a.configureMath(in.Metrics, r)
	case in.MetricName == nil:
		return invalid("One of MetricName, Metrics or EvaluationCriteria must be specified.")
	case in.Namespace == nil:
		return required("Namespace")
	case in.Period == nil:
		return required("Period")
	case in.Statistic == nil && in.ExtendedStatistic == nil:
		return required("Statistic or ExtendedStatistic")
	case in.Statistic != nil && in.ExtendedStatistic != nil:
		return combination("Statistic and ExtendedStatistic cannot both be specified.")
	case in.ExtendedStatistic != nil && !extendedStatRE.MatchString(*in.ExtendedStatistic):
		return invalidValue("The value %s for parameter ExtendedStatistic is not supported.", *in.ExtendedStatistic)
	}
	if err := a.checkPeriod(*in.Period); err != nil {
		return err
	}
	r.MetricName, r.Namespace, r.Period = *in.MetricName, *in.Namespace, *in.Period
	r.Statistic, r.ExtendedStatistic, r.Unit = deref(in.Statistic), deref(in.ExtendedStatistic), deref(in.Unit)
	r.Dimensions = dimensionsIn(in.Dimensions)
	return nil
}

func dimensionsIn(ds []Dimension) []metrics.Dimension {
	var out []metrics.Dimension
	for _, d := range ds {
		out = append(out, metrics.Dimension{Name: *d.Name, Value: *d.Value})
	}
	return out
}

// checkPeriod applies AWS's periods (10, 20, 30 and multiples of 60
// seconds) when Config.AWSPeriods asks for them; Tide otherwise takes any
// period of a second or more.
func (a *API) checkPeriod(p int32) error {
	if a.cfg.AWSPeriods && p != 10 && p != 20 && p != 30 && p%60 != 0 {
		return invalid("Period must be 10, 20, 30 or a multiple of 60")
	}
	return nil
}

// configureEvaluation takes the threshold and how datapoints are counted.
func configureEvaluation(in *PutMetricAlarmInput, r *record) error {
	switch {
	case in.EvaluationPeriods == nil:
		return required("EvaluationPeriods")
	case in.ComparisonOperator == nil:
		return required("ComparisonOperator")
	case in.Threshold == nil:
		return required("Threshold")
	case in.DatapointsToAlarm != nil && *in.DatapointsToAlarm > *in.EvaluationPeriods:
		return invalid("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
	}
	window := int64(r.period().Seconds()) * int64(*in.EvaluationPeriods)
	if r.period().Seconds() < hourPeriodSecond && window > dayEvaluation {
		return invalid("The evaluation period (Period * EvaluationPeriods) of an alarm with a period of less than an hour must not exceed one day (86400 seconds).")
	}
	if window > weekEvaluation {
		return invalid("The evaluation period (Period * EvaluationPeriods) must not exceed seven days (604800 seconds).")
	}
	switch r.TreatMissingData {
	case "", missingMissing, missingIgnore, missingBreaching, missingNotBreaching:
	default:
		return invalid("The value %s is not valid for TreatMissingData; valid values are breaching, notBreaching, ignore and missing.", r.TreatMissingData)
	}
	switch r.EvaluateLowSampleCountPercentile {
	case "", "evaluate", "ignore":
	default:
		return invalid("The value %s is not valid for EvaluateLowSampleCountPercentile; valid values are evaluate and ignore.", r.EvaluateLowSampleCountPercentile)
	}
	r.EvaluationPeriods, r.Threshold, r.ComparisonOperator = *in.EvaluationPeriods, *in.Threshold, *in.ComparisonOperator
	if in.DatapointsToAlarm != nil {
		r.DatapointsToAlarm = *in.DatapointsToAlarm
	}
	return nil
}

// configureActions checks that every action is an ARN of this region.
// Tide executes SNS topics and Application Auto Scaling policies; other
// ARNs are kept and their executions recorded as failed.
func (a *API) configureActions(in *PutMetricAlarmInput, r *record) error {
	for _, list := range [][]string{in.OKActions, in.AlarmActions, in.InsufficientDataActions} {
		for _, act := range list {
			parts := strings.SplitN(act, ":", 6)
			if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
				return invalid("Invalid arn syntax: %s", act)
			}
			if parts[3] != "" && parts[3] != a.cfg.Region {
				return invalid("Invalid region %s specified. Only %s is supported.", parts[3], a.cfg.Region)
			}
		}
	}
	return nil
}

// configureMath checks a metric-math alarm's queries: at most ten, ids
// unique and well formed, each a metric or an expression Tide evaluates,
// metrics of one period, exactly one returning data.
func (a *API) configureMath(qs []MetricDataQuery, r *record) error {
	if len(qs) > maxMathMetrics {
		return invalid("The maximum number of metrics in the metrics list is %d.", maxMathMetrics)
	}
	ids := map[string]bool{}
	returning, period := 0, int32(0)
	for _, q := range qs {
		id := *q.Id
		switch {
		case !queryIDRE.MatchString(id):
			return invalid("Invalid metrics list: the id %s must start with a lowercase letter and contain only letters, numbers and underscores.", id)
		case ids[id]:
			return invalid("Invalid metrics list: the id %s is used more than once.", id)
		case (q.MetricStat == nil) == (q.Expression == nil):
			return invalid("Invalid metrics list: exactly one of MetricStat and Expression must be set in the metric %s.", id)
		case q.AccountId != nil && *q.AccountId != a.cfg.AccountID:
			return invalid("Invalid metrics list: Tide has no cross-account metrics (AccountId %s).", *q.AccountId)
		}
		ids[id] = true
		if q.ReturnData == nil || *q.ReturnData {
			returning++
		}
		if q.MetricStat != nil {
			if st := *q.MetricStat.Stat; !slices.Contains(statistics, st) && !extendedStatRE.MatchString(st) {
				return invalid("Invalid metrics list: the statistic %s of the metric %s is not supported.", st, id)
			}
			if period != 0 && *q.MetricStat.Period != period {
				return invalid("Invalid metrics list: all metrics of an alarm must have the same period.")
			}
			period = *q.MetricStat.Period
		}
	}
	if returning != 1 {
		return invalid("Exactly one element of the metrics list should return data.")
	}
	if period == 0 {
		return invalid("Invalid metrics list: the list must contain at least one metric.")
	}
	if err := a.checkPeriod(period); err != nil {
		return err
	}
	if err := checkExpressions(qs, ids); err != nil {
		return err
	}
	r.Metrics = qs
	r.Period = 0
	return nil
}

// checkExpressions parses every expression and checks that it refers only
// to ids of the list, without cycles.
func checkExpressions(qs []MetricDataQuery, ids map[string]bool) error {
	deps := map[string][]string{}
	var metricIDs []string
	for _, q := range qs {
		if q.MetricStat != nil {
			metricIDs = append(metricIDs, *q.Id)
		}
	}
	for _, q := range qs {
		if q.Expression == nil {
			continue
		}
		e, err := parseMath(*q.Expression)
		if err != nil {
			return invalid("Invalid metrics list: the expression of %s is not valid: %v.", *q.Id, err)
		}
		var unknown string
		e.refs(metricIDs, func(ref string) {
			if !ids[ref] && unknown == "" {
				unknown = ref
			}
		})
		if unknown != "" {
			return invalid("Invalid metrics list: the expression of %s uses %s, which is not an id of the list.", *q.Id, unknown)
		}
		e.refs(metricIDs, func(ref string) { deps[*q.Id] = append(deps[*q.Id], ref) })
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case 1:
			return false
		case 2:
			return true
		}
		state[id] = 1
		for _, d := range deps[id] {
			if !visit(d) {
				return false
			}
		}
		state[id] = 2
		return true
	}
	for id := range deps {
		if !visit(id) {
			return invalid("Invalid metrics list: the expressions refer to each other in a cycle (through %s).", id)
		}
	}
	return nil
}
