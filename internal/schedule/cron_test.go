package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runs returns the next n run times after from, formatted in loc.
func runs(t *testing.T, expr, zone, from string, n int) []string {
	t.Helper()
	s, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	loc, err := LoadLocation(zone)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", zone, err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04:05", from, loc)
	if err != nil {
		t.Fatalf("from %q: %v", from, err)
	}
	var out []string
	for range n {
		next, ok := s.Next(at, loc)
		if !ok {
			out = append(out, "none")
			break
		}
		if !next.After(at) {
			t.Fatalf("%s: Next(%v) = %v, not after", expr, at, next)
		}
		out = append(out, next.In(loc).Format("2006-01-02 15:04 Mon MST"))
		at = next
	}
	return out
}

func TestCronNext(t *testing.T) {
	tests := []struct {
		expr, from string
		want       []string
	}{
		{"cron(0 10 * * ? *)", "2024-01-01 00:00:00", []string{
			"2024-01-01 10:00 Mon UTC", "2024-01-02 10:00 Tue UTC", "2024-01-03 10:00 Wed UTC"}},
		{"cron(15 12 * * ? *)", "2024-01-01 12:15:00", []string{ // strictly after
			"2024-01-02 12:15 Tue UTC", "2024-01-03 12:15 Wed UTC"}},
		{"cron(15 12 * * ? *)", "2024-01-01 12:14:59", []string{"2024-01-01 12:15 Mon UTC"}},
		{"cron(30 6 ? * MON *)", "2024-01-01 07:00:00", []string{ // AWS's example
			"2024-01-08 06:30 Mon UTC", "2024-01-15 06:30 Mon UTC"}},
		{"cron(0 18 ? * MON-FRI *)", "2024-01-05 19:00:00", []string{
			"2024-01-08 18:00 Mon UTC", "2024-01-09 18:00 Tue UTC", "2024-01-10 18:00 Wed UTC",
			"2024-01-11 18:00 Thu UTC", "2024-01-12 18:00 Fri UTC", "2024-01-15 18:00 Mon UTC"}},
		{"cron(0 8 1 * ? *)", "2024-01-15 00:00:00", []string{
			"2024-02-01 08:00 Thu UTC", "2024-03-01 08:00 Fri UTC"}},
		{"cron(0/15 * * * ? *)", "2024-01-01 00:07:00", []string{
			"2024-01-01 00:15 Mon UTC", "2024-01-01 00:30 Mon UTC", "2024-01-01 00:45 Mon UTC", "2024-01-01 01:00 Mon UTC"}},
		{"cron(1/20 * * * ? *)", "2024-01-01 00:00:00", []string{
			"2024-01-01 00:01 Mon UTC", "2024-01-01 00:21 Mon UTC", "2024-01-01 00:41 Mon UTC", "2024-01-01 01:01 Mon UTC"}},
		{"cron(*/30 9-10 * * ? *)", "2024-01-01 00:00:00", []string{
			"2024-01-01 09:00 Mon UTC", "2024-01-01 09:30 Mon UTC", "2024-01-01 10:00 Mon UTC", "2024-01-01 10:30 Mon UTC", "2024-01-02 09:00 Tue UTC"}},
		{"cron(0/10 * ? * MON-FRI *)", "2024-01-05 23:45:00", []string{
			"2024-01-05 23:50 Fri UTC", "2024-01-08 00:00 Mon UTC"}},
		{"cron(5,35 14 * * ? *)", "2024-01-01 14:10:00", []string{
			"2024-01-01 14:35 Mon UTC", "2024-01-02 14:05 Tue UTC"}},
		{"cron(15 10 ? * 6L 2022-2023)", "2022-01-01 00:00:00", []string{
			"2022-01-28 10:15 Fri UTC", "2022-02-25 10:15 Fri UTC", "2022-03-25 10:15 Fri UTC"}},
		{"cron(15 10 ? * 6L 2022-2023)", "2023-12-29 10:15:00", []string{"none"}},
		{"cron(0 0 L * ? *)", "2024-01-01 00:00:00", []string{
			"2024-01-31 00:00 Wed UTC", "2024-02-29 00:00 Thu UTC", "2024-03-31 00:00 Sun UTC", "2024-04-30 00:00 Tue UTC"}},
		{"cron(0 0 LW * ? *)", "2024-03-01 00:00:00", []string{
			"2024-03-29 00:00 Fri UTC", "2024-04-30 00:00 Tue UTC", "2024-05-31 00:00 Fri UTC",
			"2024-06-28 00:00 Fri UTC", "2024-07-31 00:00 Wed UTC", "2024-08-30 00:00 Fri UTC"}},
		{"cron(0 9 1W * ? *)", "2024-05-15 00:00:00", []string{
			"2024-06-03 09:00 Mon UTC", "2024-07-01 09:00 Mon UTC", "2024-08-01 09:00 Thu UTC", "2024-09-02 09:00 Mon UTC"}},
		{"cron(0 9 15W * ? *)", "2024-06-01 00:00:00", []string{
			"2024-06-14 09:00 Fri UTC", "2024-07-15 09:00 Mon UTC", "2024-08-15 09:00 Thu UTC", "2024-09-16 09:00 Mon UTC"}},
		{"cron(0 9 31W * ? *)", "2024-02-01 00:00:00", []string{
			"2024-03-29 09:00 Fri UTC", "2024-05-31 09:00 Fri UTC", "2024-07-31 09:00 Wed UTC"}},
		{"cron(0 12 ? * 2#1 *)", "2024-01-01 12:00:00", []string{
			"2024-02-05 12:00 Mon UTC", "2024-03-04 12:00 Mon UTC"}},
		{"cron(0 12 ? * FRI#5 *)", "2024-01-01 00:00:00", []string{
			"2024-03-29 12:00 Fri UTC", "2024-05-31 12:00 Fri UTC", "2024-08-30 12:00 Fri UTC", "2024-11-29 12:00 Fri UTC"}},
		{"cron(0 12 ? * L *)", "2024-01-01 00:00:00", []string{
			"2024-01-06 12:00 Sat UTC", "2024-01-13 12:00 Sat UTC"}},
		{"cron(0 12 29 FEB ? *)", "2024-03-01 00:00:00", []string{
			"2028-02-29 12:00 Tue UTC", "2032-02-29 12:00 Sun UTC"}},
		{"cron(0 0 1 1 ? 2025)", "2024-06-01 00:00:00", []string{"2025-01-01 00:00 Wed UTC", "none"}},
		{"cron(59 23 31 DEC ? 2199)", "2024-06-01 00:00:00", []string{"2199-12-31 23:59 Tue UTC", "none"}},
		{"cron(30 1 * * ? 1970)", "2024-01-01 00:00:00", []string{"none"}},
		{"cron(0 0 1 1 ? *)", "1900-06-01 00:00:00", []string{"1970-01-01 00:00 Thu UTC"}},
		{"cron(0 22-2 * * ? *)", "2024-01-01 12:00:00", []string{
			"2024-01-01 22:00 Mon UTC", "2024-01-01 23:00 Mon UTC", "2024-01-02 00:00 Tue UTC",
			"2024-01-02 01:00 Tue UTC", "2024-01-02 02:00 Tue UTC", "2024-01-02 22:00 Tue UTC"}},
		{"cron(0 0 ? * fri-mon *)", "2024-01-01 12:00:00", []string{ // wraps; names in any case
			"2024-01-05 00:00 Fri UTC", "2024-01-06 00:00 Sat UTC", "2024-01-07 00:00 Sun UTC", "2024-01-08 00:00 Mon UTC", "2024-01-12 00:00 Fri UTC"}},
		{"cron(0 0 1 JAN/3 ? *)", "2024-01-01 00:00:00", []string{
			"2024-04-01 00:00 Mon UTC", "2024-07-01 00:00 Mon UTC", "2024-10-01 00:00 Tue UTC", "2025-01-01 00:00 Wed UTC"}},
		{"cron(0 0 1 * ? 2030/50)", "2024-01-01 00:00:00", []string{"2030-01-01 00:00 Tue UTC"}},
		{"cron(0 0 ? * 1,7 *)", "2024-01-01 00:00:00", []string{
			"2024-01-06 00:00 Sat UTC", "2024-01-07 00:00 Sun UTC", "2024-01-13 00:00 Sat UTC"}},
		{"cron(0 0 10-12/2,20 * ? *)", "2024-01-01 00:00:00", []string{
			"2024-01-10 00:00 Wed UTC", "2024-01-12 00:00 Fri UTC", "2024-01-20 00:00 Sat UTC", "2024-02-10 00:00 Sat UTC"}},
		{"cron(0 0 30 2 ? *)", "2024-01-01 00:00:00", []string{"none"}}, // never: bounded, exact
		{"cron(0 0 ? 2 6#5 2027-2030)", "2024-01-01 00:00:00", []string{"none"}},
		{"cron(* * * * ? *)", "2024-01-01 00:00:30", []string{"2024-01-01 00:01 Mon UTC", "2024-01-01 00:02 Mon UTC"}},
		{"cron(00 09 * * ? *)", "2024-01-01 00:00:00", []string{"2024-01-01 09:00 Mon UTC"}},
		{"cron(0  10\t* * ?  *)", "2024-01-01 00:00:00", []string{"2024-01-01 10:00 Mon UTC"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"@"+tt.from, func(t *testing.T) {
			got := runs(t, tt.expr, "UTC", tt.from, len(tt.want))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCronDST: a time the clocks skip does not run that day; a time they
// repeat runs once, at its first occurrence (EventBridge Scheduler's rules).
func TestCronDST(t *testing.T) {
	tests := []struct {
		name, expr, zone, from string
		want                   []string
	}{
		{"spring forward skips 02:30", "cron(30 2 * * ? *)", "America/New_York", "2024-03-09 12:00:00", []string{
			"2024-03-11 02:30 Mon EDT", "2024-03-12 02:30 Tue EDT"}},
		{"spring forward half-hourly", "cron(0/30 * * * ? *)", "America/New_York", "2024-03-10 00:45:00", []string{
			"2024-03-10 01:00 Sun EST", "2024-03-10 01:30 Sun EST", "2024-03-10 03:00 Sun EDT", "2024-03-10 03:30 Sun EDT"}},
		{"03:00 exists on spring-forward day", "cron(0 3 * * ? *)", "America/New_York", "2024-03-09 12:00:00", []string{
			"2024-03-10 03:00 Sun EDT", "2024-03-11 03:00 Mon EDT"}},
		{"fall back runs 01:30 once", "cron(30 1 * * ? *)", "America/New_York", "2024-11-02 00:00:00", []string{
			"2024-11-02 01:30 Sat EDT", "2024-11-03 01:30 Sun EDT", "2024-11-04 01:30 Mon EST"}},
		{"fall back half-hourly", "cron(0/30 * * * ? *)", "America/New_York", "2024-11-03 00:45:00", []string{
			"2024-11-03 01:00 Sun EDT", "2024-11-03 01:30 Sun EDT", "2024-11-03 02:00 Sun EST", "2024-11-03 02:30 Sun EST"}},
		{"Europe spring forward", "cron(30 2 ? * SUN *)", "Europe/Berlin", "2024-03-24 12:00:00", []string{
			"2024-04-07 02:30 Sun CEST"}},
		{"Lord Howe half-hour shift", "cron(15 2 * * ? *)", "Australia/Lord_Howe", "2024-10-05 12:00:00", []string{
			"2024-10-07 02:15 Mon +11"}},
		{"Etc/GMT+9 is UTC-9", "cron(0 9 * * ? *)", "Etc/GMT+9", "2024-01-01 00:00:00", []string{
			"2024-01-01 09:00 Mon -09"}},
		{"Samoa skipped a whole day", "cron(0 12 * * ? *)", "Pacific/Apia", "2011-12-29 13:00:00", []string{
			"2011-12-31 12:00 Sat +14"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runs(t, tt.expr, tt.zone, tt.from, len(tt.want))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCronNextDuringRepeatedHour: asked from inside the repeated hour, the
// minutes already run in its first occurrence are not run again.
func TestCronNextDuringRepeatedHour(t *testing.T) {
	s, err := Parse("cron(30 1 * * ? *)")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := LoadLocation("America/New_York")
	first := time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC) // 01:30 EDT
	for _, from := range []time.Time{first, first.Add(10 * time.Minute), first.Add(70 * time.Minute)} {
		got, ok := s.Next(from, loc)
		want := time.Date(2024, 11, 4, 6, 30, 0, 0, time.UTC) // 01:30 EST
		if !ok || !got.Equal(want) {
			t.Errorf("Next(%v) = %v, %v; want %v", from, got, ok, want)
		}
	}
}
