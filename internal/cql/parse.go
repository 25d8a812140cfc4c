package cql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// parser turns tokens into a tree of nodes by recursive descent.
type parser struct {
	toks  []token
	pos   int
	depth int
}

// peek returns the current token without consuming it.
func (p *parser) peek() token { return p.toks[p.pos] }

// next consumes and returns the current token; it stays on tokEOF.
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// errorf returns a SyntaxError at the token.
func errorf(t token, format string, args ...any) error {
	return &SyntaxError{Offset: t.pos, Msg: fmt.Sprintf(format, args...)}
}

// parse parses a whole expression.
func (p *parser) parse() (node, error) {
	if p.peek().kind == tokEOF {
		return nil, errorf(p.peek(), "empty expression")
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errorf(t, "unexpected %s, want \"and\", \"or\" or end of expression", t.describe())
	}
	return n, nil
}

// parseOr parses operands joined by "or" or "||".
func (p *parser) parseOr() (node, error) {
	var terms orNode
	for {
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if t := p.peek(); !t.is("or") && !t.is("||") {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

// parseAnd parses operands joined by "and" or "&&".
func (p *parser) parseAnd() (node, error) {
	var terms andNode
	for {
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
		if t := p.peek(); !t.is("and") && !t.is("&&") {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

// parseUnary parses a negation, a parenthesised expression or a condition.
func (p *parser) parseUnary() (node, error) {
	t := p.peek()
	isNot, isParen := t.is("not") || t.is("!"), t.is("(")
	if !isNot && !isParen {
		return p.parseCond()
	}
	if p.depth++; p.depth > MaxDepth {
		return nil, errorf(t, "expression is nested more than %d deep", MaxDepth)
	}
	defer func() { p.depth-- }()
	p.next()
	if isNot {
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if c := p.next(); !c.is(")") {
		return nil, errorf(c, "unexpected %s, want \")\"", c.describe())
	}
	return n, nil
}

// parseCond parses "subject operator [argument]".
func (p *parser) parseCond() (node, error) {
	st := p.next()
	if st.kind != tokWord {
		return nil, errorf(st, "unexpected %s, want a subject such as attribute:NAME", st.describe())
	}
	c := &cond{}
	if err := c.setSubject(st); err != nil {
		return nil, err
	}
	ot := p.next()
	op, ok := p.operator(ot)
	if !ok {
		return nil, errorf(ot, "unexpected %s, want an operator after %s", ot.describe(), c.subjectName())
	}
	if subjects[c.subj].ops&(1<<op) == 0 {
		return nil, errorf(ot, "operator %s is not valid for %s", op, c.subjectName())
	}
	c.op = op
	switch op {
	case opExists, opNotExists:
		return c, nil
	case opIn, opNotIn:
		return c, p.parseList(c)
	}
	vt := p.next()
	if vt.kind != tokWord && vt.kind != tokString {
		return nil, errorf(vt, "unexpected %s, want a value after %s", vt.describe(), op)
	}
	return c, c.addValue(vt)
}

// operator reads an operator starting at t, consuming a following "in" or
// "exists" when t is "!".
func (p *parser) operator(t token) (opKind, bool) {
	if t.is("!") {
		if n := p.peek(); n.is("in") || n.is("exists") {
			p.next()
			if n.is("in") {
				return opNotIn, true
			}
			return opNotExists, true
		}
		return 0, false
	}
	for op := range opCount {
		if (t.kind == tokSymbol && t.text == op.String()) || (t.kind == tokWord && strings.EqualFold(t.text, opWords[op])) {
			return op, true
		}
	}
	return 0, false
}

// parseList parses "[" value { "," value } "]" into the condition's values.
func (p *parser) parseList(c *cond) error {
	if t := p.next(); !t.is("[") {
		return errorf(t, "unexpected %s, want \"[\" to start the list after %s", t.describe(), c.op)
	}
	for {
		vt := p.next()
		if vt.kind != tokWord && vt.kind != tokString {
			return errorf(vt, "unexpected %s, want a list value", vt.describe())
		}
		if err := c.addValue(vt); err != nil {
			return err
		}
		switch sep := p.next(); {
		case sep.is("]"):
			return nil
		case !sep.is(","):
			return errorf(sep, "unexpected %s, want \",\" or \"]\"", sep.describe())
		}
	}
}

// attributeName matches a valid attribute name: letters, digits, hyphens,
// underscores, slashes, back slashes and periods, 1 to 128 of them.
var attributeName = regexp.MustCompile(`^[A-Za-z0-9_./\\-]{1,128}$`)

// setSubject sets the condition's subject from its token.
func (c *cond) setSubject(t token) error {
	if name, ok := strings.CutPrefix(t.text, "attribute:"); ok {
		if !attributeName.MatchString(name) {
			return errorf(t, "invalid attribute name %q", name)
		}
		c.subj, c.attr = subjAttribute, name
		return nil
	}
	for s, info := range subjects {
		if subject(s) != subjAttribute && t.text == info.name {
			c.subj = subject(s)
			return nil
		}
	}
	return errorf(t, "unknown subject %q, want agentConnected, agentVersion, attribute:NAME, ec2InstanceId, registeredAt, runningTasksCount or task:group", t.text)
}

// addValue converts a value token for the condition's subject and operator
// and appends it.
func (c *cond) addValue(t token) error {
	v := value{raw: t.text}
	var err error
	switch {
	case c.op == opMatches || c.op == opNotMatches:
		c.re, err = regexp.Compile(`^(?:` + t.text + `)$`)
		if err != nil {
			return errorf(t, "invalid pattern %q: %v", t.text, err)
		}
	case c.subj == subjAgentConnected:
		switch strings.ToLower(t.text) {
		case "true":
			v.b = true
		case "false":
		default:
			return errorf(t, "agentConnected compares with true or false, not %q", t.text)
		}
	case c.subj == subjRunningTasksCount:
		v.n, err = strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return errorf(t, "runningTasksCount compares with an integer, not %q", t.text)
		}
	case c.subj == subjRegisteredAt:
		v.t, v.day, err = parseDate(t.text)
		if err != nil {
			return errorf(t, "registeredAt compares with a date such as 2018-06-18 or 2018-06-18T22:28:28Z, not %q", t.text)
		}
	}
	c.vals = append(c.vals, v)
	return nil
}
