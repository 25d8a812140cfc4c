package schedule

import (
	"strconv"
	"strings"
)

// Cron is a recurring schedule: cron(minutes hours day-of-month month
// day-of-week year), EventBridge's cron dialect, which Application Auto
// Scaling uses. The six fields are separated by white space:
//
//	field          values           wildcards
//	minutes        0-59             , - * /
//	hours          0-23             , - * /
//	day-of-month   1-31             , - * ? / L W
//	month          1-12 or JAN-DEC  , - * /
//	day-of-week    1-7 or SUN-SAT   , - * ? L #
//	year           1970-2199        , - * /
//
// A field is a comma-separated list of items; an item is * (every value), a
// value, a range a-b, or either followed by /n (every nth value from the
// start of the range; "*/n" and "a/n" run to the end of the field). Ranges
// in the cyclic fields may wrap ("22-2" hours, "FRI-MON"); year ranges may
// not. Names are case-insensitive. Day-of-week 1 is Sunday.
//
// Exactly one of day-of-month and day-of-week is ?, which means "any": AWS
// refuses both a day-of-month and a day-of-week, and both ?. The special
// forms stand alone in their field, not in lists or ranges:
//
//   - day-of-month L: the last day of the month; LW: the last weekday
//     (Monday-Friday) of the month; nW: the weekday nearest day n, never
//     crossing into another month (1W on a Saturday is Monday the 3rd; 31W
//     on a Sunday is Friday the 29th; no run in months shorter than n days).
//   - day-of-week L: Saturday, the last day of the week; nL: the last day n
//     of the month (6L is the last Friday); n#k: the kth day n of the month,
//     k from 1 to 5 (2#1 is the first Monday; no run in months without a
//     fifth one).
//
// Tide accepts what this table and EventBridge's reference allow and refuses
// the rest; in particular / in day-of-week and Quartz's "L-n" offsets are
// refused.
type Cron struct {
	expr    string
	minutes bitset
	hours   bitset
	months  bitset
	years   bitset
	dom     domSpec
	dow     dowSpec
}

func (c *Cron) String() string { return c.expr }

// bitset holds the values of one field, by their offset from the field's
// lowest value.
type bitset [4]uint64

func (b *bitset) set(v int)     { b[v/64] |= 1 << (v % 64) }
func (b bitset) has(v int) bool { return v >= 0 && v < 256 && b[v/64]&(1<<(v%64)) != 0 }

// field describes one cron field's values.
type field struct {
	name   string
	lo, hi int
	names  []string // names[i] is value lo+i; nil when the field has none
	cyclic bool     // ranges may wrap around
}

var (
	minuteField = field{name: "minutes", lo: 0, hi: 59, cyclic: true}
	hourField   = field{name: "hours", lo: 0, hi: 23, cyclic: true}
	domField    = field{name: "day-of-month", lo: 1, hi: 31, cyclic: true}
	monthField  = field{name: "month", lo: 1, hi: 12, cyclic: true,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}}
	dowField = field{name: "day-of-week", lo: 1, hi: 7, cyclic: true,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}}
	yearField = field{name: "year", lo: minYear, hi: maxYear}
)

// The years a cron expression may name.
const (
	minYear = 1970
	maxYear = 2199
)

// domKind is how day-of-month selects days.
type domKind int

const (
	domAny         domKind = iota // ?
	domSet                        // values, ranges, lists, *
	domLast                       // L
	domLastWeekday                // LW
	domNearWeekday                // nW
)

type domSpec struct {
	kind domKind
	set  bitset
	n    int // the day of nW
}

// dowKind is how day-of-week selects days.
type dowKind int

const (
	dowAny  dowKind = iota // ?
	dowSet                 // values, ranges, lists, *, L (Saturday)
	dowLast                // nL
	dowNth                 // n#k
)

type dowSpec struct {
	kind dowKind
	set  bitset // offset 0 is Sunday
	day  int    // 1-7 for nL and n#k
	nth  int    // k of n#k
}

func parseCron(expr, body string) (*Cron, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, invalid("cron() takes six fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &Cron{expr: expr}
	var err error
	if c.minutes, err = parseSet(f[0], minuteField); err != nil {
		return nil, err
	}
	if c.hours, err = parseSet(f[1], hourField); err != nil {
		return nil, err
	}
	if c.dom, err = parseDOM(f[2]); err != nil {
		return nil, err
	}
	if c.months, err = parseSet(f[3], monthField); err != nil {
		return nil, err
	}
	if c.dow, err = parseDOW(f[4]); err != nil {
		return nil, err
	}
	if c.years, err = parseSet(f[5], yearField); err != nil {
		return nil, err
	}
	switch anyDOM, anyDOW := c.dom.kind == domAny, c.dow.kind == dowAny; {
	case anyDOM && anyDOW:
		return nil, invalid("day-of-month and day-of-week cannot both be ?; use ? in one of them only")
	case !anyDOM && !anyDOW:
		return nil, invalid("day-of-month and day-of-week cannot both be specified; use ? in one of them")
	}
	return c, nil
}

func parseDOM(s string) (domSpec, error) {
	switch {
	case s == "?":
		return domSpec{kind: domAny}, nil
	case s == "L":
		return domSpec{kind: domLast}, nil
	case s == "LW":
		return domSpec{kind: domLastWeekday}, nil
	case strings.HasSuffix(s, "W"):
		n, err := parseValue(s[:len(s)-1], domField)
		if err != nil {
			return domSpec{}, invalid("day-of-month %q: W follows a single day, such as 15W", s)
		}
		return domSpec{kind: domNearWeekday, n: n}, nil
	}
	set, err := parseSet(s, domField)
	return domSpec{kind: domSet, set: set}, err
}

func parseDOW(s string) (dowSpec, error) {
	switch {
	case s == "?":
		return dowSpec{kind: dowAny}, nil
	case s == "L":
		var set bitset
		set.set(7 - dowField.lo)
		return dowSpec{kind: dowSet, set: set}, nil
	case strings.HasSuffix(s, "L"):
		d, err := parseValue(s[:len(s)-1], dowField)
		if err != nil {
			return dowSpec{}, invalid("day-of-week %q: L follows a single day, such as 6L", s)
		}
		return dowSpec{kind: dowLast, day: d}, nil
	case strings.Contains(s, "#"):
		day, nth, _ := strings.Cut(s, "#")
		d, err := parseValue(day, dowField)
		if err != nil {
			return dowSpec{}, invalid("day-of-week %q: # takes one day and its instance in the month, such as 3#2", s)
		}
		k, err := strconv.Atoi(nth)
		if err != nil || len(nth) != 1 || k < 1 || k > 5 {
			return dowSpec{}, invalid("day-of-week %q: the instance after # must be 1 to 5", s)
		}
		return dowSpec{kind: dowNth, day: d, nth: k}, nil
	}
	if strings.Contains(s, "/") {
		return dowSpec{}, invalid("day-of-week %q: / is not allowed in day-of-week", s)
	}
	set, err := parseSet(s, dowField)
	return dowSpec{kind: dowSet, set: set}, err
}

// parseSet parses a list of *, values and ranges, each optionally /n.
func parseSet(s string, f field) (bitset, error) {
	var set bitset
	for item := range strings.SplitSeq(s, ",") {
		if err := addItem(&set, item, f); err != nil {
			return bitset{}, err
		}
	}
	return set, nil
}

func addItem(set *bitset, item string, f field) error {
	rng, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 || len(stepText) > 4 {
			return invalid("%s %q: the increment after / must be a positive integer", f.name, item)
		}
		step = n
	}
	lo, hi := f.lo, f.hi
	switch a, b, isRange := strings.Cut(rng, "-"); {
	case rng == "*":
	case isRange:
		var err error
		if lo, err = parseValue(a, f); err != nil {
			return err
		}
		if hi, err = parseValue(b, f); err != nil {
			return err
		}
		if hi < lo && !f.cyclic {
			return invalid("%s %q: the range runs backwards", f.name, item)
		}
	default:
		v, err := parseValue(rng, f)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	// Walk the range, wrapping past the top of a cyclic field.
	size := f.hi - f.lo + 1
	count := (hi-lo+size)%size + 1
	for i := 0; i < count; i += step {
		set.set((lo - f.lo + i) % size)
	}
	return nil
}

// parseValue parses one number or name of field f.
func parseValue(s string, f field) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.lo + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] < '0' || s[0] > '9' || len(s) > 4 {
		if s == "?" || s == "L" || s == "W" || s == "LW" || strings.Contains(s, "#") {
			return 0, invalid("%s %q: this wildcard is not allowed here", f.name, s)
		}
		return 0, invalid("%s %q is not a valid value", f.name, s)
	}
	if v < f.lo || v > f.hi {
		return 0, invalid("%s %d is out of range %d-%d", f.name, v, f.lo, f.hi)
	}
	return v, nil
}
