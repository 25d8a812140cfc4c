package cloudwatch

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nan marks a missing datapoint in the tables below.
var nan = math.NaN()

func TestMathEval(t *testing.T) {
	env := &mathEnv{
		vars: map[string]series{
			"m1":     {1, nan, 3, 6, nan},
			"m2":     {2, 2, nan, 0, nan},
			"errors": {1, 1, 1, 1, nan},
			"e1":     {100, 100, 100, 100, 100}, // an expression: not in METRICS()
		},
		periods: map[string]float64{"m1": 60, "m2": 300},
		n:       5, period: 60,
		metrics: []string{"m1", "m2", "errors"},
	}
	for _, tc := range []struct {
		expr string
		want series
	}{
		{"m1 + m2 * 2", series{5, nan, nan, 6, nan}},
		{"-(m1 - 4) / 2", series{1.5, nan, 0.5, -1, nan}},
		{"m1 / m2", series{0.5, nan, nan, nan, nan}}, // division by zero: no datapoint
		{"ABS(m1 - 4)", series{3, nan, 1, 2, nan}},
		{"m1 > 2", series{0, nan, 1, 1, nan}},
		{"m1 >= 3 AND m2 == 0", series{0, nan, nan, 1, nan}},
		{"m1 < 2 || m1 > 5", series{1, nan, 0, 1, nan}},
		{"IF(m1 > 2, m1, 0)", series{0, nan, 3, 6, nan}},
		{"IF(m1 > 2, m1)", series{nan, nan, 3, 6, nan}},
		{"FILL(m1, 0)", series{1, 0, 3, 6, 0}},
		{"FILL(m1, m2)", series{1, 2, 3, 6, nan}},
		{"FILL(m1, REPEAT)", series{1, 1, 3, 6, 6}},
		{"FILL(m1, LINEAR)", series{1, 2, 3, 6, nan}},
		{"FILL(m2, REPEAT)", series{2, 2, 2, 0, 0}},
		{"RATE(m1)", series{nan, nan, 1.0 / 60, 3.0 / 60, nan}}, // (3-1) over 120 s
		{"DIFF(m1)", series{nan, nan, 2, 3, nan}},
		{"DIFF_TIME(m1)", series{nan, nan, 120, 60, nan}},
		{"m2 / PERIOD(m2)", series{2.0 / 300, 2.0 / 300, nan, 0, nan}},
		{"PERIOD(m1 + 1)", series{60, 60, 60, 60, 60}},
		{"SUM([m1, m2])", series{3, 2, 3, 6, nan}},
		{"AVG([m1, m2, 4])", series{7.0 / 3, 3, 3.5, 10.0 / 3, 4}},
		{"SUM(METRICS())", series{4, 3, 4, 7, nan}},
		{`MAX(METRICS("m"))`, series{2, 2, 3, 6, nan}},
		{`MIN(METRICS('err'))`, series{1, 1, 1, 1, nan}},
		{`SUM(METRICS("nothing"))`, series{nan, nan, nan, nan, nan}},
		{"m1 - AVG(m1)", series{-2.3333333333333335, nan, -0.3333333333333335, 2.6666666666666665, nan}},
		{"SUM(m1)", series{10, 10, 10, 10, 10}},
		{"MAX(m2)", series{2, 2, 2, 2, 2}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := parseMath(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, e.eval(env), cmp.Comparer(sameValue)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func sameValue(a, b float64) bool {
	return (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) < 1e-12
}

func TestMathRefs(t *testing.T) {
	metricsIDs := []string{"m1", "errors_web", "errors_api"}
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{"m1 + e1 * 2", []string{"m1", "e1"}},
		{`SUM(METRICS("errors")) / m1`, []string{"errors_web", "errors_api", "m1"}},
		{"AVG(METRICS())", metricsIDs},
		{"IF(e2 > 0, FILL(m1, REPEAT), 0)", []string{"e2", "m1"}},
	} {
		e, err := parseMath(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		var got []string
		e.refs(metricsIDs, func(id string) { got = append(got, id) })
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.expr, diff)
		}
	}
}

func TestMathErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "the expression ends too soon"},
		{"m1 +", "the expression ends too soon"},
		{"m1 m2", `unexpected "m2"`},
		{"SEARCH('{AWS/EC2,InstanceId}', 'Average', 300)", "Tide does not evaluate the function SEARCH"},
		{"METRICS()", "METRICS() may be used only as the argument of SUM, AVG, MIN or MAX"},
		{"FILL(METRICS(), 0)", "METRICS() may be used only"},
		{"FILL(m1)", "FILL takes 2 arguments"},
		{"IF(m1)", "IF takes 3 arguments"},
		{"RATE(m1, m2)", "RATE takes 1 arguments"},
		{"FILL(m1, REPEATED)", "REPEATED is not an id"},
		{`SUM(METRICS("x)`, "is not closed"},
		{"m1 > 2 > 3", `unexpected ">"`},
		{"SUM([m1, m2)", `expected "]", not ")"`},
		{strings.Repeat("(", 100) + "m1" + strings.Repeat(")", 100), "nested too deeply"},
	} {
		_, err := parseMath(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.expr, err, tc.want)
		}
	}
}
