package schedule

import (
	"testing"
	"time"
)

// FuzzParseNext: no expression, time or time zone makes Parse or Next panic
// or loop; what Next returns is strictly after the time it was asked about,
// and a cron() run falls on a whole minute.
func FuzzParseNext(f *testing.F) {
	for _, s := range []string{
		"cron(0 10 * * ? *)", "cron(0/15 * * * ? *)", "cron(0 0 LW * ? *)", "cron(0 9 31W * ? *)",
		"cron(0 12 ? * 6#5 *)", "cron(0 12 ? * 6L 2022-2023)", "cron(0 22-2 ? * FRI-MON *)",
		"cron(30 2 * * ? *)", "cron(0 0 30 2 ? *)", "cron(59 23 31 DEC ? 2199)", "cron(* * * * ? *)",
		"rate(1 minute)", "rate(7 days)", "at(2024-03-10T02:30:00)", "at(1969-12-31T23:59:59)",
		"cron(0 0 * * * *)", "cron(", "rate(", "at()", "cron(1-/ * * * ? *)", "cron(0 0 ? * 3#1,6#3 *)",
	} {
		f.Add(s, int64(1710000000), "America/New_York")
	}
	f.Add("cron(0/30 * * * ? *)", int64(1730611800), "America/New_York")
	f.Add("cron(0 12 * * ? *)", int64(1325160000), "Pacific/Apia")
	f.Add("cron(15 2 * * ? *)", int64(1728100000), "Australia/Lord_Howe")
	f.Fuzz(func(t *testing.T, expr string, unix int64, zone string) {
		s, err := Parse(expr)
		if err != nil {
			return
		}
		_ = s.String()
		loc, err := LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		at := time.Unix(unix%(1<<36), 0) // about ±2000 years
		for range 3 {
			next, ok := s.Next(at, loc)
			if !ok {
				return
			}
			if !next.After(at) {
				t.Fatalf("%s: Next(%v) = %v, not after", expr, at, next)
			}
			if _, isCron := s.(*Cron); isCron && (next.Second() != 0 || next.Nanosecond() != 0) {
				t.Fatalf("%s: Next(%v) = %v, not on a minute", expr, at, next)
			}
			at = next
		}
	})
}

// FuzzLoadLocation: no name makes LoadLocation panic or open a file outside
// the time zone database.
func FuzzLoadLocation(f *testing.F) {
	for _, s := range []string{"", "UTC", "Local", "America/New_York", "../../etc/passwd", "Etc/GMT+9", "a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		loc, err := LoadLocation(name)
		if err == nil && loc == nil {
			t.Fatalf("LoadLocation(%q) = nil, nil", name)
		}
	})
}

// BenchmarkNextNever is the slowest case: an expression that never runs is
// searched to the end of year 2199.
func BenchmarkNextNever(b *testing.B) {
	s, err := Parse("cron(0 0 31 2,4,6,9,11 ? *)")
	if err != nil {
		b.Fatal(err)
	}
	loc, _ := LoadLocation("America/New_York")
	from := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, ok := s.Next(from, loc); ok {
			b.Fatal("ran")
		}
	}
}
