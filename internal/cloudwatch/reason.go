package cloudwatch

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The words AWS's state reasons use for each comparison.
var comparisonWords = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

// inlineMax is the longest list of datapoints a reason names right after
// its count ("2 out of the last 2 datapoints [a, b] were ..."); longer
// lists are cut to the newest five after the threshold ("... The most
// recent datapoints which crossed the threshold: [...]"), as AWS does.
const (
	inlineMax = 4
	recentMax = 5
)

// thresholdReason is AWS's "Threshold Crossed" reason for a move to state
// (ALARM or OK) decided by vs (oldest first; missing ones filled in):
//
//	Threshold Crossed: 3 out of the last 3 datapoints [85.0 (22/11/26 10:02:00), ...] were greater than the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition).
//	Threshold Crossed: 1 out of the last 3 datapoints [65.0 (22/11/26 10:02:00)] was not greater than the threshold (70.0) (minimum 1 datapoint for ALARM -> OK transition).
//
// and, for alarms without DatapointsToAlarm, AWS's older wording:
//
//	Threshold Crossed: 1 datapoint [85.0 (22/11/26 10:01:00)] was greater than the threshold (70.0).
//	Threshold Crossed: 5 datapoints were greater than the threshold (70.0). The most recent datapoints which crossed the threshold: [...].
func thresholdReason(r Rule, state string, vs []verdict) string {
	want := state == StateAlarm
	count, filled := 0, 0
	var listed []Datapoint // newest first
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if v.breaches != want {
			continue
		}
		count++
		if v.real {
			listed = append(listed, v.point)
		} else {
			filled++
		}
	}
	cmp := comparisonWords[r.ComparisonOperator]
	if !want {
		cmp = "not " + cmp
	}
	threshold := "the threshold (" + javaDouble(r.Threshold) + ")"
	var b strings.Builder
	b.WriteString("Threshold Crossed: ")
	if r.DatapointsToAlarm == 0 {
		if count == 1 && len(listed) == 1 {
			b.WriteString("1 datapoint " + pointList(listed) + " was " + cmp + " " + threshold + ".")
		} else {
			b.WriteString(plural(count, "datapoint") + " " + wasWere(count) + " " + cmp + " " + threshold + ".")
			if len(listed) > 0 {
				b.WriteString(" The most recent datapoints which crossed the threshold: " + pointList(listed[:min(len(listed), recentMax)]) + ".")
			}
		}
	} else {
		b.WriteString(strconv.Itoa(count) + " out of the last " + strconv.Itoa(r.EvaluationPeriods) + " datapoints")
		inline := len(listed) <= inlineMax
		if inline && len(listed) > 0 {
			b.WriteString(" " + pointList(listed))
		}
		b.WriteString(" " + wasWere(count) + " " + cmp + " " + threshold)
		if !inline {
			b.WriteString(". The most recent datapoints which crossed the threshold: " + pointList(listed[:recentMax]))
		}
		minimum, transition := r.m(), "OK -> ALARM"
		if !want {
			minimum, transition = r.EvaluationPeriods-r.m()+1, "ALARM -> OK"
		}
		b.WriteString(" (minimum " + plural(minimum, "datapoint") + " for " + transition + " transition).")
	}
	if filled > 0 {
		kind := "[Breaching]"
		if !want {
			kind = "[NonBreaching]"
		}
		b.WriteString(" " + plural(filled, "missing datapoint") + " " + wasWere(filled) + " treated as " + kind + ".")
	}
	return b.String()
}

// pointList is "[85.0 (22/11/26 10:01:00), 80.0 (22/11/26 10:00:00)]".
func pointList(ps []Datapoint) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = javaDouble(p.Value) + " (" + p.Time.UTC().Format("02/01/06 15:04:05") + ")"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// reasonData is AWS's StateReasonData JSON: the evaluated datapoints
// (newest first, missing ones with their timestamp only) and the query
// that produced them. real is oldest first.
func reasonData(r Rule, now time.Time, real []Datapoint, missing []time.Time) string {
	var b strings.Builder
	b.WriteString(`{"version":"1.0","queryDate":"` + awsTime(now) + `"`)
	if len(real) > 0 {
		b.WriteString(`,"startDate":"` + awsTime(real[0].Time) + `"`)
	}
	if r.Unit != "" {
		b.WriteString(`,"unit":` + jsonString(r.Unit))
	}
	switch {
	case r.Statistic != "":
		b.WriteString(`,"statistic":` + jsonString(r.Statistic))
	case r.ExtendedStatistic != "":
		b.WriteString(`,"extendedStatistic":` + jsonString(r.ExtendedStatistic))
	}
	b.WriteString(`,"period":` + strconv.FormatInt(int64(r.Period/time.Second), 10))
	b.WriteString(`,"recentDatapoints":[`)
	for i, p := range real {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(javaDouble(p.Value))
	}
	b.WriteString(`],"threshold":` + javaDouble(r.Threshold))
	b.WriteString(`,"evaluatedDatapoints":[`)
	for i, e := range evaluatedEntries(real, missing) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.json)
	}
	b.WriteString(`]}`)
	return b.String()
}

type evaluatedEntry struct {
	t    time.Time
	json string
}

// evaluatedEntries merges real datapoints and missing periods, newest
// first.
func evaluatedEntries(real []Datapoint, missing []time.Time) []evaluatedEntry {
	var out []evaluatedEntry
	for _, p := range real {
		s := `{"timestamp":"` + awsTime(p.Time) + `"`
		if p.SampleCount > 0 {
			s += `,"sampleCount":` + javaDouble(p.SampleCount)
		}
		out = append(out, evaluatedEntry{p.Time, s + `,"value":` + javaDouble(p.Value) + `}`})
	}
	for _, t := range missing {
		out = append(out, evaluatedEntry{t, `{"timestamp":"` + awsTime(t) + `"}`})
	}
	// Newest first; the lists are short.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].t.After(out[j-1].t); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// awsTime is how CloudWatch writes times inside its JSON documents:
// "2022-11-26T10:01:00.000+0000".
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// javaDouble writes f as Java's Double.toString does, which is how
// CloudWatch writes numbers in reasons and JSON documents: "70.0",
// "0.01575357001274824", "1.0E7", "1.0E-4".
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.2345E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
