package cloudwatch

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The metric math a metric-math alarm's expression may use in Tide: numbers,
// the ids of the alarm's other queries, + - * / with parentheses and unary
// minus, ABS(x), FILL(x, number) and SUM, AVG, MIN, MAX over an array of
// series ([m1, m2]), each evaluated period by period. A missing datapoint
// makes the result of that period missing, except in FILL (which replaces
// it) and in the array functions (which skip it). Other CloudWatch
// functions are refused at PutMetricAlarm.

// series is one value per period, oldest first; NaN is missing.
type series []float64

// mathExpr is a parsed expression.
type mathExpr interface {
	eval(env map[string]series, n int) series
	refs(add func(string))
}

type numExpr float64

func (e numExpr) eval(_ map[string]series, n int) series {
	out := make(series, n)
	for i := range out {
		out[i] = float64(e)
	}
	return out
}
func (numExpr) refs(func(string)) {}

type idExpr string

func (e idExpr) eval(env map[string]series, n int) series {
	if s, ok := env[string(e)]; ok && len(s) == n {
		return s
	}
	return numExpr(math.NaN()).eval(nil, n)
}
func (e idExpr) refs(add func(string)) { add(string(e)) }

type binExpr struct {
	op   byte
	l, r mathExpr
}

func (e binExpr) eval(env map[string]series, n int) series {
	l, r := e.l.eval(env, n), e.r.eval(env, n)
	out := make(series, n)
	for i := range out {
		switch e.op {
		case '+':
			out[i] = l[i] + r[i]
		case '-':
			out[i] = l[i] - r[i]
		case '*':
			out[i] = l[i] * r[i]
		case '/':
			out[i] = l[i] / r[i]
		}
		if math.IsInf(out[i], 0) {
			out[i] = math.NaN() // division by zero: no datapoint
		}
	}
	return out
}
func (e binExpr) refs(add func(string)) { e.l.refs(add); e.r.refs(add) }

type callExpr struct {
	fn   string
	args []mathExpr
}

func (e callExpr) eval(env map[string]series, n int) series {
	out := make(series, n)
	switch e.fn {
	case "ABS":
		for i, v := range e.args[0].eval(env, n) {
			out[i] = math.Abs(v)
		}
	case "FILL":
		x, fill := e.args[0].eval(env, n), e.args[1].eval(env, n)
		for i, v := range x {
			out[i] = v
			if math.IsNaN(v) {
				out[i] = fill[i]
			}
		}
	default: // SUM, AVG, MIN, MAX over the array
		cols := make([]series, len(e.args))
		for j, a := range e.args {
			cols[j] = a.eval(env, n)
		}
		for i := range out {
			out[i] = aggregate(e.fn, cols, i)
		}
	}
	return out
}

func (e callExpr) refs(add func(string)) {
	for _, a := range e.args {
		a.refs(add)
	}
}

func aggregate(fn string, cols []series, i int) float64 {
	acc, k := 0.0, 0
	for _, c := range cols {
		v := c[i]
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
	if k == 0 {
		return math.NaN()
	}
	if fn == "AVG" {
		return acc / float64(k)
	}
	return acc
}

// parseMath parses an alarm expression.
func parseMath(s string) (mathExpr, error) {
	p := &mathParser{src: s}
	p.next()
	e, err := p.sum()
	if err != nil {
		return nil, err
	}
	if p.tok != "" {
		return nil, fmt.Errorf("unexpected %q", p.tok)
	}
	return e, nil
}

// maxDepth bounds nesting, so that no expression can exhaust the stack.
const maxDepth = 64

type mathParser struct {
	src   string
	pos   int
	tok   string // "" at the end
	depth int
}

// next reads the next token: a number, a name, or one punctuation byte.
func (p *mathParser) next() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = ""
		return
	}
	c := p.src[p.pos]
	switch {
	case isDigit(c) || c == '.':
		for p.pos < len(p.src) && (isDigit(p.src[p.pos]) || p.src[p.pos] == '.') {
			p.pos++
		}
	case isLetter(c) || c == '_':
		for p.pos < len(p.src) && (isDigit(p.src[p.pos]) || p.src[p.pos] == '_' || isLetter(p.src[p.pos])) {
			p.pos++
		}
	default:
		p.pos++
	}
	p.tok = p.src[start:p.pos]
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func (p *mathParser) sum() (mathExpr, error) {
	return p.binary("+-", p.product)
}

func (p *mathParser) product() (mathExpr, error) {
	return p.binary("*/", p.unary)
}

func (p *mathParser) binary(ops string, operand func() (mathExpr, error)) (mathExpr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for len(p.tok) == 1 && strings.Contains(ops, p.tok) {
		op := p.tok[0]
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *mathParser) unary() (mathExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, fmt.Errorf("the expression is nested too deeply")
	}
	switch tok := p.tok; {
	case tok == "-":
		p.next()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return binExpr{op: '-', l: numExpr(0), r: e}, nil
	case tok == "(":
		p.next()
		e, err := p.sum()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case tok != "" && (isDigit(tok[0]) || tok[0] == '.'):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", tok)
		}
		p.next()
		return numExpr(f), nil
	case tok != "" && (isLetter(tok[0]) || tok[0] == '_'):
		p.next()
		if p.tok != "(" {
			return idExpr(tok), nil
		}
		return p.call(tok)
	case tok == "":
		return nil, fmt.Errorf("the expression ends too soon")
	}
	return nil, fmt.Errorf("unexpected %q", p.tok)
}

// call parses a function's arguments; p.tok is its "(".
func (p *mathParser) call(fn string) (mathExpr, error) {
	p.next()
	var args []mathExpr
	switch fn {
	case "ABS", "FILL":
		for {
			e, err := p.sum()
			if err != nil {
				return nil, err
			}
			args = append(args, e)
			if p.tok != "," {
				break
			}
			p.next()
		}
		if want := map[string]int{"ABS": 1, "FILL": 2}[fn]; len(args) != want {
			return nil, fmt.Errorf("%s takes %d arguments", fn, want)
		}
	case "SUM", "AVG", "MIN", "MAX":
		if err := p.expect("["); err != nil {
			return nil, fmt.Errorf("%s takes an array of series, such as [m1, m2]", fn)
		}
		for {
			e, err := p.sum()
			if err != nil {
				return nil, err
			}
			args = append(args, e)
			if p.tok != "," {
				break
			}
			p.next()
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("Tide does not evaluate the function %s in alarms", fn)
	}
	return callExpr{fn: fn, args: args}, p.expect(")")
}

func (p *mathParser) expect(tok string) error {
	if p.tok != tok {
		if p.tok == "" {
			return fmt.Errorf("expected %q at the end", tok)
		}
		return fmt.Errorf("expected %q, not %q", tok, p.tok)
	}
	p.next()
	return nil
}
