package cloudwatch

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"

	"tide/internal/metrics"
)

// defaultMaxRecords is DescribeAlarms' page size when MaxRecords is not
// given.
const defaultMaxRecords = 50

func (a *API) describeAlarms(_ context.Context, in *DescribeAlarmsInput) (*DescribeAlarmsOutput, error) {
	if err := checkDescribe(in); err != nil {
		return nil, err
	}
	out := &DescribeAlarmsOutput{CompositeAlarms: []struct{}{}, MetricAlarms: []MetricAlarm{}}
	if in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil ||
		(in.AlarmTypes != nil && !slices.Contains(in.AlarmTypes, "MetricAlarm")) {
		return out, nil // no composite alarms: no parents, no children
	}
	var selected []*record
	for _, r := range a.list() {
		if matchDescribe(in, r) {
			selected = append(selected, r)
		}
	}
	start := 0
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, invalidToken()
		}
		after := string(b)
		start, _ = slices.BinarySearchFunc(selected, after, func(r *record, name string) int {
			if r.Name <= name {
				return -1
			}
			return 1
		})
	}
	limit := defaultMaxRecords
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
	}
	end := min(start+limit, len(selected))
	for _, r := range selected[start:end] {
		out.MetricAlarms = append(out.MetricAlarms, a.alarm(r))
	}
	if end < len(selected) {
		out.NextToken = str(base64.RawURLEncoding.EncodeToString([]byte(selected[end-1].Name)))
	}
	return out, nil
}

func checkDescribe(in *DescribeAlarmsInput) error {
	if err := checkCount(in.AlarmNames, "alarmNames", 100); err != nil {
		return err
	}
	for _, n := range in.AlarmNames {
		if err := checkLen(&n, "alarmNames.member", 1, 255); err != nil {
			return err
		}
	}
	for _, err := range []error{
		checkLen(in.AlarmNamePrefix, "alarmNamePrefix", 1, 255),
		checkAlarmTypes(in.AlarmTypes),
		checkLen(in.ChildrenOfAlarmName, "childrenOfAlarmName", 1, 255),
		checkLen(in.ParentsOfAlarmName, "parentsOfAlarmName", 1, 255),
		checkEnum(in.StateValue, "stateValue", stateValues...),
		checkLen(in.ActionPrefix, "actionPrefix", 1, 1024),
		checkMin(in.MaxRecords, "maxRecords", 1),
		checkMax(in.MaxRecords, "maxRecords", 100),
	} {
		if err != nil {
			return err
		}
	}
	if in.AlarmNames != nil && in.AlarmNamePrefix != nil {
		return combination("The parameters AlarmNames and AlarmNamePrefix cannot be used together.")
	}
	family := in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil
	others := in.AlarmNames != nil || in.AlarmNamePrefix != nil || in.AlarmTypes != nil || in.StateValue != nil || in.ActionPrefix != nil
	if family && (others || (in.ChildrenOfAlarmName != nil && in.ParentsOfAlarmName != nil)) {
		return invalid("If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify any other parameters in the request except for MaxRecords and NextToken.")
	}
	return nil
}

func matchDescribe(in *DescribeAlarmsInput, r *record) bool {
	switch {
	case in.AlarmNames != nil && !slices.Contains(in.AlarmNames, r.Name):
		return false
	case in.AlarmNamePrefix != nil && !strings.HasPrefix(r.Name, *in.AlarmNamePrefix):
		return false
	case in.StateValue != nil && r.State != *in.StateValue:
		return false
	}
	if in.ActionPrefix == nil {
		return true
	}
	for _, list := range [][]string{r.OKActions, r.AlarmActions, r.InsufficientDataActions} {
		for _, act := range list {
			if strings.HasPrefix(act, *in.ActionPrefix) {
				return true
			}
		}
	}
	return false
}

func (a *API) describeAlarmsForMetric(_ context.Context, in *DescribeAlarmsForMetricInput) (*DescribeAlarmsForMetricOutput, error) {
	switch {
	case in.MetricName == nil:
		return nil, missing("metricName")
	case in.Namespace == nil:
		return nil, missing("namespace")
	}
	for _, err := range []error{
		checkMetricName(in.Namespace, in.MetricName, in.Dimensions, ""),
		checkEnum(in.Statistic, "statistic", statistics...),
		checkMin(in.Period, "period", 1),
		checkEnum(in.Unit, "unit", units...),
	} {
		if err != nil {
			return nil, err
		}
	}
	want := dimensionsIn(in.Dimensions)
	out := &DescribeAlarmsForMetricOutput{MetricAlarms: []MetricAlarm{}}
	for _, r := range a.list() {
		switch {
		case r.MetricName != *in.MetricName || r.Namespace != *in.Namespace:
		case !sameDimensions(r.Dimensions, want):
		case in.Statistic != nil && r.Statistic != *in.Statistic:
		case in.ExtendedStatistic != nil && r.ExtendedStatistic != *in.ExtendedStatistic:
		case in.Period != nil && r.Period != *in.Period:
		case in.Unit != nil && r.Unit != *in.Unit:
		default:
			out.MetricAlarms = append(out.MetricAlarms, a.alarm(r))
		}
	}
	return out, nil
}

// sameDimensions compares dimension sets regardless of order: a metric is
// its exact set.
func sameDimensions(x, y []metrics.Dimension) bool {
	if len(x) != len(y) {
		return false
	}
	for _, d := range x {
		if !slices.Contains(y, d) {
			return false
		}
	}
	return true
}
