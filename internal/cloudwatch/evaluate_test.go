package cloudwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var evalEnd = time.Date(2026, 11, 22, 10, 5, 0, 0, time.UTC)

// tableSeries turns AWS's table notation ("0 - X - X", oldest first, one
// symbol per period ending at evalEnd) into datapoints: 0 does not breach
// a threshold of 70 (GreaterThanThreshold), X does, - is missing.
func tableSeries(t *testing.T, s string, period time.Duration) []Datapoint {
	t.Helper()
	syms := strings.Fields(s)
	var out []Datapoint
	for i, sym := range syms {
		at := evalEnd.Add(-time.Duration(len(syms)-i) * period)
		switch sym {
		case "0":
			out = append(out, Datapoint{Time: at, Value: 50, SampleCount: 60})
		case "X":
			out = append(out, Datapoint{Time: at, Value: 90, SampleCount: 60})
		case "-":
		default:
			t.Fatalf("bad symbol %q", sym)
		}
	}
	return out
}

// verdictOf is what a table cell says: a state, or "keep" for "Retain
// current state".
func verdictOf(o Outcome) string {
	if o.Keep {
		return "keep"
	}
	return o.State
}

// TestMissingDataTables checks the evaluator against the two tables of
// AWS's "How alarm state is evaluated when data is missing", row by row
// and column by column, plus the row of its earlier edition that shows the
// rule against premature transitions (X - - - -).
func TestMissingDataTables(t *testing.T) {
	const I, K, A, O = StateInsufficientData, "keep", StateAlarm, StateOK
	tables := []struct {
		m, n int
		rows []struct {
			points string
			want   [4]string // missing, ignore, breaching, notBreaching
		}
	}{
		{m: 3, n: 3, rows: []struct {
			points string
			want   [4]string
		}{
			{"0 - X - X", [4]string{O, O, O, O}},
			{"0 - - - -", [4]string{O, O, O, O}},
			{"- - - - -", [4]string{I, K, A, O}},
			{"0 X X - X", [4]string{A, A, A, A}},
			{"- - - - X", [4]string{I, K, A, O}},
			{"- - X - -", [4]string{A, K, A, O}},
			{"X - - - -", [4]string{A, K, A, O}},
		}},
		{m: 2, n: 3, rows: []struct {
			points string
			want   [4]string
		}{
			{"0 - X - X", [4]string{A, A, A, A}},
			{"0 0 X 0 X", [4]string{A, A, A, A}},
			{"0 - X - -", [4]string{O, O, A, O}},
			{"- - - - 0", [4]string{O, O, A, O}},
			{"- - - - X", [4]string{I, K, A, O}},
		}},
	}
	treatments := []string{"missing", "ignore", "breaching", "notBreaching"}
	for _, tab := range tables {
		for _, row := range tab.rows {
			for i, treat := range treatments {
				r := Rule{Period: 5 * time.Minute, EvaluationPeriods: tab.n, DatapointsToAlarm: tab.m,
					Threshold: 70, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: treat, Statistic: "Average"}
				got := verdictOf(Evaluate(r, evalEnd, tableSeries(t, row.points, r.Period), StateOK, evalEnd))
				if got != row.want[i] {
					t.Errorf("%d of %d, %q, %s: got %s, want %s", tab.m, tab.n, row.points, treat, got, row.want[i])
				}
			}
		}
	}
}

func TestEvaluateReasons(t *testing.T) {
	minute := time.Minute
	base := Rule{Period: minute, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: 70,
		ComparisonOperator: "GreaterThanThreshold", Statistic: "Average", Unit: "Percent"}
	at := func(min int) time.Time { return evalEnd.Add(time.Duration(min-5) * minute) }
	tests := []struct {
		name   string
		rule   func(Rule) Rule
		points []Datapoint
		want   Outcome
	}{{
		name:   "3 of 3 breach",
		points: []Datapoint{{at(2), 80, 60}, {at(3), 90, 60}, {at(4), 85, 60}},
		want: Outcome{State: StateAlarm,
			Reason: "Threshold Crossed: 3 out of the last 3 datapoints [85.0 (22/11/26 10:04:00), 90.0 (22/11/26 10:03:00), 80.0 (22/11/26 10:02:00)] were greater than the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition).",
			ReasonData: `{"version":"1.0","queryDate":"2026-11-22T10:05:00.000+0000","startDate":"2026-11-22T10:02:00.000+0000","unit":"Percent","statistic":"Average","period":60,"recentDatapoints":[80.0,90.0,85.0],"threshold":70.0,` +
				`"evaluatedDatapoints":[{"timestamp":"2026-11-22T10:04:00.000+0000","sampleCount":60.0,"value":85.0},{"timestamp":"2026-11-22T10:03:00.000+0000","sampleCount":60.0,"value":90.0},{"timestamp":"2026-11-22T10:02:00.000+0000","sampleCount":60.0,"value":80.0}]}`},
	}, {
		name:   "one below: OK",
		points: []Datapoint{{at(2), 80, 60}, {at(3), 65, 60}, {at(4), 85, 60}},
		want: Outcome{State: StateOK,
			Reason: "Threshold Crossed: 1 out of the last 3 datapoints [65.0 (22/11/26 10:03:00)] was not greater than the threshold (70.0) (minimum 1 datapoint for ALARM -> OK transition)."},
	}, {
		name: "no DatapointsToAlarm, one period",
		rule: func(r Rule) Rule {
			r.EvaluationPeriods, r.DatapointsToAlarm, r.ComparisonOperator = 1, 0, "GreaterThanOrEqualToThreshold"
			return r
		},
		points: []Datapoint{{at(4), 1, 1}},
		want:   Outcome{State: StateOK, Reason: "Threshold Crossed: 1 datapoint [1.0 (22/11/26 10:04:00)] was not greater than or equal to the threshold (70.0)."},
	}, {
		name: "no DatapointsToAlarm, five periods",
		rule: func(r Rule) Rule {
			r.EvaluationPeriods, r.DatapointsToAlarm = 6, 0
			return r
		},
		points: []Datapoint{{at(-1), 71, 1}, {at(0), 72, 1}, {at(1), 73, 1}, {at(2), 74, 1}, {at(3), 75, 1}, {at(4), 76, 1}},
		want: Outcome{State: StateAlarm,
			Reason: "Threshold Crossed: 6 datapoints were greater than the threshold (70.0). The most recent datapoints which crossed the threshold: [76.0 (22/11/26 10:04:00), 75.0 (22/11/26 10:03:00), 74.0 (22/11/26 10:02:00), 73.0 (22/11/26 10:01:00), 72.0 (22/11/26 10:00:00)]."},
	}, {
		name: "5 of 5: the newest five after the threshold",
		rule: func(r Rule) Rule {
			r.EvaluationPeriods, r.DatapointsToAlarm, r.ComparisonOperator, r.Threshold = 5, 5, "LessThanThreshold", 65
			return r
		},
		points: []Datapoint{{at(0), 0, 1}, {at(1), 0, 1}, {at(2), 0, 1}, {at(3), 0, 1}, {at(4), 0, 1}},
		want: Outcome{State: StateAlarm,
			Reason: "Threshold Crossed: 5 out of the last 5 datapoints were less than the threshold (65.0). The most recent datapoints which crossed the threshold: [0.0 (22/11/26 10:04:00), 0.0 (22/11/26 10:03:00), 0.0 (22/11/26 10:02:00), 0.0 (22/11/26 10:01:00), 0.0 (22/11/26 10:00:00)] (minimum 5 datapoints for OK -> ALARM transition)."},
	}, {
		name: "nothing, missing",
		want: Outcome{State: StateInsufficientData, Reason: "Insufficient Data: 3 datapoints were unknown.",
			ReasonData: `{"version":"1.0","queryDate":"2026-11-22T10:05:00.000+0000","unit":"Percent","statistic":"Average","period":60,"recentDatapoints":[],"threshold":70.0,` +
				`"evaluatedDatapoints":[{"timestamp":"2026-11-22T10:04:00.000+0000"},{"timestamp":"2026-11-22T10:03:00.000+0000"},{"timestamp":"2026-11-22T10:02:00.000+0000"}]}`},
	}, {
		name: "nothing, breaching",
		rule: func(r Rule) Rule { r.TreatMissingData = "breaching"; return r },
		want: Outcome{State: StateAlarm, Reason: "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]."},
	}, {
		name: "nothing, notBreaching, one period",
		rule: func(r Rule) Rule {
			r.TreatMissingData, r.EvaluationPeriods, r.DatapointsToAlarm = "notBreaching", 1, 1
			return r
		},
		want: Outcome{State: StateOK, Reason: "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."},
	}, {
		name:   "filled in as breaching",
		rule:   func(r Rule) Rule { r.TreatMissingData = "breaching"; return r },
		points: []Datapoint{{at(4), 90, 1}},
		want: Outcome{State: StateAlarm,
			Reason: "Threshold Crossed: 3 out of the last 3 datapoints [90.0 (22/11/26 10:04:00)] were greater than the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition). 2 missing datapoints were treated as [Breaching]."},
	}, {
		name: "p99 with too few samples keeps its state",
		rule: func(r Rule) Rule {
			r.Statistic, r.ExtendedStatistic, r.EvaluateLowSampleCountPercentile = "", "p99", "ignore"
			return r
		},
		points: []Datapoint{{at(2), 80, 300}, {at(3), 90, 300}, {at(4), 85, 300}},
		want:   Outcome{Keep: true},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			if tt.rule != nil {
				r = tt.rule(r)
			}
			got := Evaluate(r, evalEnd, tt.points, StateOK, evalEnd)
			got.Evaluated = nil
			if tt.want.ReasonData == "" {
				got.ReasonData = ""
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("outcome (-want +got):\n%s", d)
			}
		})
	}
}

func TestJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		70: "70.0", 0: "0.0", 0.01575357001274824: "0.01575357001274824", 1e7: "1.0E7",
		1.5e-4: "1.5E-4", -2.25: "-2.25", 123456.789: "123456.789", 0.001: "0.001",
	} {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", f, got, want)
		}
	}
}
