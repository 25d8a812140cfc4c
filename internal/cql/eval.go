package cql

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// subject names the field of an instance a condition reads.
type subject int

const (
	subjAgentConnected subject = iota
	subjAgentVersion
	subjAttribute
	subjEC2InstanceID
	subjRegisteredAt
	subjRunningTasksCount
	subjTaskGroup
)

// opKind is a comparison operator.
type opKind int

const (
	opEq opKind = iota
	opNe
	opGt
	opGe
	opLt
	opLe
	opExists
	opNotExists
	opIn
	opNotIn
	opMatches
	opNotMatches
	opCount // the number of operators
)

// opSymbols and opWords are each operator's two spellings.
var (
	opSymbols = [opCount]string{"==", "!=", ">", ">=", "<", "<=", "exists", "!exists", "in", "!in", "=~", "!~"}
	opWords   = [opCount]string{"equals", "not_equals", "greater_than", "greater_than_equal", "less_than", "less_than_equal", "exists", "not_exists", "in", "not_in", "matches", "not_matches"}
)

// String returns the operator's symbol.
func (o opKind) String() string { return opSymbols[o] }

// opSet is a set of operators, one bit each.
type opSet uint16

// Operator sets of the subjects, as the developer guide lists them; task:group
// lists none there and takes the set-membership operators.
const (
	ordered   opSet = 1<<opEq | 1<<opNe | 1<<opGt | 1<<opGe | 1<<opLt | 1<<opLe
	listed    opSet = 1<<opEq | 1<<opNe | 1<<opIn | 1<<opNotIn | 1<<opMatches | 1<<opNotMatches
	existence opSet = 1<<opExists | 1<<opNotExists
)

// subjects describes each subject: its name and the operators it takes.
var subjects = [...]struct {
	name string
	ops  opSet
}{
	subjAgentConnected:    {"agentConnected", listed},
	subjAgentVersion:      {"agentVersion", ordered},
	subjAttribute:         {"attribute:", ordered | listed | existence},
	subjEC2InstanceID:     {"ec2InstanceId", listed},
	subjRegisteredAt:      {"registeredAt", ordered},
	subjRunningTasksCount: {"runningTasksCount", ordered},
	subjTaskGroup:         {"task:group", listed | existence},
}

// node is an element of a parsed expression: an andNode, orNode, notNode
// or *cond.
type node interface {
	usesTasks() bool
	String() string
}

// andNode matches when all its operands match.
type andNode []node

// orNode matches when any of its operands matches.
type orNode []node

// notNode matches when its operand does not.
type notNode struct{ n node }

// value is one argument of a condition, converted for its subject.
type value struct {
	raw string
	b   bool      // agentConnected
	n   int64     // runningTasksCount
	t   time.Time // registeredAt, in UTC
	day bool      // registeredAt was given as a date without a time
}

// cond is "subject operator [argument]".
type cond struct {
	subj subject
	attr string // the attribute name for subjAttribute
	op   opKind
	vals []value
	re   *regexp.Regexp // for =~ and !~
}

// match evaluates a node. It switches on the node's type rather than
// calling a method of the interface, so that i does not escape to the heap.
func match(n node, i *Instance) bool {
	switch n := n.(type) {
	case andNode:
		for _, c := range n {
			if !match(c, i) {
				return false
			}
		}
		return true
	case orNode:
		for _, c := range n {
			if match(c, i) {
				return true
			}
		}
		return false
	case notNode:
		return !match(n.n, i)
	}
	return n.(*cond).match(i)
}

func (n andNode) usesTasks() bool { return anyUsesTasks(n) }
func (n orNode) usesTasks() bool  { return anyUsesTasks(n) }
func (n notNode) usesTasks() bool { return n.n.usesTasks() }
func (c *cond) usesTasks() bool   { return c.subj == subjTaskGroup || c.subj == subjRunningTasksCount }

func anyUsesTasks(ns []node) bool {
	for _, n := range ns {
		if n.usesTasks() {
			return true
		}
	}
	return false
}

// match evaluates the condition. A single-valued subject the instance lacks
// (an unset attribute, agent version, EC2 instance ID or registration time)
// satisfies only !exists: like AWS's "attribute:stack != prod", which selects
// the instances that have a stack attribute whose value is not prod, the
// negated operators need the subject to be present.
func (c *cond) match(i *Instance) bool {
	if c.subj == subjTaskGroup {
		return c.matchGroups(i.TaskGroups)
	}
	s, present := c.lookup(i)
	switch {
	case c.op == opExists:
		return present
	case c.op == opNotExists:
		return !present
	case !present:
		return false
	}
	switch c.op {
	case opMatches:
		return c.re.MatchString(s)
	case opNotMatches:
		return !c.re.MatchString(s)
	case opEq, opIn:
		return c.anyEqual(i, s)
	case opNe, opNotIn:
		return !c.anyEqual(i, s)
	}
	d := c.compare(i, s, c.vals[0])
	switch c.op {
	case opGt:
		return d > 0
	case opGe:
		return d >= 0
	case opLt:
		return d < 0
	default: // opLe
		return d <= 0
	}
}

// lookup returns the subject's value as a string and whether it is set.
func (c *cond) lookup(i *Instance) (string, bool) {
	switch c.subj {
	case subjAgentConnected:
		return strconv.FormatBool(i.AgentConnected), true
	case subjAgentVersion:
		return i.AgentVersion, i.AgentVersion != ""
	case subjAttribute:
		v, ok := i.Attributes[c.attr]
		return v, ok
	case subjEC2InstanceID:
		return i.EC2InstanceID, i.EC2InstanceID != ""
	case subjRegisteredAt:
		return "", !i.RegisteredAt.IsZero()
	default: // subjRunningTasksCount
		return "", true
	}
}

// anyEqual reports whether the subject equals any of the condition's values.
func (c *cond) anyEqual(i *Instance, s string) bool {
	for _, v := range c.vals {
		var eq bool
		switch c.subj {
		case subjAgentConnected:
			eq = i.AgentConnected == v.b
		case subjAgentVersion, subjRegisteredAt, subjRunningTasksCount:
			eq = c.compare(i, s, v) == 0
		default:
			eq = s == v.raw
		}
		if eq {
			return true
		}
	}
	return false
}

// compare orders the subject against a value: agent versions component by
// component, registration times at the precision of the value (a date
// compares the day, in UTC), counts as integers, and attributes as numbers
// when both sides are numbers and as strings otherwise.
func (c *cond) compare(i *Instance, s string, v value) int {
	switch c.subj {
	case subjAgentVersion:
		return compareVersions(s, v.raw)
	case subjRegisteredAt:
		t := i.RegisteredAt.UTC()
		if v.day {
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
		return t.Truncate(time.Second).Compare(v.t)
	case subjRunningTasksCount:
		return cmp.Compare(int64(i.RunningTasksCount), v.n)
	}
	a, errA := strconv.ParseFloat(s, 64)
	b, errB := strconv.ParseFloat(v.raw, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(a, b)
	}
	return strings.Compare(s, v.raw)
}

// matchGroups evaluates a task:group condition against the groups with at
// least one task: exists means some group; ==, in and =~ mean some group
// matches; !=, !in and !~ mean some group and none matches.
func (c *cond) matchGroups(groups map[string]int) bool {
	some, hit := false, false
	for g, n := range groups {
		if n <= 0 {
			continue
		}
		some = true
		if c.op == opMatches || c.op == opNotMatches {
			hit = c.re.MatchString(g)
		} else {
			for _, v := range c.vals {
				hit = hit || v.raw == g
			}
		}
		if hit {
			break
		}
	}
	switch c.op {
	case opExists:
		return some
	case opNotExists:
		return !some
	case opEq, opIn, opMatches:
		return hit
	default:
		return some && !hit
	}
}

// compareVersions compares dotted versions component by component, numbers
// numerically and other components as strings; a missing component is 0.
func compareVersions(a, b string) int {
	for a != "" || b != "" {
		var x, y string
		x, a, _ = strings.Cut(a, ".")
		y, b, _ = strings.Cut(b, ".")
		if d := compareComponents(x, y); d != 0 {
			return d
		}
	}
	return 0
}

// compareComponents compares two version components.
func compareComponents(x, y string) int {
	if x == "" {
		x = "0"
	}
	if y == "" {
		y = "0"
	}
	if !isDigits(x) || !isDigits(y) {
		return strings.Compare(x, y)
	}
	x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
	if d := cmp.Compare(len(x), len(y)); d != 0 {
		return d
	}
	return strings.Compare(x, y)
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseDate parses a registeredAt value in one of AWS's formats:
// 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 (UTC)
// or 2018-06-18. It reports whether the value is a date without a time.
func parseDate(s string) (time.Time, bool, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	}
	return t.UTC().Truncate(time.Second), false, err
}
