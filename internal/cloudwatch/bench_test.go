package cloudwatch

import (
	"testing"
	"time"
)

// BenchmarkEvaluate evaluates 10,000 alarms of 3 one-second periods per
// operation on one goroutine (the target: 10,000 alarms evaluated
// per second on one core), a third breaching, a third not, a third with a
// missing datapoint.
func BenchmarkEvaluate(b *testing.B) {
	const alarms = 10000
	end := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rules := make([]Rule, alarms)
	points := make([][]Datapoint, alarms)
	for i := range rules {
		rules[i] = Rule{Period: time.Second, EvaluationPeriods: 3, Threshold: 70, ComparisonOperator: "GreaterThanThreshold", Statistic: "Average"}
		var ps []Datapoint
		for k := 5; k >= 1; k-- {
			if i%3 == 2 && k == 2 {
				continue
			}
			v := 50.0
			if i%3 == 0 {
				v = 90
			}
			ps = append(ps, Datapoint{Time: end.Add(-time.Duration(k) * time.Second), Value: v, SampleCount: 1})
		}
		points[i] = ps
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range rules {
			Evaluate(rules[i], end, points[i], "OK", end)
		}
	}
	b.ReportMetric(float64(alarms)*float64(b.N)/b.Elapsed().Seconds(), "alarms/s")
}
