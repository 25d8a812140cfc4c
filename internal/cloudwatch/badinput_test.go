package cloudwatch

import (
	"strings"
	"testing"
)

// basePut is a valid PutMetricAlarm in awsquery form; cases add to it or
// replace members.
const basePut = "AlarmName=a&MetricName=CPUUtilization&Namespace=AWS/ECS&Statistic=Average&Period=60&EvaluationPeriods=3&Threshold=70&ComparisonOperator=GreaterThanThreshold"

// without returns basePut without the named members.
func without(names ...string) string {
	var keep []string
	for _, kv := range strings.Split(basePut, "&") {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			keep = append(keep, kv)
		}
	}
	return strings.Join(keep, "&")
}

// TestBadInput sends malformed requests in awsquery form and checks AWS's
// error code, status and message.
func TestBadInput(t *testing.T) {
	h := newHarness(t)
	if r := h.raw(t, "PutMetricAlarm", basePut); r.Status != 200 {
		t.Fatalf("base PutMetricAlarm: %d %s", r.Status, r.Body)
	}
	tests := []struct {
		action, params string
		status         int
		code, message  string
	}{
		{"PutMetricAlarm", without("AlarmName"), 400, "ValidationError", "1 validation error detected: Value null at 'alarmName' failed to satisfy constraint: Member must not be null"},
		{"PutMetricAlarm", basePut + "&AlarmDescription=" + strings.Repeat("d", 1025), 400, "ValidationError", "1 validation error detected: Value '" + strings.Repeat("d", 1025) + "' at 'alarmDescription' failed to satisfy constraint: Member must have length less than or equal to 1024"},
		{"PutMetricAlarm", basePut + "&Statistic=Median", 400, "", ""}, // repeated parameter: the decoder's error
		{"PutMetricAlarm", without("Statistic") + "&Statistic=Median", 400, "ValidationError", "1 validation error detected: Value 'Median' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [SampleCount, Average, Sum, Minimum, Maximum]"},
		{"PutMetricAlarm", without("Period") + "&Period=0", 400, "ValidationError", "1 validation error detected: Value '0' at 'period' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"PutMetricAlarm", without("EvaluationPeriods") + "&EvaluationPeriods=0", 400, "ValidationError", "1 validation error detected: Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"PutMetricAlarm", without("ComparisonOperator") + "&ComparisonOperator=Above", 400, "ValidationError", "1 validation error detected: Value 'Above' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold]"},
		{"PutMetricAlarm", basePut + "&Unit=Furlongs", 400, "ValidationError", ""},
		{"PutMetricAlarm", without("Namespace") + "&Namespace=:x", 400, "ValidationError", "1 validation error detected: Value ':x' at 'namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*"},
		{"PutMetricAlarm", basePut + "&Dimensions.member.1.Name=ClusterName", 400, "ValidationError", "1 validation error detected: Value null at 'dimensions.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"PutMetricAlarm", basePut + "&AlarmActions.member.1=a&AlarmActions.member.2=b&AlarmActions.member.3=c&AlarmActions.member.4=d&AlarmActions.member.5=e&AlarmActions.member.6=f", 400, "ValidationError", "1 validation error detected: Value '[a b c d e f]' at 'alarmActions' failed to satisfy constraint: Member must have length less than or equal to 5"},
		{"PutMetricAlarm", basePut + "&AlarmActions.member.1=not-an-arn", 400, "ValidationError", "Invalid arn syntax: not-an-arn"},
		{"PutMetricAlarm", basePut + "&AlarmActions.member.1=arn:aws:sns:eu-west-1:000000000000:t", 400, "ValidationError", "Invalid region eu-west-1 specified. Only us-east-1 is supported."},
		{"PutMetricAlarm", without("Threshold"), 400, "MissingParameter", "The parameter Threshold is required."},
		{"PutMetricAlarm", without("EvaluationPeriods"), 400, "MissingParameter", "The parameter EvaluationPeriods is required."},
		{"PutMetricAlarm", without("ComparisonOperator"), 400, "MissingParameter", "The parameter ComparisonOperator is required."},
		{"PutMetricAlarm", without("Period"), 400, "MissingParameter", "The parameter Period is required."},
		{"PutMetricAlarm", without("Namespace"), 400, "MissingParameter", "The parameter Namespace is required."},
		{"PutMetricAlarm", without("Statistic"), 400, "MissingParameter", "The parameter Statistic or ExtendedStatistic is required."},
		{"PutMetricAlarm", basePut + "&ExtendedStatistic=p99", 400, "InvalidParameterCombination", "Statistic and ExtendedStatistic cannot both be specified."},
		{"PutMetricAlarm", without("Statistic") + "&ExtendedStatistic=p999", 400, "InvalidParameterValue", "The value p999 for parameter ExtendedStatistic is not supported."},
		{"PutMetricAlarm", without("MetricName", "Namespace", "Statistic", "Period"), 400, "ValidationError", "One of MetricName, Metrics or EvaluationCriteria must be specified."},
		{"PutMetricAlarm", basePut + "&DatapointsToAlarm=4", 400, "ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods"},
		{"PutMetricAlarm", without("EvaluationPeriods") + "&EvaluationPeriods=1441", 400, "ValidationError", "The evaluation period (Period * EvaluationPeriods) of an alarm with a period of less than an hour must not exceed one day (86400 seconds)."},
		{"PutMetricAlarm", basePut + "&TreatMissingData=sometimes", 400, "ValidationError", "The value sometimes is not valid for TreatMissingData; valid values are breaching, notBreaching, ignore and missing."},
		{"PutMetricAlarm", basePut + "&EvaluateLowSampleCountPercentile=maybe", 400, "ValidationError", "The value maybe is not valid for EvaluateLowSampleCountPercentile; valid values are evaluate and ignore."},
		{"PutMetricAlarm", without("ComparisonOperator") + "&ComparisonOperator=LessThanLowerThreshold", 400, "ValidationError", ""},
		{"PutMetricAlarm", basePut + "&ThresholdMetricId=ad1", 400, "ValidationError", ""},
		{"PutMetricAlarm", basePut + "&EvaluationInterval=60", 400, "ValidationError", "Tide does not support PromQL alarms (EvaluationCriteria, EvaluationInterval)."},
		{"PutMetricAlarm", basePut + "&Metrics.member.1.Id=m1", 400, "InvalidParameterCombination", "If you specify the Metrics parameter, you cannot specify MetricName, Namespace, Dimensions, Period, Unit, Statistic or ExtendedStatistic."},
		{"PutMetricAlarm", "AlarmName=m&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold&Metrics.member.1.Id=m1&Metrics.member.1.MetricStat.Metric.MetricName=x&Metrics.member.1.MetricStat.Metric.Namespace=n&Metrics.member.1.MetricStat.Period=60&Metrics.member.1.MetricStat.Stat=Sum&Metrics.member.2.Id=e1&Metrics.member.2.Expression=m1*2", 400, "ValidationError", "Exactly one element of the metrics list should return data."},
		{"PutMetricAlarm", "AlarmName=m&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold&Metrics.member.1.Id=m1&Metrics.member.1.MetricStat.Metric.MetricName=x&Metrics.member.1.MetricStat.Metric.Namespace=n&Metrics.member.1.MetricStat.Period=60&Metrics.member.1.MetricStat.Stat=Sum&Metrics.member.1.ReturnData=false&Metrics.member.2.Id=e1&Metrics.member.2.Expression=m2*2", 400, "ValidationError", "Invalid metrics list: the expression of e1 uses m2, which is not an id of the list."},
		{"PutMetricAlarm", "AlarmName=m&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold&Metrics.member.1.Id=m1&Metrics.member.1.MetricStat.Metric.MetricName=x&Metrics.member.1.MetricStat.Metric.Namespace=n&Metrics.member.1.MetricStat.Period=60&Metrics.member.1.MetricStat.Stat=Sum&Metrics.member.1.ReturnData=false&Metrics.member.2.Id=e1&Metrics.member.2.Expression=ANOMALY_DETECTION_BAND(m1)", 400, "ValidationError", "Invalid metrics list: the expression of e1 is not valid: Tide does not evaluate the function ANOMALY_DETECTION_BAND."},
		{"PutMetricAlarm", "AlarmName=m&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold&Metrics.member.1.Id=M1&Metrics.member.1.Expression=1", 400, "ValidationError", "Invalid metrics list: the id M1 must start with a lowercase letter and contain only letters, numbers and underscores."},
		{"PutMetricAlarm", "AlarmName=m&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold&Metrics.member.1.Id=m1&Metrics.member.1.MetricStat.Metric.MetricName=x&Metrics.member.1.MetricStat.Period=60", 400, "ValidationError", "1 validation error detected: Value null at 'metrics.1.member.metricStat.stat' failed to satisfy constraint: Member must not be null"},
		{"PutMetricAlarm", without("AlarmName") + "&AlarmName=tagged&Tags.member.1.Key=aws:x&Tags.member.1.Value=v", 400, "InvalidParameterValue", "Invalid tag key aws:x: the prefix aws: is reserved for AWS's use."},
		{"PutMetricAlarm", basePut + "&Bogus=1", 400, "ValidationError", ""},
		{"DescribeAlarms", "MaxRecords=101", 400, "ValidationError", "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"DescribeAlarms", "StateValue=RED", 400, "ValidationError", "1 validation error detected: Value 'RED' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]"},
		{"DescribeAlarms", "AlarmNames.member.1=a&AlarmNamePrefix=a", 400, "InvalidParameterCombination", "The parameters AlarmNames and AlarmNamePrefix cannot be used together."},
		{"DescribeAlarms", "NextToken=!!!", 400, "InvalidNextToken", "The service couldn't process your request because the NextToken is not valid."},
		{"DescribeAlarms", "ChildrenOfAlarmName=a&StateValue=OK", 400, "ValidationError", "If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify any other parameters in the request except for MaxRecords and NextToken."},
		{"DescribeAlarms", "AlarmTypes.member.1=Dashboard", 400, "ValidationError", "1 validation error detected: Value 'Dashboard' at 'alarmTypes.member' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]"},
		{"DescribeAlarmsForMetric", "Namespace=AWS/ECS", 400, "ValidationError", "1 validation error detected: Value null at 'metricName' failed to satisfy constraint: Member must not be null"},
		{"DeleteAlarms", "", 400, "ValidationError", "1 validation error detected: Value null at 'alarmNames' failed to satisfy constraint: Member must not be null"},
		{"EnableAlarmActions", "", 400, "ValidationError", "1 validation error detected: Value null at 'alarmNames' failed to satisfy constraint: Member must not be null"},
		{"SetAlarmState", "AlarmName=nope&StateValue=ALARM&StateReason=x", 404, "ResourceNotFound", "Alarm nope not found"},
		{"SetAlarmState", "AlarmName=a&StateValue=ALARM", 400, "ValidationError", "1 validation error detected: Value null at 'stateReason' failed to satisfy constraint: Member must not be null"},
		{"SetAlarmState", "AlarmName=a&StateValue=ALARM&StateReason=x&StateReasonData={bad", 400, "InvalidFormat", "StateReasonData was not syntactically valid JSON"},
		{"SetAlarmState", "AlarmName=a&StateValue=BROKEN&StateReason=x", 400, "ValidationError", "1 validation error detected: Value 'BROKEN' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]"},
		{"DescribeAlarmHistory", "HistoryItemType=Everything", 400, "ValidationError", "1 validation error detected: Value 'Everything' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action, AlarmContributorStateUpdate, AlarmContributorAction]"},
		{"DescribeAlarmHistory", "ScanBy=Sideways", 400, "ValidationError", "1 validation error detected: Value 'Sideways' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]"},
		{"DescribeAlarmHistory", "NextToken=bogus", 400, "InvalidNextToken", "The service couldn't process your request because the NextToken is not valid."},
		{"DescribeAlarmHistory", "StartDate=2026-11-22T10:00:00Z&EndDate=2026-11-22T09:00:00Z", 400, "", ""}, // awsjson.Time in awsquery: see TestQueryTimestamps
		{"TagResource", "ResourceARN=arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope&Tags.member.1.Key=k&Tags.member.1.Value=v", 404, "ResourceNotFoundException", "The specified resource arn:aws:cloudwatch:us-east-1:000000000000:alarm:nope does not exist."},
		{"TagResource", "ResourceARN=nonsense&Tags.member.1.Key=k&Tags.member.1.Value=v", 400, "InvalidParameterValue", "Invalid ResourceARN: nonsense"},
		{"TagResource", "ResourceARN=arn:aws:cloudwatch:us-east-1:000000000000:alarm:a", 400, "ValidationError", "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"},
		{"UntagResource", "ResourceARN=arn:aws:cloudwatch:us-east-1:000000000000:alarm:a", 400, "ValidationError", "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"},
		{"ListTagsForResource", "", 400, "ValidationError", "1 validation error detected: Value null at 'resourceARN' failed to satisfy constraint: Member must not be null"},
	}
	for _, tt := range tests {
		got := h.raw(t, tt.action, tt.params)
		if got.Status != tt.status || (tt.code != "" && got.Code != tt.code) || (tt.message != "" && got.Message != tt.message) {
			t.Errorf("%s %.120s:\n got %d %s %q\nwant %d %s %q", tt.action, tt.params, got.Status, got.Code, got.Message, tt.status, tt.code, tt.message)
		}
	}
}

// TestTidePeriods: any period of a second or more, unless AWS's periods
// are asked for.
func TestTidePeriods(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"1", "7", "10", "45", "120"} {
		if r := h.raw(t, "PutMetricAlarm", without("Period")+"&Period="+p); r.Status != 200 {
			t.Errorf("Period %s: %d %s", p, r.Status, r.Message)
		}
	}
	h.api.cfg.AWSPeriods = true
	for p, ok := range map[string]bool{"10": true, "20": true, "30": true, "60": true, "120": true, "1": false, "45": false, "90": false} {
		r := h.raw(t, "PutMetricAlarm", without("Period")+"&Period="+p)
		if ok != (r.Status == 200) || (!ok && r.Message != "Period must be 10, 20, 30 or a multiple of 60") {
			t.Errorf("AWS periods, Period %s: %d %s", p, r.Status, r.Message)
		}
	}
}
