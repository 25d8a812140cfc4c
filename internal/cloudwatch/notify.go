package cloudwatch

import (
	"bytes"
	"encoding/json"
	"strings"
)

// regionNames are the names CloudWatch gives regions in notifications.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
	"us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
	"ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
	"eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
	"eu-central-1": "EU (Frankfurt)", "eu-central-2": "EU (Zurich)", "eu-north-1": "EU (Stockholm)",
	"eu-south-1": "EU (Milan)", "eu-south-2": "EU (Spain)",
	"ap-east-1": "Asia Pacific (Hong Kong)", "ap-south-1": "Asia Pacific (Mumbai)",
	"ap-south-2": "Asia Pacific (Hyderabad)", "ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)", "ap-southeast-3": "Asia Pacific (Jakarta)",
	"ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
	"ap-northeast-3": "Asia Pacific (Osaka)", "me-south-1": "Middle East (Bahrain)",
	"me-central-1": "Middle East (UAE)", "af-south-1": "Africa (Cape Town)", "il-central-1": "Israel (Tel Aviv)",
}

func regionName(region string) string {
	if n, ok := regionNames[region]; ok {
		return n
	}
	return region
}

// maxSubject is SNS's limit on a message subject.
const maxSubject = 100

// notification is the SNS message CloudWatch publishes for a state
// change: the subject `ALARM: "name" in US East (N. Virginia)` and the
// JSON document of AWS's alarm notifications.
func (a *API) notification(r *record, t transition) (subject, message string) {
	subject = t.New + `: "` + r.Name + `" in ` + regionName(a.cfg.Region)
	if len(subject) > maxSubject {
		subject = strings.ToValidUTF8(subject[:maxSubject], "")
	}
	n := notice{
		AlarmName: r.Name, AlarmDescription: r.Description, AWSAccountId: a.cfg.AccountID,
		AlarmConfigurationUpdatedTimestamp: awsTime(r.ConfigUpdated),
		NewStateValue:                      t.New, NewStateReason: t.Reason, StateChangeTime: awsTime(t.Time),
		Region: regionName(a.cfg.Region), AlarmArn: a.arn(r.Name), OldStateValue: t.Old,
		OKActions: nonNil(r.OKActions), AlarmActions: nonNil(r.AlarmActions), InsufficientDataActions: nonNil(r.InsufficientDataActions),
		Trigger: trigger(r),
	}
	return subject, marshal(n)
}

// notice is the notification document, in AWS's member order.
type notice struct {
	AlarmName                          string   `json:"AlarmName"`
	AlarmDescription                   *string  `json:"AlarmDescription"`
	AWSAccountId                       string   `json:"AWSAccountId"`
	AlarmConfigurationUpdatedTimestamp string   `json:"AlarmConfigurationUpdatedTimestamp"`
	NewStateValue                      string   `json:"NewStateValue"`
	NewStateReason                     string   `json:"NewStateReason"`
	StateChangeTime                    string   `json:"StateChangeTime"`
	Region                             string   `json:"Region"`
	AlarmArn                           string   `json:"AlarmArn"`
	OldStateValue                      string   `json:"OldStateValue"`
	OKActions                          []string `json:"OKActions"`
	AlarmActions                       []string `json:"AlarmActions"`
	InsufficientDataActions            []string `json:"InsufficientDataActions"`
	Trigger                            any      `json:"Trigger"`
}

// metricTrigger is the Trigger of an alarm on one metric.
type metricTrigger struct {
	MetricName                       string       `json:"MetricName"`
	Namespace                        string       `json:"Namespace"`
	StatisticType                    string       `json:"StatisticType"`
	Statistic                        string       `json:"Statistic,omitempty"`
	ExtendedStatistic                string       `json:"ExtendedStatistic,omitempty"`
	Unit                             *string      `json:"Unit"`
	Dimensions                       []triggerDim `json:"Dimensions"`
	Period                           int32        `json:"Period"`
	EvaluationPeriods                int32        `json:"EvaluationPeriods"`
	DatapointsToAlarm                int32        `json:"DatapointsToAlarm,omitempty"`
	ComparisonOperator               string       `json:"ComparisonOperator"`
	Threshold                        javaNumber   `json:"Threshold"`
	TreatMissingData                 string       `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string       `json:"EvaluateLowSampleCountPercentile"`
}

// mathTrigger is the Trigger of a metric-math alarm.
type mathTrigger struct {
	Period                           int32         `json:"Period"`
	EvaluationPeriods                int32         `json:"EvaluationPeriods"`
	DatapointsToAlarm                int32         `json:"DatapointsToAlarm,omitempty"`
	ComparisonOperator               string        `json:"ComparisonOperator"`
	Threshold                        javaNumber    `json:"Threshold"`
	TreatMissingData                 string        `json:"TreatMissingData"`
	EvaluateLowSampleCountPercentile string        `json:"EvaluateLowSampleCountPercentile"`
	Metrics                          []triggerStat `json:"Metrics"`
}

// triggerDim is a dimension as notifications write it: value first.
type triggerDim struct {
	Value string `json:"value"`
	Name  string `json:"name"`
}

type triggerStat struct {
	Expression string             `json:"Expression,omitempty"`
	ID         string             `json:"Id"`
	Label      string             `json:"Label,omitempty"`
	MetricStat *triggerMetricStat `json:"MetricStat,omitempty"`
	ReturnData bool               `json:"ReturnData"`
}

type triggerMetricStat struct {
	Metric triggerMetric `json:"Metric"`
	Period int32         `json:"Period"`
	Stat   string        `json:"Stat"`
	Unit   string        `json:"Unit,omitempty"`
}

type triggerMetric struct {
	Dimensions []triggerDim `json:"Dimensions"`
	MetricName string       `json:"MetricName"`
	Namespace  string       `json:"Namespace"`
}

func trigger(r *record) any {
	treat := r.TreatMissingData
	if treat == "" {
		treat = missingMissing
	}
	if r.MetricName == "" {
		return mathTrigger{
			Period: int32(r.period().Seconds()), EvaluationPeriods: r.EvaluationPeriods, DatapointsToAlarm: r.DatapointsToAlarm,
			ComparisonOperator: r.ComparisonOperator, Threshold: javaNumber(r.Threshold), TreatMissingData: treat,
			EvaluateLowSampleCountPercentile: r.EvaluateLowSampleCountPercentile, Metrics: triggerStats(r.Metrics),
		}
	}
	t := metricTrigger{
		MetricName: r.MetricName, Namespace: r.Namespace, StatisticType: "Statistic", Statistic: strings.ToUpper(r.Statistic),
		Dimensions: []triggerDim{}, Period: r.Period, EvaluationPeriods: r.EvaluationPeriods, DatapointsToAlarm: r.DatapointsToAlarm,
		ComparisonOperator: r.ComparisonOperator, Threshold: javaNumber(r.Threshold), TreatMissingData: treat,
		EvaluateLowSampleCountPercentile: r.EvaluateLowSampleCountPercentile,
	}
	if r.ExtendedStatistic != "" {
		t.StatisticType, t.ExtendedStatistic = "ExtendedStatistic", r.ExtendedStatistic
	}
	if r.Unit != "" {
		t.Unit = str(r.Unit)
	}
	for _, d := range r.Dimensions {
		t.Dimensions = append(t.Dimensions, triggerDim{Value: d.Value, Name: d.Name})
	}
	return t
}

func triggerStats(qs []MetricDataQuery) []triggerStat {
	out := []triggerStat{}
	for _, q := range qs {
		ts := triggerStat{Expression: deref(q.Expression), ID: deref(q.Id), Label: deref(q.Label), ReturnData: q.ReturnData == nil || *q.ReturnData}
		if ms := q.MetricStat; ms != nil {
			ts.MetricStat = &triggerMetricStat{Period: *ms.Period, Stat: *ms.Stat, Unit: deref(ms.Unit)}
			ts.MetricStat.Metric.MetricName, ts.MetricStat.Metric.Namespace = deref(ms.Metric.MetricName), deref(ms.Metric.Namespace)
			ts.MetricStat.Metric.Dimensions = []triggerDim{}
			for _, d := range ms.Metric.Dimensions {
				ts.MetricStat.Metric.Dimensions = append(ts.MetricStat.Metric.Dimensions, triggerDim{Value: deref(d.Value), Name: deref(d.Name)})
			}
		}
		out = append(out, ts)
	}
	return out
}

// marshal encodes v as JSON without escaping <, > and &, as AWS writes
// its documents ("OK -> ALARM").
func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("alarms: encode document: " + err.Error()) // plain data: cannot fail
	}
	return strings.TrimSuffix(b.String(), "\n")
}
