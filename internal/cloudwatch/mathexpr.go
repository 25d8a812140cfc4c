package cloudwatch

import (
	"math"
	"strings"
)

// The metric math Tide evaluates, in GetMetricData and in metric-math
// alarms, period by period on one grid:
//
//   - numbers, the ids of the request's other queries, + - * / with
//     parentheses and unary minus;
//   - comparisons == != < > <= >= (1 when true, 0 when false) joined with
//     AND (&&) and OR (||);
//   - ABS(x), RATE(x) (change per second since the previous datapoint),
//     DIFF(x) (change since the previous datapoint), DIFF_TIME(x) (seconds
//     since the previous datapoint), PERIOD(x) (the period in seconds),
//     IF(condition, x[, y]), FILL(x, value | REPEAT | LINEAR);
//   - SUM, AVG, MIN and MAX of an array, period by period: [m1, m2], or
//     METRICS() (every MetricStat query of the request) or METRICS("text")
//     (those whose Id contains text); of one series they give its value
//     over the whole range, as a constant (m1 - AVG(m1)).
//
// A missing datapoint makes the result of its period missing, except in
// FILL (which replaces it), in the array functions (which skip it) and in
// IF's unchosen branch. Division by zero gives no datapoint. METRICS() may
// be used only as the argument of SUM, AVG, MIN or MAX: Tide returns one
// series per expression. Other CloudWatch functions (SEARCH, ANOMALY_...,
// the string and time functions) are refused.

// series is one value per period, oldest first; NaN is missing.
type series []float64

func missingSeries(n int) series {
	s := make(series, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

// mathEnv is what an expression is evaluated against.
type mathEnv struct {
	vars    map[string]series  // the referenced queries' values, by id
	periods map[string]float64 // the referenced queries' own periods in seconds, when known
	n       int                // periods in the grid
	period  float64            // the grid's period in seconds
	metrics []string           // the ids of the request's MetricStat queries, for METRICS()
}

// mathExpr is a parsed expression.
type mathExpr interface {
	eval(env *mathEnv) series
	// refs calls add with every id the expression reads; metrics are the
	// request's MetricStat ids, which METRICS() reads.
	refs(metrics []string, add func(string))
}

type numExpr float64

func (e numExpr) eval(env *mathEnv) series {
	out := make(series, env.n)
	for i := range out {
		out[i] = float64(e)
	}
	return out
}
func (numExpr) refs([]string, func(string)) {}

type idExpr string

func (e idExpr) eval(env *mathEnv) series {
	if s, ok := env.vars[string(e)]; ok && len(s) == env.n {
		return s
	}
	return missingSeries(env.n)
}
func (e idExpr) refs(_ []string, add func(string)) { add(string(e)) }

// metricsExpr is METRICS(filter): the MetricStat queries whose Id contains
// the filter. It is evaluated only by the array functions.
type metricsExpr string

func (e metricsExpr) ids(metrics []string) []string {
	var out []string
	for _, id := range metrics {
		if strings.Contains(id, string(e)) {
			out = append(out, id)
		}
	}
	return out
}
func (e metricsExpr) eval(env *mathEnv) series { return missingSeries(env.n) }
func (e metricsExpr) refs(metrics []string, add func(string)) {
	for _, id := range e.ids(metrics) {
		add(id)
	}
}

type binExpr struct {
	op   string
	l, r mathExpr
}

func (e binExpr) eval(env *mathEnv) series {
	l, r := e.l.eval(env), e.r.eval(env)
	out := make(series, env.n)
	for i := range out {
		out[i] = binary(e.op, l[i], r[i])
	}
	return out
}
func (e binExpr) refs(m []string, add func(string)) { e.l.refs(m, add); e.r.refs(m, add) }

// binary applies op; a missing operand, division by zero and overflow give
// no datapoint.
func binary(op string, a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	var v float64
	switch op {
	case "+":
		v = a + b
	case "-":
		v = a - b
	case "*":
		v = a * b
	case "/":
		v = a / b
	case "==", "!=", "<", ">", "<=", ">=", "AND", "OR":
		return truth(compare(op, a, b))
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return math.NaN()
	}
	return v
}

func compare(op string, a, b float64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case ">":
		return a > b
	case "<=":
		return a <= b
	case ">=":
		return a >= b
	case "AND":
		return a != 0 && b != 0
	}
	return a != 0 || b != 0 // OR
}

func truth(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

type callExpr struct {
	fn   string
	args []mathExpr
	// overTime marks SUM, AVG, MIN or MAX of one series: its value over
	// the whole range rather than period by period.
	overTime bool
}

func (e callExpr) refs(m []string, add func(string)) {
	for _, a := range e.args {
		a.refs(m, add)
	}
}

func (e callExpr) eval(env *mathEnv) series {
	switch e.fn {
	case "ABS":
		out := e.args[0].eval(env)
		return mapSeries(out, math.Abs)
	case "RATE", "DIFF", "DIFF_TIME":
		return deltas(e.fn, e.args[0].eval(env), env.period)
	case "PERIOD":
		p := env.period
		if id, ok := e.args[0].(idExpr); ok && env.periods[string(id)] > 0 {
			p = env.periods[string(id)]
		}
		return numExpr(p).eval(env)
	case "IF":
		return e.ifElse(env)
	case "FILL":
		return e.fill(env)
	}
	return e.aggregate(env) // SUM, AVG, MIN, MAX
}

func mapSeries(s series, f func(float64) float64) series {
	out := make(series, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

func (e callExpr) ifElse(env *mathEnv) series {
	cond, yes := e.args[0].eval(env), e.args[1].eval(env)
	no := missingSeries(env.n)
	if len(e.args) == 3 {
		no = e.args[2].eval(env)
	}
	out := missingSeries(env.n)
	for i, c := range cond {
		switch {
		case math.IsNaN(c):
		case c != 0:
			out[i] = yes[i]
		default:
			out[i] = no[i]
		}
	}
	return out
}

// deltas is RATE, DIFF or DIFF_TIME: each datapoint against the previous
// one in the range; the first has none.
func deltas(fn string, x series, period float64) series {
	out := missingSeries(len(x))
	prev := -1
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		if prev >= 0 {
			dt := float64(i-prev) * period
			switch fn {
			case "DIFF":
				out[i] = v - x[prev]
			case "DIFF_TIME":
				out[i] = dt
			default: // RATE
				out[i] = (v - x[prev]) / dt
			}
		}
		prev = i
	}
	return out
}

// fillMode is FILL's REPEAT or LINEAR.
type fillMode string

func (fillMode) eval(env *mathEnv) series    { return missingSeries(env.n) }
func (fillMode) refs([]string, func(string)) {}

// fill is FILL(x, value | REPEAT | LINEAR): REPEAT carries the last
// datapoint forward, LINEAR interpolates between the datapoints around a
// gap; gaps with no datapoint before them stay missing.
func (e callExpr) fill(env *mathEnv) series {
	x := e.args[0].eval(env)
	out := make(series, len(x))
	copy(out, x)
	mode, ok := e.args[1].(fillMode)
	if !ok {
		with := e.args[1].eval(env)
		for i, v := range x {
			if math.IsNaN(v) {
				out[i] = with[i]
			}
		}
		return out
	}
	prev := -1
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		for j := prev + 1; prev >= 0 && j < i; j++ {
			out[j] = x[prev]
			if mode == "LINEAR" {
				out[j] = x[prev] + (v-x[prev])*float64(j-prev)/float64(i-prev)
			}
		}
		prev = i
	}
	for j := prev + 1; prev >= 0 && mode == "REPEAT" && j < len(x); j++ {
		out[j] = x[prev]
	}
	return out
}

// aggregate is SUM, AVG, MIN or MAX: of an array period by period,
// skipping missing datapoints, or of one series over the whole range.
func (e callExpr) aggregate(env *mathEnv) series {
	var cols []series
	if m, ok := e.args[0].(metricsExpr); ok && len(e.args) == 1 {
		for _, id := range m.ids(env.metrics) {
			cols = append(cols, idExpr(id).eval(env))
		}
	} else {
		for _, a := range e.args {
			cols = append(cols, a.eval(env))
		}
	}
	if e.overTime {
		return numExpr(combine(e.fn, cols[0])).eval(env)
	}
	out := make(series, env.n)
	row := make([]float64, len(cols))
	for i := range out {
		for j, c := range cols {
			row[j] = c[i]
		}
		out[i] = combine(e.fn, row)
	}
	return out
}

// combine is SUM, AVG, MIN or MAX of the values that are not missing.
func combine(fn string, vs []float64) float64 {
	acc, k := 0.0, 0
	for _, v := range vs {
		if math.IsNaN(v) {
			continue
		}
		switch {
		case k == 0:
			acc = v
		case fn == "MIN":
			acc = math.Min(acc, v)
		case fn == "MAX":
			acc = math.Max(acc, v)
		default:
			acc += v
		}
		k++
	}
	if k == 0 || math.IsInf(acc, 0) {
		return math.NaN()
	}
	if fn == "AVG" {
		return acc / float64(k)
	}
	return acc
}
