package cloudwatch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// parseMath parses a metric math expression (mathexpr.go says which).
//
//	expr    = and { ("OR" | "||") and }
//	and     = cmp { ("AND" | "&&") cmp }
//	cmp     = sum [ ("==" | "!=" | "<" | ">" | "<=" | ">=") sum ]
//	sum     = product { ("+" | "-") product }
//	product = unary { ("*" | "/") unary }
//	unary   = "-" unary | "(" expr ")" | number | id | FUNCTION "(" args ")"
func parseMath(s string) (mathExpr, error) {
	p := &mathParser{src: s}
	if err := p.next(); err != nil {
		return nil, err
	}
	e, err := p.expr()
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

// next reads the next token: a number, a name, a quoted string, a
// two-character operator or one punctuation byte.
func (p *mathParser) next() error {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = ""
		return nil
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
	case c == '"' || c == '\'':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			return fmt.Errorf("the string %s is not closed", p.src[p.pos:])
		}
		p.pos += end + 2
	case p.pos+1 < len(p.src) && slices.Contains([]string{"==", "!=", "<=", ">=", "&&", "||"}, p.src[p.pos:p.pos+2]):
		p.pos += 2
	default:
		p.pos++
	}
	p.tok = p.src[start:p.pos]
	return nil
}

func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
func isLetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func (p *mathParser) expr() (mathExpr, error) {
	return p.binary([]string{"OR", "||"}, p.and)
}

func (p *mathParser) and() (mathExpr, error) {
	return p.binary([]string{"AND", "&&"}, p.cmp)
}

func (p *mathParser) cmp() (mathExpr, error) {
	l, err := p.sum()
	if err != nil || !slices.Contains([]string{"==", "!=", "<", ">", "<=", ">="}, p.tok) {
		return l, err
	}
	op := p.tok
	if err := p.next(); err != nil {
		return nil, err
	}
	r, err := p.sum()
	if err != nil {
		return nil, err
	}
	return binExpr{op: op, l: l, r: r}, nil
}

func (p *mathParser) sum() (mathExpr, error) {
	return p.binary([]string{"+", "-"}, p.product)
}

func (p *mathParser) product() (mathExpr, error) {
	return p.binary([]string{"*", "/"}, p.unary)
}

// binary parses operands joined by ops, left to right.
func (p *mathParser) binary(ops []string, operand func() (mathExpr, error)) (mathExpr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for slices.Contains(ops, p.tok) {
		op := p.tok
		switch op {
		case "||":
			op = "OR"
		case "&&":
			op = "AND"
		}
		if err := p.next(); err != nil {
			return nil, err
		}
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
		if err := p.next(); err != nil {
			return nil, err
		}
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return binExpr{op: "-", l: numExpr(0), r: e}, nil
	case tok == "(":
		if err := p.next(); err != nil {
			return nil, err
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case tok != "" && (isDigit(tok[0]) || tok[0] == '.'):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", tok)
		}
		return numExpr(f), p.next()
	case tok != "" && (isLetter(tok[0]) || tok[0] == '_'):
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok != "(" {
			if tok[0] < 'a' || tok[0] > 'z' {
				return nil, fmt.Errorf("%s is not an id: ids start with a lower-case letter", tok)
			}
			return idExpr(tok), nil
		}
		return p.call(tok)
	case tok == "":
		return nil, fmt.Errorf("the expression ends too soon")
	}
	return nil, fmt.Errorf("unexpected %q", p.tok)
}

// arity is how many arguments each function of one or more series takes.
var arity = map[string][2]int{
	"ABS": {1, 1}, "RATE": {1, 1}, "DIFF": {1, 1}, "DIFF_TIME": {1, 1}, "PERIOD": {1, 1},
	"FILL": {2, 2}, "IF": {2, 3},
}

// call parses a function's arguments; p.tok is its "(".
func (p *mathParser) call(fn string) (mathExpr, error) {
	if err := p.next(); err != nil {
		return nil, err
	}
	var e callExpr
	var err error
	switch fn {
	case "SUM", "AVG", "MIN", "MAX":
		e, err = p.aggregateArgs(fn)
	case "METRICS":
		return nil, fmt.Errorf("METRICS() may be used only as the argument of SUM, AVG, MIN or MAX")
	default:
		n, ok := arity[fn]
		if !ok {
			return nil, fmt.Errorf("Tide does not evaluate the function %s", fn)
		}
		e = callExpr{fn: fn}
		e.args, err = p.args(fn == "FILL")
		if err == nil && (len(e.args) < n[0] || len(e.args) > n[1]) {
			err = fmt.Errorf("%s takes %d arguments", fn, n[1])
		}
	}
	if err != nil {
		return nil, err
	}
	return e, p.expect(")")
}

// args parses comma-separated expressions; the second may be FILL's
// REPEAT or LINEAR when fill is set.
func (p *mathParser) args(fill bool) ([]mathExpr, error) {
	var out []mathExpr
	for {
		if fill && len(out) == 1 && (p.tok == "REPEAT" || p.tok == "LINEAR") {
			out = append(out, fillMode(p.tok))
			if err := p.next(); err != nil {
				return nil, err
			}
		} else {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		if p.tok != "," {
			return out, nil
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}

// aggregateArgs parses the argument of SUM, AVG, MIN or MAX: an array
// [a, b], METRICS() or METRICS("text"), or one series.
func (p *mathParser) aggregateArgs(fn string) (callExpr, error) {
	e := callExpr{fn: fn}
	switch p.tok {
	case "[":
		if err := p.next(); err != nil {
			return e, err
		}
		args, err := p.args(false)
		if err != nil {
			return e, err
		}
		e.args = args
		return e, p.expect("]")
	case "METRICS":
		filter, err := p.metrics()
		e.args = []mathExpr{filter}
		return e, err
	}
	arg, err := p.expr()
	e.args, e.overTime = []mathExpr{arg}, true
	return e, err
}

// metrics parses METRICS() or METRICS("text"); p.tok is METRICS.
func (p *mathParser) metrics() (metricsExpr, error) {
	if err := p.next(); err != nil {
		return "", err
	}
	if err := p.expect("("); err != nil {
		return "", err
	}
	filter := ""
	if t := p.tok; t != "" && (t[0] == '"' || t[0] == '\'') {
		filter = t[1 : len(t)-1]
		if err := p.next(); err != nil {
			return "", err
		}
	}
	return metricsExpr(filter), p.expect(")")
}

func (p *mathParser) expect(tok string) error {
	if p.tok != tok {
		if p.tok == "" {
			return fmt.Errorf("expected %q at the end", tok)
		}
		return fmt.Errorf("expected %q, not %q", tok, p.tok)
	}
	return p.next()
}
