package cql

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		name, expr, want string
	}{
		// The developer guide's examples.
		{"string equality", "attribute:ecs.instance-type == t2.small", "attribute:ecs.instance-type == t2.small"},
		{"argument list", "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"},
		{"compound", "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d", "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d"},
		{"task affinity", "task:group == service:production", "task:group == service:production"},
		{"task anti-affinity", "not(task:group == database)", "not task:group == database"},
		{"running tasks", "runningTasksCount == 1", "runningTasksCount == 1"},
		{"agent version", "agentVersion < 1.14.5", "agentVersion < 1.14.5"},
		{"registration date", "registeredAt < 2018-02-13", "registeredAt < 2018-02-13"},
		{"quoted list", "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", "ec2InstanceId in [i-abcd1234, i-wxyx7890]"},
		{"precedence", "(attribute:a == 1 or attribute:b == 2) and attribute:c == 3", "(attribute:a == 1 or attribute:b == 2) and attribute:c == 3"},
		// Other spellings.
		{"word operators", "attribute:a equals x AND attribute:b not_equals y Or attribute:c greater_than_equal 3", "attribute:a == x and attribute:b != y or attribute:c >= 3"},
		{"symbol booleans", "attribute:a exists && !attribute:b exists || attribute:c !exists", "attribute:a exists and not attribute:b exists or attribute:c !exists"},
		{"not in", "attribute:a !in [x] and attribute:b not_in [y, 'z w'] and attribute:c ! in [v]", "attribute:a !in [x] and attribute:b !in [y, 'z w'] and attribute:c !in [v]"},
		{"matches words", "ec2InstanceId matches i-.* and ec2InstanceId not_matches 'i-0.*'", "ec2InstanceId =~ i-.* and ec2InstanceId !~ i-0.*"},
		{"no spaces", "attribute:a==x&&attribute:b!=y", "attribute:a == x and attribute:b != y"},
		{"timestamps", "registeredAt >= 2018-06-18T22:28:28+00:00 and registeredAt <= 2018-06-18T22:28:28Z and registeredAt > '2018-06-18T22:28:28'", "registeredAt >= 2018-06-18T22:28:28+00:00 and registeredAt <= 2018-06-18T22:28:28Z and registeredAt > 2018-06-18T22:28:28"},
		{"quotes kept where needed", `attribute:a == "it's" and attribute:b == '' and attribute:c == 'a b'`, `attribute:a == "it's" and attribute:b == '' and attribute:c == 'a b'`},
		{"keyword as value", "attribute:a == and", "attribute:a == and"},
		{"agent connected", "agentConnected == TRUE or agentConnected in [false]", "agentConnected == TRUE or agentConnected in [false]"},
		{"or inside or flattens", "(attribute:a == 1 or attribute:b == 2) or attribute:c == 3", "attribute:a == 1 or attribute:b == 2 or attribute:c == 3"},
		{"not of or", "!(attribute:a == 1 or attribute:b == 2)", "not(attribute:a == 1 or attribute:b == 2)"},
		{"double not", "not not attribute:a exists", "not not attribute:a exists"},
		{"task group exists", "task:group exists", "task:group exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			if diff := cmp.Diff(tt.want, e.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
			again, err := Parse(e.String())
			if err != nil {
				t.Fatalf("Parse(String()) = %v", err)
			}
			if diff := cmp.Diff(e.String(), again.String()); diff != "" {
				t.Errorf("String() does not round-trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "attribute:a exists" + strings.Repeat(")", MaxDepth+1)
	tests := []struct {
		name, expr string
		want       SyntaxError
	}{
		{"empty", "  ", SyntaxError{2, "empty expression"}},
		{"too long", "attribute:a == " + strings.Repeat("x", MaxLength), SyntaxError{MaxLength, "expression is longer than 2000 characters"}},
		{"unknown subject", "instanceType == t2.small", SyntaxError{0, `unknown subject "instanceType", want agentConnected, agentVersion, attribute:NAME, ec2InstanceId, registeredAt, runningTasksCount or task:group`}},
		{"bad attribute name", "attribute:a*b exists", SyntaxError{0, `invalid attribute name "a*b"`}},
		{"empty attribute name", "attribute: exists", SyntaxError{0, `invalid attribute name ""`}},
		{"missing operator", "attribute:a", SyntaxError{11, `unexpected end of expression, want an operator after attribute:a`}},
		{"missing value", "attribute:a ==", SyntaxError{14, `unexpected end of expression, want a value after ==`}},
		{"operator not valid", "runningTasksCount in [1]", SyntaxError{18, `operator in is not valid for runningTasksCount`}},
		{"exists on agent", "agentVersion exists", SyntaxError{13, `operator exists is not valid for agentVersion`}},
		{"order on ec2 id", "ec2InstanceId > i-1", SyntaxError{14, `operator > is not valid for ec2InstanceId`}},
		{"list without brackets", "attribute:a in x", SyntaxError{15, `unexpected "x", want "[" to start the list after in`}},
		{"empty list", "attribute:a in []", SyntaxError{16, `unexpected "]", want a list value`}},
		{"unclosed list", "attribute:a in [x, y", SyntaxError{20, `unexpected end of expression, want "," or "]"`}},
		{"unclosed paren", "(attribute:a exists", SyntaxError{19, `unexpected end of expression, want ")"`}},
		{"stray close", "attribute:a exists)", SyntaxError{18, `unexpected ")", want "and", "or" or end of expression`}},
		{"trailing word", "attribute:a == x y", SyntaxError{17, `unexpected "y", want "and", "or" or end of expression`}},
		{"dangling and", "attribute:a exists and", SyntaxError{22, `unexpected end of expression, want a subject such as attribute:NAME`}},
		{"unterminated quote", "attribute:a == 'x", SyntaxError{15, `unterminated quoted value`}},
		{"single ampersand", "attribute:a exists & attribute:b exists", SyntaxError{19, `unexpected character '&'`}},
		{"lone equals", "attribute:a = x", SyntaxError{12, `unexpected character '='`}},
		{"bad bool", "agentConnected == yes", SyntaxError{18, `agentConnected compares with true or false, not "yes"`}},
		{"bad count", "runningTasksCount > many", SyntaxError{20, `runningTasksCount compares with an integer, not "many"`}},
		{"bad date", "registeredAt < 2018-13-01", SyntaxError{15, `registeredAt compares with a date such as 2018-06-18 or 2018-06-18T22:28:28Z, not "2018-13-01"`}},
		{"bad pattern", "attribute:a =~ 'x{2000}'", SyntaxError{15, "invalid pattern \"x{2000}\": error parsing regexp: invalid repeat count: `{2000}`"}},
		{"too deep", deep, SyntaxError{MaxDepth, "expression is nested more than 32 deep"}},
		{"not without operand", "not", SyntaxError{3, `unexpected end of expression, want a subject such as attribute:NAME`}},
		{"bang alone as operator", "attribute:a ! x", SyntaxError{12, `unexpected "!", want an operator after attribute:a`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.expr)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.expr, err)
			}
			if diff := cmp.Diff(tt.want, *se); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse("attribute:a ==")
	want := "invalid expression: unexpected end of expression, want a value after == at offset 14"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %q", err, want)
	}
}

func TestUsesTasks(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"attribute:a exists", false},
		{"attribute:a exists and not(task:group == x)", true},
		{"agentConnected == true or runningTasksCount < 3", true},
		{"not registeredAt > 2020-01-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.UsesTasks(); got != tt.want {
				t.Errorf("UsesTasks() = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that it fails only with a
// *SyntaxError, that an accepted expression can be matched, and that its
// canonical form parses back to the same canonical form.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
		"not(task:group == database) || runningTasksCount >= 2",
		"agentVersion < 1.14.5 && !(registeredAt < 2018-02-13)",
		"ec2InstanceId in ['i-abcd1234', \"i-wxyx7890\"]",
		"attribute:stack !exists or agentConnected == true",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %v is not a *SyntaxError", s, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Parse(%q) error offset %d is outside the expression", s, se.Offset)
			}
			return
		}
		for _, i := range fleet {
			e.Match(i)
		}
		canon := e.String()
		if len(canon) > MaxLength {
			return // spelled out, a long expression may outgrow the limit
		}
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) canonical form %q does not parse: %v", s, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form of %q is unstable: %q then %q", s, canon, again.String())
		}
	})
}
