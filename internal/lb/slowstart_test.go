package lb

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSlowStarts(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const window = 30 * time.Second
	for _, tc := range []struct {
		name  string
		since []time.Time
		ramps []bool
	}{
		{"the first target of an empty group", []time.Time{at(0)}, []bool{false}},
		{"targets healthy together in an empty group", []time.Time{at(0), at(0)}, []bool{false, false}},
		{"a target joining a settled one", []time.Time{at(0), at(40)}, []bool{false, true}},
		{"two targets joining a settled one", []time.Time{at(0), at(10), at(20)}, []bool{false, true, true}},
		{"a ramping target alone does not make the next ramp", []time.Time{at(5), at(0)}, []bool{true, false}},
		{"ramps over make the next ramp", []time.Time{at(0), at(10), at(45)}, []bool{false, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since := append([]time.Time(nil), tc.since...)
			slowStarts(since, window)
			var got []bool
			for _, s := range since {
				got = append(got, !s.IsZero())
			}
			if diff := cmp.Diff(tc.ramps, got); diff != "" {
				t.Errorf("in slow start (-want +got):\n%s", diff)
			}
		})
	}
}
