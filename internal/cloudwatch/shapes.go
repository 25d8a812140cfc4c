package cloudwatch

import "tide/internal/awsjson"

// The operations' input and output shapes: Go field names are the AWS
// member names, so that one struct serves awsquery, AWS JSON 1.0 and
// Smithy RPC v2 CBOR (edge.Typed). Optional members are pointers or nil
// slices, so that "not sent" and "left out of the response" are visible.

// Dimension is one name/value pair of a metric's identity.
type Dimension struct {
	Name  *string `json:"Name,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// Metric names a metric.
type Metric struct {
	Namespace  *string     `json:"Namespace,omitempty"`
	MetricName *string     `json:"MetricName,omitempty"`
	Dimensions []Dimension `json:"Dimensions,omitempty"`
}

// MetricStat is one statistic of one metric over a period.
type MetricStat struct {
	Metric *Metric `json:"Metric,omitempty"`
	Period *int32  `json:"Period,omitempty"`
	Stat   *string `json:"Stat,omitempty"`
	Unit   *string `json:"Unit,omitempty"`
}

// MetricDataQuery is one member of a metric-math alarm's Metrics: a metric
// to retrieve or an expression over the others.
type MetricDataQuery struct {
	Id         *string     `json:"Id,omitempty"`
	MetricStat *MetricStat `json:"MetricStat,omitempty"`
	Expression *string     `json:"Expression,omitempty"`
	Label      *string     `json:"Label,omitempty"`
	ReturnData *bool       `json:"ReturnData,omitempty"`
	Period     *int32      `json:"Period,omitempty"`
	AccountId  *string     `json:"AccountId,omitempty"`
}

// Tag is a key/value pair on an alarm.
type Tag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

// PutMetricAlarmInput creates or replaces an alarm. EvaluationCriteria,
// EvaluationInterval and ThresholdMetricId are decoded only to be refused
// with a clear message: Tide has no PromQL or anomaly detection alarms.
type PutMetricAlarmInput struct {
	AlarmName                        *string             `json:"AlarmName,omitempty"`
	AlarmDescription                 *string             `json:"AlarmDescription,omitempty"`
	ActionsEnabled                   *bool               `json:"ActionsEnabled,omitempty"`
	OKActions                        []string            `json:"OKActions,omitempty"`
	AlarmActions                     []string            `json:"AlarmActions,omitempty"`
	InsufficientDataActions          []string            `json:"InsufficientDataActions,omitempty"`
	MetricName                       *string             `json:"MetricName,omitempty"`
	Namespace                        *string             `json:"Namespace,omitempty"`
	Statistic                        *string             `json:"Statistic,omitempty"`
	ExtendedStatistic                *string             `json:"ExtendedStatistic,omitempty"`
	Dimensions                       []Dimension         `json:"Dimensions,omitempty"`
	Period                           *int32              `json:"Period,omitempty"`
	Unit                             *string             `json:"Unit,omitempty"`
	EvaluationPeriods                *int32              `json:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm                *int32              `json:"DatapointsToAlarm,omitempty"`
	Threshold                        *float64            `json:"Threshold,omitempty"`
	ComparisonOperator               *string             `json:"ComparisonOperator,omitempty"`
	TreatMissingData                 *string             `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile *string             `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                          []MetricDataQuery   `json:"Metrics,omitempty"`
	Tags                             []Tag               `json:"Tags,omitempty"`
	ThresholdMetricId                *string             `json:"ThresholdMetricId,omitempty"`
	EvaluationCriteria               *EvaluationCriteria `json:"EvaluationCriteria,omitempty"`
	EvaluationInterval               *int32              `json:"EvaluationInterval,omitempty"`
}

// EvaluationCriteria is a PromQL alarm's criteria, which Tide refuses.
type EvaluationCriteria struct {
	PromQLCriteria *struct {
		Query          *string `json:"Query,omitempty"`
		PendingPeriod  *int32  `json:"PendingPeriod,omitempty"`
		RecoveryPeriod *int32  `json:"RecoveryPeriod,omitempty"`
	} `json:"PromQLCriteria,omitempty"`
}

// MetricAlarm is an alarm as DescribeAlarms returns it.
type MetricAlarm struct {
	AlarmName                          *string           `json:"AlarmName,omitempty"`
	AlarmArn                           *string           `json:"AlarmArn,omitempty"`
	AlarmDescription                   *string           `json:"AlarmDescription,omitempty"`
	AlarmConfigurationUpdatedTimestamp *awsjson.Time     `json:"AlarmConfigurationUpdatedTimestamp,omitempty"`
	ActionsEnabled                     *bool             `json:"ActionsEnabled,omitempty"`
	OKActions                          []string          `json:"OKActions"`
	AlarmActions                       []string          `json:"AlarmActions"`
	InsufficientDataActions            []string          `json:"InsufficientDataActions"`
	StateValue                         *string           `json:"StateValue,omitempty"`
	StateReason                        *string           `json:"StateReason,omitempty"`
	StateReasonData                    *string           `json:"StateReasonData,omitempty"`
	StateUpdatedTimestamp              *awsjson.Time     `json:"StateUpdatedTimestamp,omitempty"`
	MetricName                         *string           `json:"MetricName,omitempty"`
	Namespace                          *string           `json:"Namespace,omitempty"`
	Statistic                          *string           `json:"Statistic,omitempty"`
	ExtendedStatistic                  *string           `json:"ExtendedStatistic,omitempty"`
	Dimensions                         []Dimension       `json:"Dimensions,omitempty"`
	Period                             *int32            `json:"Period,omitempty"`
	Unit                               *string           `json:"Unit,omitempty"`
	EvaluationPeriods                  *int32            `json:"EvaluationPeriods,omitempty"`
	DatapointsToAlarm                  *int32            `json:"DatapointsToAlarm,omitempty"`
	Threshold                          *float64          `json:"Threshold,omitempty"`
	ComparisonOperator                 *string           `json:"ComparisonOperator,omitempty"`
	TreatMissingData                   *string           `json:"TreatMissingData,omitempty"`
	EvaluateLowSampleCountPercentile   *string           `json:"EvaluateLowSampleCountPercentile,omitempty"`
	Metrics                            []MetricDataQuery `json:"Metrics,omitempty"`
	EvaluationState                    *string           `json:"EvaluationState,omitempty"`
	StateTransitionedTimestamp         *awsjson.Time     `json:"StateTransitionedTimestamp,omitempty"`
}

// DescribeAlarmsInput filters and pages alarms.
type DescribeAlarmsInput struct {
	AlarmNames          []string `json:"AlarmNames,omitempty"`
	AlarmNamePrefix     *string  `json:"AlarmNamePrefix,omitempty"`
	AlarmTypes          []string `json:"AlarmTypes,omitempty"`
	ChildrenOfAlarmName *string  `json:"ChildrenOfAlarmName,omitempty"`
	ParentsOfAlarmName  *string  `json:"ParentsOfAlarmName,omitempty"`
	StateValue          *string  `json:"StateValue,omitempty"`
	ActionPrefix        *string  `json:"ActionPrefix,omitempty"`
	MaxRecords          *int32   `json:"MaxRecords,omitempty"`
	NextToken           *string  `json:"NextToken,omitempty"`
}

// Lists that AWS always returns (possibly empty) have no omitempty, so
// that AWS JSON writes them as []; they are never nil.

// DescribeAlarmsOutput is one page of alarms. Tide has no composite
// alarms; CompositeAlarms is always empty.
type DescribeAlarmsOutput struct {
	CompositeAlarms []struct{}    `json:"CompositeAlarms"`
	MetricAlarms    []MetricAlarm `json:"MetricAlarms"`
	NextToken       *string       `json:"NextToken,omitempty"`
}

// DescribeAlarmsForMetricInput names a metric and optionally narrows it.
type DescribeAlarmsForMetricInput struct {
	MetricName        *string     `json:"MetricName,omitempty"`
	Namespace         *string     `json:"Namespace,omitempty"`
	Statistic         *string     `json:"Statistic,omitempty"`
	ExtendedStatistic *string     `json:"ExtendedStatistic,omitempty"`
	Dimensions        []Dimension `json:"Dimensions,omitempty"`
	Period            *int32      `json:"Period,omitempty"`
	Unit              *string     `json:"Unit,omitempty"`
}

// DescribeAlarmsForMetricOutput lists the alarms on one metric.
type DescribeAlarmsForMetricOutput struct {
	MetricAlarms []MetricAlarm `json:"MetricAlarms"`
}

// AlarmNamesInput is the input of DeleteAlarms, EnableAlarmActions and
// DisableAlarmActions.
type AlarmNamesInput struct {
	AlarmNames []string `json:"AlarmNames,omitempty"`
}

// DescribeAlarmHistoryInput filters and pages history items.
type DescribeAlarmHistoryInput struct {
	AlarmName          *string       `json:"AlarmName,omitempty"`
	AlarmContributorId *string       `json:"AlarmContributorId,omitempty"`
	AlarmTypes         []string      `json:"AlarmTypes,omitempty"`
	HistoryItemType    *string       `json:"HistoryItemType,omitempty"`
	StartDate          *awsjson.Time `json:"StartDate,omitempty"`
	EndDate            *awsjson.Time `json:"EndDate,omitempty"`
	MaxRecords         *int32        `json:"MaxRecords,omitempty"`
	NextToken          *string       `json:"NextToken,omitempty"`
	ScanBy             *string       `json:"ScanBy,omitempty"`
}

// AlarmHistoryItem is one history record.
type AlarmHistoryItem struct {
	AlarmName       *string       `json:"AlarmName,omitempty"`
	AlarmType       *string       `json:"AlarmType,omitempty"`
	Timestamp       *awsjson.Time `json:"Timestamp,omitempty"`
	HistoryItemType *string       `json:"HistoryItemType,omitempty"`
	HistorySummary  *string       `json:"HistorySummary,omitempty"`
	HistoryData     *string       `json:"HistoryData,omitempty"`
}

// DescribeAlarmHistoryOutput is one page of history.
type DescribeAlarmHistoryOutput struct {
	AlarmHistoryItems []AlarmHistoryItem `json:"AlarmHistoryItems"`
	NextToken         *string            `json:"NextToken,omitempty"`
}

// SetAlarmStateInput sets an alarm's state by hand.
type SetAlarmStateInput struct {
	AlarmName       *string `json:"AlarmName,omitempty"`
	StateValue      *string `json:"StateValue,omitempty"`
	StateReason     *string `json:"StateReason,omitempty"`
	StateReasonData *string `json:"StateReasonData,omitempty"`
}

// TagResourceInput adds or replaces tags on an alarm.
type TagResourceInput struct {
	ResourceARN *string `json:"ResourceARN,omitempty"`
	Tags        []Tag   `json:"Tags,omitempty"`
}

// UntagResourceInput removes tags from an alarm.
type UntagResourceInput struct {
	ResourceARN *string  `json:"ResourceARN,omitempty"`
	TagKeys     []string `json:"TagKeys,omitempty"`
}

// ListTagsForResourceInput names an alarm.
type ListTagsForResourceInput struct {
	ResourceARN *string `json:"ResourceARN,omitempty"`
}

// ListTagsForResourceOutput lists an alarm's tags.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"Tags"`
}

// Empty is the output of operations that return nothing.
type Empty struct{}
