// Package awsjson holds the pieces of AWS's JSON protocols (awsJson1.0 and 1.1)
// that several services share: timestamps as epoch seconds and strict decoding.
package awsjson

import (
	"math"
	"strconv"
	"time"
)

// Time is a timestamp that AWS JSON protocols encode as epoch seconds, with
// millisecond precision, as a JSON number.
type Time struct{ time.Time }

// At returns t as a *Time, or nil for the zero time.
func At(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{t}
}

// MarshalJSON encodes t as epoch seconds.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON accepts epoch seconds as a number (what AWS clients send).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return &TypeError{Value: string(b), Want: "Timestamp"}
	}
	if math.Abs(f) > 1e12 { // beyond year 33658: not a time any client sends
		return &TypeError{Value: string(b), Want: "Timestamp"}
	}
	// Round to microseconds: epoch seconds as a float64 carry no more.
	t.Time = time.UnixMicro(int64(math.Round(f * 1e6))).UTC()
	return nil
}

// TypeError reports a value of the wrong JSON type for a member.
type TypeError struct {
	Value string
	Want  string
}

func (e *TypeError) Error() string { return e.Value + " can not be converted to " + e.Want }
