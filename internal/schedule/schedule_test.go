package schedule

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/awserr"
)

func TestParseErrors(t *testing.T) {
	tests := []struct{ expr, msg string }{
		{"", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"},
		{"0 10 * * ? *", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"},
		{"CRON(0 10 * * ? *)", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"},
		{" cron(0 10 * * ? *)", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"},
		{"cron(0 10 * * ? *) ", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"},
		{"cron (0 10 * * ? *)", "expected at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)"},
		{"cron(0 10 * * ?)", "cron() takes six fields (minutes hours day-of-month month day-of-week year), got 5"},
		{"cron(0 10 * * ? * *)", "cron() takes six fields (minutes hours day-of-month month day-of-week year), got 7"},
		{"cron()", "cron() takes six fields (minutes hours day-of-month month day-of-week year), got 0"},
		{"cron(0 10 * * * *)", "day-of-month and day-of-week cannot both be specified; use ? in one of them"},
		{"cron(30 6 * * 2 *)", "day-of-month and day-of-week cannot both be specified; use ? in one of them"},
		{"cron(0 0 * * L *)", "day-of-month and day-of-week cannot both be specified; use ? in one of them"},
		{"cron(0 10 ? * ? *)", "day-of-month and day-of-week cannot both be ?; use ? in one of them only"},
		{"cron(60 * * * ? *)", "minutes 60 is out of range 0-59"},
		{"cron(-1 * * * ? *)", `minutes "" is not a valid value`},
		{"cron(0,,1 * * * ? *)", `minutes "" is not a valid value`},
		{"cron(0 24 * * ? *)", "hours 24 is out of range 0-23"},
		{"cron(0 0 0 * ? *)", "day-of-month 0 is out of range 1-31"},
		{"cron(0 0 32 * ? *)", "day-of-month 32 is out of range 1-31"},
		{"cron(0 0 * 13 ? *)", "month 13 is out of range 1-12"},
		{"cron(0 0 * JANUARY ? *)", `month "JANUARY" is not a valid value`},
		{"cron(0 0 ? * 0 *)", "day-of-week 0 is out of range 1-7"},
		{"cron(0 0 ? * 8 *)", "day-of-week 8 is out of range 1-7"},
		{"cron(0 0 ? * SUNDAY *)", `day-of-week "SUNDAY" is not a valid value`},
		{"cron(0 0 * * ? 1969)", "year 1969 is out of range 1970-2199"},
		{"cron(0 0 * * ? 2200)", "year 2200 is out of range 1970-2199"},
		{"cron(0 0 * * ? 2025-2020)", `year "2025-2020": the range runs backwards`},
		{"cron(0 0 ? * 1/2 *)", `day-of-week "1/2": / is not allowed in day-of-week`},
		{"cron(0 0 ? * 3#6 *)", `day-of-week "3#6": the instance after # must be 1 to 5`},
		{"cron(0 0 ? * 3#0 *)", `day-of-week "3#0": the instance after # must be 1 to 5`},
		{"cron(0 0 ? * 3#1,6#3 *)", `day-of-week "3#1,6#3": the instance after # must be 1 to 5`},
		{"cron(0 0 ? * 9#1 *)", `day-of-week "9#1": # takes one day and its instance in the month, such as 3#2`},
		{"cron(0 0 ? * 2,L *)", `day-of-week "2,L": L follows a single day, such as 6L`},
		{"cron(0 0 ? * L,2 *)", `day-of-week "L": this wildcard is not allowed here`},
		{"cron(0 0 ? * 8L *)", `day-of-week "8L": L follows a single day, such as 6L`},
		{"cron(0 0 L,15 * ? *)", `day-of-month "L": this wildcard is not allowed here`},
		{"cron(0 0 1-5W * ? *)", `day-of-month "1-5W": W follows a single day, such as 15W`},
		{"cron(0 0 W * ? *)", `day-of-month "W": W follows a single day, such as 15W`},
		{"cron(0 0 L-3 * ? *)", `day-of-month "L": this wildcard is not allowed here`},
		{"cron(L 0 * * ? *)", `minutes "L": this wildcard is not allowed here`},
		{"cron(? 0 * * ? *)", `minutes "?": this wildcard is not allowed here`},
		{"cron(0 0 * ? ? *)", `month "?": this wildcard is not allowed here`},
		{"cron(0/0 * * * ? *)", `minutes "0/0": the increment after / must be a positive integer`},
		{"cron(0/x * * * ? *)", `minutes "0/x": the increment after / must be a positive integer`},
		{"cron(*/5/5 * * * ? *)", `minutes "*/5/5": the increment after / must be a positive integer`},
		{"cron(*-5 * * * ? *)", `minutes "*" is not a valid value`},
		{"cron(+5 * * * ? *)", `minutes "+5" is not a valid value`},
		{"cron(00005 * * * ? *)", `minutes "00005" is not a valid value`},
		{"rate(5 minute)", "rate() unit must be plural for a value greater than 1: rate(5 minutes)"},
		{"rate(1 minutes)", "rate() unit must be singular for a value of 1: rate(1 minute)"},
		{"rate(1 days)", "rate() unit must be singular for a value of 1: rate(1 day)"},
		{"rate(0 minutes)", `rate() value must be a positive integer, got "0"`},
		{"rate(-1 minutes)", `rate() value must be a positive integer, got "-1"`},
		{"rate(+2 minutes)", `rate() value must be a positive integer, got "+2"`},
		{"rate(05 minutes)", `rate() value must be a positive integer, got "05"`},
		{"rate(1.5 hours)", `rate() value must be a positive integer, got "1.5"`},
		{"rate(99999999999999999999 days)", `rate() value must be a positive integer, got "99999999999999999999"`},
		{"rate(999999999 days)", "rate() value 999999999 days is too large"},
		{"rate(5 seconds)", `rate() unit must be minute, minutes, hour, hours, day or days, got "seconds"`},
		{"rate(5 Minutes)", `rate() unit must be minute, minutes, hour, hours, day or days, got "Minutes"`},
		{"rate(5  minutes)", `rate() unit must be minute, minutes, hour, hours, day or days, got " minutes"`},
		{"rate(5)", `rate() takes a value and a unit, such as rate(5 minutes), got "5"`},
		{"rate()", `rate() takes a value and a unit, such as rate(5 minutes), got ""`},
		{"at(2024-13-01T00:00:00)", "at(2024-13-01T00:00:00) is not a valid date and time"},
		{"at(2023-02-29T00:00:00)", "at(2023-02-29T00:00:00) is not a valid date and time"},
		{"at(2024-01-01T24:00:00)", "at(2024-01-01T24:00:00) is not a valid date and time"},
		{"at(2024-01-01 00:00:00)", `at() takes a date and time as yyyy-mm-ddThh:mm:ss, got "2024-01-01 00:00:00"`},
		{"at(2024-01-01T00:00:00Z)", `at() takes a date and time as yyyy-mm-ddThh:mm:ss, got "2024-01-01T00:00:00Z"`},
		{"at(2024-01-01T00:00)", `at() takes a date and time as yyyy-mm-ddThh:mm:ss, got "2024-01-01T00:00"`},
		{"at(2024-01-01T00:00:00.5)", `at() takes a date and time as yyyy-mm-ddThh:mm:ss, got "2024-01-01T00:00:00.5"`},
		{"at(2024-1-01T00:00:00)", `at() takes a date and time as yyyy-mm-ddThh:mm:ss, got "2024-1-01T00:00:00"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.expr, s)
			}
			ae := awserr.As(err)
			if ae == nil {
				t.Fatalf("Parse(%q) error %v is not an awserr.Error", tt.expr, err)
			}
			got := awserr.Error{Code: ae.Code, Message: ae.Message, Status: ae.Status}
			want := awserr.Error{Code: "ValidationException", Message: "Invalid schedule expression: " + tt.msg, Status: http.StatusBadRequest}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) error (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		expr string
		want any
	}{
		{"at(2024-06-01T08:30:15)", At{Year: 2024, Month: 6, Day: 1, Hour: 8, Minute: 30, Second: 15}},
		{"rate(1 minute)", Rate{Value: 1, Unit: "minute", Interval: time.Minute}},
		{"rate(5 minutes)", Rate{Value: 5, Unit: "minutes", Interval: 5 * time.Minute}},
		{"rate(1 hour)", Rate{Value: 1, Unit: "hour", Interval: time.Hour}},
		{"rate(12 hours)", Rate{Value: 12, Unit: "hours", Interval: 12 * time.Hour}},
		{"rate(1 day)", Rate{Value: 1, Unit: "day", Interval: 24 * time.Hour}},
		{"rate(30 days)", Rate{Value: 30, Unit: "days", Interval: 30 * 24 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.expr {
				t.Errorf("String() = %q, want %q", s.String(), tt.expr)
			}
			var got any
			switch s := s.(type) {
			case *At:
				got = *s
			case *Rate:
				got = *s
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(At{}, Rate{}), cmp.FilterPath(
				func(p cmp.Path) bool { return p.Last().String() == ".expr" }, cmp.Ignore())); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAtNext(t *testing.T) {
	tests := []struct {
		name, expr, zone string
		from             time.Time
		want             string // UTC, or "none"
	}{
		{"UTC by default", "at(2024-06-01T08:30:00)", "", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "2024-06-01T08:30:00Z"},
		{"seconds kept", "at(2024-06-01T08:30:15)", "UTC", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "2024-06-01T08:30:15Z"},
		{"in the time zone", "at(2024-06-01T08:30:00)", "America/New_York", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "2024-06-01T12:30:00Z"},
		{"Etc/GMT-9 is UTC+9", "at(2024-06-01T09:00:00)", "Etc/GMT-9", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "2024-06-01T00:00:00Z"},
		{"strictly after", "at(2024-06-01T08:30:00)", "UTC", time.Date(2024, 6, 1, 8, 30, 0, 0, time.UTC), "none"},
		{"past", "at(2020-01-01T00:00:00)", "UTC", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), "none"},
		{"spring-forward gap runs at the shifted time", "at(2024-03-10T02:30:00)", "America/New_York", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "2024-03-10T07:30:00Z"},
		{"fall-back overlap runs at the first occurrence", "at(2024-11-03T01:30:00)", "America/New_York", time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC), "2024-11-03T05:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			if next, ok := s.Next(tt.from, loc); ok {
				got = next.UTC().Format(time.RFC3339)
			}
			if got != tt.want {
				t.Errorf("Next = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRate(t *testing.T) {
	s, err := Parse("rate(15 minutes)")
	if err != nil {
		t.Fatal(err)
	}
	r := s.(*Rate)
	start := time.Date(2024, 3, 10, 6, 50, 0, 0, time.UTC) // across New York's clock change
	ny, _ := LoadLocation("America/New_York")
	if got, _ := r.Next(start, ny); !got.Equal(start.Add(15 * time.Minute)) {
		t.Errorf("Next = %v, want start+15m", got)
	}
	tests := []struct {
		t    time.Time
		want time.Time
	}{
		{start.Add(-time.Hour), start},
		{start, start.Add(15 * time.Minute)},
		{start.Add(14 * time.Minute), start.Add(15 * time.Minute)},
		{start.Add(15 * time.Minute), start.Add(30 * time.Minute)},
		{start.Add(1000*time.Hour + time.Second), start.Add(1000*time.Hour + 15*time.Minute)},
		{start.AddDate(500, 0, 0), start.AddDate(500, 0, 0).Add(15 * time.Minute)},
	}
	for _, tt := range tests {
		if got := r.NextFrom(start, tt.t); !got.Equal(tt.want) {
			t.Errorf("NextFrom(start, %v) = %v, want %v", tt.t, got, tt.want)
		}
	}
	day, _ := Parse("rate(1 day)")
	if got, _ := day.Next(start, ny); got.Sub(start) != 24*time.Hour {
		t.Errorf("rate(1 day) is %v, want 24h whatever the clocks do", got.Sub(start))
	}
}

func TestLoadLocation(t *testing.T) {
	for _, name := range []string{"", "UTC", "America/New_York", "Etc/GMT+9", "Pacific/Tahiti", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "Europe/London"} {
		loc, err := LoadLocation(name)
		if err != nil || loc == nil {
			t.Errorf("LoadLocation(%q) = %v, %v", name, loc, err)
		}
	}
	if loc, _ := LoadLocation(""); loc != time.UTC {
		t.Errorf("LoadLocation(\"\") = %v, want UTC", loc)
	}
	for _, name := range []string{"Local", "Mars/Olympus_Mons", "+05:00", "america/new_york", "../etc/passwd", "/usr/share/zoneinfo/UTC", "America//New_York", "America/New_York ", "Etc/GMT+99", strings.Repeat("A", 100)} {
		_, err := LoadLocation(name)
		ae := awserr.As(err)
		if ae == nil || ae.Code != "ValidationException" || ae.Status != http.StatusBadRequest || !strings.HasPrefix(ae.Message, "Invalid Timezone: ") {
			t.Errorf("LoadLocation(%q) error = %v, want a ValidationException", name, err)
		}
	}
}
