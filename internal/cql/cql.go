// Package cql parses and evaluates the Amazon ECS cluster query language, the
// expressions of memberOf placement constraints and of ListContainerInstances
// filters, such as
//
//	attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d
//
// It is a pure package: it depends on no store, clock or network, and an
// expression is matched against an Instance value that the caller builds.
//
// The grammar follows the AWS developer guide ("Create expressions to define
// container instances for Amazon ECS tasks"):
//
//	expr     = and { ("or" | "||") and }
//	and      = unary { ("and" | "&&") unary }
//	unary    = ("not" | "!") unary | "(" expr ")" | cond
//	cond     = subject operator [ value | "[" value { "," value } "]" ]
//	subject  = agentConnected | agentVersion | attribute:NAME | ec2InstanceId
//	         | registeredAt | runningTasksCount | task:group
//	operator = == | != | > | >= | < | <= | exists | !exists | in | !in | =~ | !~
//	         | equals | not_equals | greater_than | greater_than_equal
//	         | less_than | less_than_equal | not_exists | not_in
//	         | matches | not_matches
//
// Values are bare words or are quoted with ' or " (without escapes); a value
// holding white space or any of ()[],'"=!<>~&| must be quoted. Keywords are
// matched without regard to case; subjects and values are case-sensitive.
//
// Where the guide is silent, Tide chooses:
//   - =~ and !~ take a regular expression in Go's RE2 syntax (AWS documents
//     Java's, of which RE2 is nearly a subset) that must match the whole
//     value, as Java's String.matches does: "g2.*" matches "g2.2xlarge",
//     "g2" does not.
//   - A single-valued subject the instance lacks satisfies only !exists;
//     the negated operators !=, !in and !~ need it present, as the guide's
//     "attribute:stack != prod" selects instances that have a stack
//     attribute other than prod. not(...) selects the complement.
//   - task:group is the set of groups with tasks on the instance: ==, in and
//     =~ hold when some group matches, !=, !in and !~ when there is some
//     group and none matches.
//   - agentVersion compares dotted versions numerically (1.9.0 < 1.14.5);
//     attributes compare as numbers when both sides are numbers, else as
//     strings; registeredAt compares at the precision of the value, so a
//     date compares the UTC day.
package cql

import (
	"fmt"
	"strings"
	"time"
)

// MaxLength is the longest expression Parse accepts, in bytes; it is the
// length limit of the expression field of the ECS PlacementConstraint shape.
const MaxLength = 2000

// MaxDepth is the deepest nesting of parentheses and negations Parse accepts.
const MaxDepth = 32

// Instance is what an expression can see of a container instance.
type Instance struct {
	// Attributes holds the instance's attributes by name; an attribute
	// registered without a value maps to "".
	Attributes map[string]string
	// AgentConnected reports whether the instance's agent is connected.
	AgentConnected bool
	// AgentVersion is the agent's version, such as "1.14.5".
	AgentVersion string
	// EC2InstanceID is the instance's ec2InstanceId, empty if it has none.
	EC2InstanceID string
	// RegisteredAt is when the instance registered.
	RegisteredAt time.Time
	// RunningTasksCount is the number of tasks running on the instance.
	RunningTasksCount int
	// TaskGroups maps a task group name to the number of the instance's
	// tasks in that group; groups with a count of zero are ignored.
	TaskGroups map[string]int
}

// Expr is a parsed expression. It is immutable and safe for concurrent use.
type Expr struct {
	root node
}

// SyntaxError is the error Parse returns for an expression it rejects.
type SyntaxError struct {
	// Offset is the byte offset in the expression where the problem is.
	Offset int
	// Msg says what is wrong.
	Msg string
}

// Error returns a message that names the problem and where it is.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid expression: %s at offset %d", e.Msg, e.Offset)
}

// Parse parses an expression. The error, always a *SyntaxError, says what is
// wrong and where.
func Parse(expr string) (*Expr, error) {
	if len(expr) > MaxLength {
		return nil, &SyntaxError{Offset: MaxLength, Msg: fmt.Sprintf("expression is longer than %d characters", MaxLength)}
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Expr{root: root}, nil
}

// Match reports whether the instance satisfies the expression.
func (e *Expr) Match(i Instance) bool {
	return match(e.root, &i)
}

// UsesTasks reports whether the expression reads task:group or
// runningTasksCount, whose values change as tasks are placed; the result for
// an instance that receives no task does not change.
func (e *Expr) UsesTasks() bool {
	return e.root.usesTasks()
}

// String returns the expression in canonical form: keywords lower-case,
// operators in symbol form, values quoted where needed. Parsing it yields an
// equivalent expression.
func (e *Expr) String() string {
	return e.root.String()
}

// String joins the operands with "and", parenthesising any "or" among them.
func (n andNode) String() string {
	parts := make([]string, len(n))
	for k, c := range n {
		parts[k] = c.String()
		if _, ok := c.(orNode); ok {
			parts[k] = "(" + parts[k] + ")"
		}
	}
	return strings.Join(parts, " and ")
}

// String joins the operands with "or".
func (n orNode) String() string {
	parts := make([]string, len(n))
	for k, c := range n {
		parts[k] = c.String()
	}
	return strings.Join(parts, " or ")
}

// String writes "not" before the operand, parenthesising an "and" or "or".
func (n notNode) String() string {
	switch n.n.(type) {
	case andNode, orNode:
		return "not(" + n.n.String() + ")"
	}
	return "not " + n.n.String()
}

// String writes "subject operator [argument]".
func (c *cond) String() string {
	var b strings.Builder
	b.WriteString(c.subjectName())
	b.WriteString(" ")
	b.WriteString(c.op.String())
	switch c.op {
	case opExists, opNotExists:
	case opIn, opNotIn:
		b.WriteString(" [")
		for k, v := range c.vals {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(v.raw))
		}
		b.WriteString("]")
	default:
		b.WriteString(" ")
		b.WriteString(quote(c.vals[0].raw))
	}
	return b.String()
}

// subjectName returns the subject as written in an expression.
func (c *cond) subjectName() string {
	if c.subj == subjAttribute {
		return "attribute:" + c.attr
	}
	return subjects[c.subj].name
}

// quote returns s as a bare word when it lexes as one, else quoted with '
// or, when s holds a ', with ".
func quote(s string) string {
	bare := s != ""
	for i := 0; bare && i < len(s); i++ {
		bare = !isSpace(s[i]) && strings.IndexByte(wordBreak, s[i]) < 0
	}
	switch {
	case bare:
		return s
	case strings.Contains(s, "'"):
		return `"` + s + `"`
	}
	return "'" + s + "'"
}
