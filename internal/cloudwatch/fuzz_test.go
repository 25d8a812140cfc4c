package cloudwatch

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// FuzzParseMath: no expression makes the parser or the evaluation panic
// or loop; what parses evaluates to one value per period.
func FuzzParseMath(f *testing.F) {
	for _, s := range []string{"m1", "100*m1/m2", "-(m1+2)*3", "FILL(m1, 0)", "SUM([m1, m2, 3])", "AVG([m1])", "ABS(m1-m2)",
		"((((m1))))", "1/0", "m1 +", "FILL(m1)", "SUM(m1)", "RATE(m1)", "m1 m2", "", ".5e", "((", "[m1]", "é",
		"SUM(METRICS())", `MAX(METRICS("m"))`, "METRICS()", "FILL(m1, REPEAT)", "FILL(m1, LINEAR)", "IF(m1 > 1 && m2 <= 2, m1, m2)",
		"IF(m1 != 0 OR m2 == 0, 1)", "DIFF(m1) / DIFF_TIME(m1)", "m1 / PERIOD(m1)", "m1 - AVG(m1)", `METRICS("`, "m1 >= = 2", "M1"} {
		f.Add(s)
	}
	env := &mathEnv{vars: map[string]series{"m1": {1, math.NaN(), 3}, "m2": {0, 2, math.NaN()}}, n: 3, period: 60, metrics: []string{"m1", "m2"}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseMath(s)
		if err != nil {
			return
		}
		if got := e.eval(env); len(got) != 3 {
			t.Fatalf("%q evaluates to %d values", s, len(got))
		}
		e.refs(env.metrics, func(string) {})
	})
}

// FuzzEvaluate: any configuration and datapoints give a valid outcome.
func FuzzEvaluate(f *testing.F) {
	f.Add(3, 3, 70.0, 2, "GreaterThanThreshold", "missing", []byte{10, 80, 20, 90, 30})
	f.Add(1, 0, 0.0, 1, "LessThanThreshold", "ignore", []byte{})
	f.Add(5, 2, -1.0, 60, "LessThanOrEqualToThreshold", "breaching", []byte{255, 0, 1})
	f.Fuzz(func(t *testing.T, n, m int, threshold float64, periodSec int, cmp, treat string, raw []byte) {
		if n < 1 || n > 100 || m < 0 || m > n || periodSec < 1 || periodSec > 3600 {
			return
		}
		r := Rule{Period: time.Duration(periodSec) * time.Second, EvaluationPeriods: n, DatapointsToAlarm: m,
			Threshold: threshold, ComparisonOperator: cmp, TreatMissingData: treat, ExtendedStatistic: "p99",
			EvaluateLowSampleCountPercentile: "ignore"}
		var points []Datapoint
		for i := 0; i+1 < len(raw); i += 2 {
			points = append(points, Datapoint{Time: evalEnd.Add(-time.Duration(raw[i]) * r.Period), Value: float64(raw[i+1]) - 100, SampleCount: float64(raw[i])})
		}
		o := Evaluate(r, evalEnd, points, StateOK, evalEnd)
		switch {
		case o.Keep:
		case o.State != StateOK && o.State != StateAlarm && o.State != StateInsufficientData:
			t.Fatalf("state %q", o.State)
		case o.Reason == "" || !json.Valid([]byte(o.ReasonData)):
			t.Fatalf("reason %q, data %q", o.Reason, o.ReasonData)
		}
	})
}

// FuzzPutMetricAlarm: no request body decoded as PutMetricAlarm's input
// makes its validation panic.
func FuzzPutMetricAlarm(f *testing.F) {
	f.Add(`{"AlarmName":"a","MetricName":"m","Namespace":"n","Statistic":"Sum","Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"}`)
	f.Add(`{"AlarmName":"a","EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold","Metrics":[{"Id":"m1","MetricStat":{"Metric":{"Dimensions":[{}]},"Period":60,"Stat":"p99"}},{"Id":"e","Expression":"m1*2","ReturnData":true}]}`)
	f.Add(`{"AlarmName":"a","Dimensions":[{"Name":"x"}],"Tags":[{"Key":"k"}],"AlarmActions":["arn:aws:sns:us-east-1:1:t"]}`)
	a := &API{cfg: Config{Region: testRegion, AccountID: testAcct}}
	f.Fuzz(func(t *testing.T, body string) {
		var in PutMetricAlarmInput
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		if checkPutModel(&in) != nil {
			return
		}
		if r, err := a.configure(&in); err == nil && r.period() <= 0 {
			t.Fatalf("period %v", r.period())
		}
	})
}
