// Package schedule parses and evaluates the schedule expressions of
// Application Auto Scaling's scheduled actions (PutScheduledAction's Schedule
// and Timezone) and answers one question about them: when does the action
// run next?
//
// Three forms are accepted, as AWS documents them:
//
//   - at(yyyy-mm-ddThh:mm:ss) runs once, at that wall-clock time in the
//     action's time zone.
//   - rate(value unit) runs every value units, counted from the action's
//     start; value is a positive integer and unit is minute, hour or day,
//     singular when value is 1 and plural otherwise ("rate(1 minute)",
//     "rate(5 minutes)"), as EventBridge insists.
//   - cron(minutes hours day-of-month month day-of-week year) runs at every
//     wall-clock minute in the action's time zone that matches all six fields
//     (see [Cron] for the field syntax, EventBridge's cron dialect).
//
// Keywords are lower case and nothing may surround the expression: " at(...)",
// "Cron(...)" and "rate(5 minutes) " are invalid, as on AWS.
//
// Time zones follow the IANA names PutScheduledAction accepts ([LoadLocation]).
// Daylight saving time is handled as EventBridge Scheduler documents it: a
// cron time that does not exist because the clocks spring forward is skipped
// that day; a cron time that exists twice because the clocks fall back runs
// once, at its first occurrence. rate() is a fixed duration (a day is 24
// hours) and ignores the time zone. An at() time inside a spring-forward gap
// (which AWS leaves undocumented) runs at the same instant the wall clock
// would show had it not jumped: 02:30 on a day New York skips 02:00-03:00
// runs at 03:30 EDT; an at() time inside a fall-back overlap runs at its
// first occurrence.
//
// Evaluation is exact over the whole range AWS allows (cron years 1970-2199)
// and bounded: Next never loops more than a fixed number of steps.
//
// Invalid expressions return a ValidationException ([awserr.Error], HTTP 400)
// whose message starts with "Invalid schedule expression", followed by what
// is wrong. AWS's exact wording is not documented; Tide's is a choice.
//
// This package is pure: no clock, store, logging or goroutines. It depends
// only on the standard library and internal/awserr.
package schedule

import (
	"strconv"
	"strings"
	"time"

	"tide/internal/awserr"
)

// Schedule is a parsed schedule expression.
type Schedule interface {
	// Next returns the first time strictly after t at which the action runs,
	// evaluated in loc (the action's Timezone; nil means UTC), or ok=false
	// when there is none. at() and cron() are wall-clock times in loc;
	// rate() is counted from t, which is taken to be the previous run or the
	// start (see [Rate]).
	Next(t time.Time, loc *time.Location) (next time.Time, ok bool)
	// String returns the expression as it was parsed.
	String() string
}

// Compile-time checks that the three forms are Schedules.
var (
	_ Schedule = (*At)(nil)
	_ Schedule = (*Rate)(nil)
	_ Schedule = (*Cron)(nil)
)

// Parse parses an Application Auto Scaling schedule expression: at(...),
// rate(...) or cron(...). The returned Schedule is an *[At], *[Rate] or
// *[Cron]. The error is a ValidationException ([awserr.Error]).
func Parse(expr string) (Schedule, error) {
	switch {
	case strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")"):
		return parseAt(expr, expr[len("at("):len(expr)-1])
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr, expr[len("rate("):len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr, expr[len("cron("):len(expr)-1])
	}
	return nil, invalid("expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)")
}

// invalid is the ValidationException for a bad expression.
func invalid(format string, args ...any) error {
	return awserr.Validation("Invalid schedule expression: "+format, args...)
}

// At is a one-time schedule: at(yyyy-mm-ddThh:mm:ss).
type At struct {
	expr string
	// Year, Month, Day, Hour, Minute and Second are the wall-clock time, in
	// the action's time zone.
	Year, Month, Day, Hour, Minute, Second int
}

// atLayout is the only form at() accepts; time.Parse alone would also take
// fractional seconds.
const atLayout = "2006-01-02T15:04:05"

func parseAt(expr, body string) (*At, error) {
	ok := len(body) == len(atLayout)
	for i := 0; ok && i < len(body); i++ {
		if atLayout[i] >= '0' && atLayout[i] <= '9' {
			ok = body[i] >= '0' && body[i] <= '9'
		} else {
			ok = body[i] == atLayout[i]
		}
	}
	if !ok {
		return nil, invalid("at() takes a date and time as yyyy-mm-ddThh:mm:ss, got %q", body)
	}
	t, err := time.Parse(atLayout, body)
	if err != nil {
		return nil, invalid("at(%s) is not a valid date and time", body)
	}
	return &At{expr: expr, Year: t.Year(), Month: int(t.Month()), Day: t.Day(),
		Hour: t.Hour(), Minute: t.Minute(), Second: t.Second()}, nil
}

// Time returns the instant the action runs when its time zone is loc (nil
// means UTC): the earliest instant whose wall clock in loc shows the at()
// time, or, if the clocks skip that time, the instant it would have been
// before they jumped.
func (a *At) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	w := wall{a.Year, a.Month, a.Day, a.Hour, a.Minute}
	if t, ok := resolve(w, loc); ok {
		return t.Add(time.Duration(a.Second) * time.Second)
	}
	return skipped(w, loc).Add(time.Duration(a.Second) * time.Second)
}

// Next returns the at() time if it is strictly after t.
func (a *At) Next(t time.Time, loc *time.Location) (time.Time, bool) {
	at := a.Time(loc)
	if !at.After(t) {
		return time.Time{}, false
	}
	return at, true
}

func (a *At) String() string { return a.expr }

// Rate is a recurring schedule at a fixed interval: rate(value unit). The
// time zone does not matter to it.
//
// AWS runs a rate() action first at its StartTime and then every Interval;
// Tide takes the action's creation time as the start when it has no
// StartTime. [Rate.Next] counts from the time it is given (the previous run);
// [Rate.NextFrom] counts from a fixed start and needs no memory of runs.
type Rate struct {
	expr string
	// Value and Unit are as written: 5 and "minutes".
	Value int64
	Unit  string
	// Interval is Value Units; a day is 24 hours.
	Interval time.Duration
}

// rateUnits maps the units rate() accepts to their length.
var rateUnits = map[string]time.Duration{
	"minute": time.Minute, "minutes": time.Minute,
	"hour": time.Hour, "hours": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour,
}

func parseRate(expr, body string) (*Rate, error) {
	value, unit, ok := strings.Cut(body, " ")
	if !ok || value == "" || unit == "" {
		return nil, invalid("rate() takes a value and a unit, such as rate(5 minutes), got %q", body)
	}
	size, ok := rateUnits[unit]
	if !ok {
		return nil, invalid("rate() unit must be minute, minutes, hour, hours, day or days, got %q", unit)
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n <= 0 || value[0] == '0' || value[0] == '+' {
		return nil, invalid("rate() value must be a positive integer, got %q", value)
	}
	if n > int64(maxDuration/size) {
		return nil, invalid("rate() value %d %s is too large", n, unit)
	}
	if singular := !strings.HasSuffix(unit, "s"); singular != (n == 1) {
		if n == 1 {
			return nil, invalid("rate() unit must be singular for a value of 1: rate(1 %s)", strings.TrimSuffix(unit, "s"))
		}
		return nil, invalid("rate() unit must be plural for a value greater than 1: rate(%d %ss)", n, unit)
	}
	return &Rate{expr: expr, Value: n, Unit: unit, Interval: time.Duration(n) * size}, nil
}

const maxDuration = time.Duration(1<<63 - 1)

// Next returns t plus the interval: t is the previous run (or the start).
func (r *Rate) Next(t time.Time, _ *time.Location) (time.Time, bool) {
	return t.Add(r.Interval), true
}

// NextFrom returns the first run strictly after t of a rate() action that
// runs at start and then every Interval.
func (r *Rate) NextFrom(start, t time.Time) time.Time {
	if t.Before(start) {
		return start
	}
	// t.Sub saturates beyond 292 years: advance in chunks until it does not.
	for range 64 {
		elapsed := t.Sub(start)
		start = start.Add(elapsed / r.Interval * r.Interval)
		if elapsed < maxDuration {
			break
		}
	}
	return start.Add(r.Interval)
}

func (r *Rate) String() string { return r.expr }

// LoadLocation resolves PutScheduledAction's Timezone: an IANA time zone name
// such as "America/New_York" or "Etc/GMT+9". An empty name means UTC, the
// default. Anything else ("Local", offsets such as "+05:00", unknown names)
// is a ValidationException. Time zone data is embedded in the binary, so the
// answer does not depend on the host.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" || !validZoneName(name) {
		return nil, invalidZone(name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, invalidZone(name)
	}
	return loc, nil
}

func invalidZone(name string) error {
	return awserr.Validation("Invalid Timezone: %s. Use an IANA time zone name such as America/New_York or Etc/GMT+9.", name)
}

// validZoneName reports whether name has the shape of an IANA zone name:
// letters, digits and "/_-+", no empty or dot-leading path elements.
func validZoneName(name string) bool {
	if len(name) > 64 {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part[0] == '.' || part[0] == '-' || part[0] == '+' {
			return false
		}
		for _, c := range part {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '_' || c == '-' || c == '+'
			if !ok {
				return false
			}
		}
	}
	return true
}
