package metrics

import (
	"strconv"
	"strings"
)

// stat computes one statistic of a period's aggregate.
type stat struct {
	needsDist bool
	eval      func(a *agg) (float64, bool)
}

// ParseStat parses a CloudWatch statistic: SampleCount, Sum, Average,
// Minimum, Maximum, or an extended statistic: pNN (percentile), tmNN
// (trimmed mean of the lowest NN%), wmNN (winsorized mean), tcNN (trimmed
// count), tsNN (trimmed sum), IQM (tm of 25%:75%), the range forms
// TM(a%:b%), WM(a%:b%), TC(a%:b%) and TS(a%:b%), and PR(n:m) (the
// percentage of values in (n, m]). Percentiles and the trimmed statistics
// come from the values' distribution, with 1% relative accuracy, kept
// within the observed minimum and maximum. As in CloudWatch, a period with
// data sent as statistic sets (other than sets of one value) has no value
// for them, nor has one with a negative value for percentiles.
func ParseStat(s string) (stat, bool) {
	switch s {
	case "SampleCount":
		return stat{eval: func(a *agg) (float64, bool) { return a.count, true }}, true
	case "Sum":
		return stat{eval: func(a *agg) (float64, bool) { return a.sum, true }}, true
	case "Average":
		return stat{eval: func(a *agg) (float64, bool) { return a.sum / a.count, a.count > 0 }}, true
	case "Minimum":
		return stat{eval: func(a *agg) (float64, bool) { return a.min, true }}, true
	case "Maximum":
		return stat{eval: func(a *agg) (float64, bool) { return a.max, true }}, true
	case "IQM":
		return trimmed("tm", 0.25, 0.75), true
	}
	if len(s) > 1 && s[0] == 'p' {
		p, ok := percent(s[1:])
		if !ok {
			return stat{}, false
		}
		return stat{needsDist: true, eval: func(a *agg) (float64, bool) {
			if !a.complete() || a.min < 0 { // CloudWatch has no percentiles of negative values
				return 0, false
			}
			return a.quantile(p), true
		}}, true
	}
	for _, kind := range []string{"tm", "wm", "tc", "ts"} {
		if rest, ok := strings.CutPrefix(s, kind); ok {
			p, ok := percent(rest)
			if !ok {
				return stat{}, false
			}
			return trimmed(kind, 0, p), true
		}
		if rest, ok := strings.CutPrefix(s, strings.ToUpper(kind)+"("); ok && strings.HasSuffix(rest, ")") {
			lo, hi, ok := rangeOf(strings.TrimSuffix(rest, ")"), true)
			if !ok {
				return stat{}, false
			}
			return trimmed(kind, lo, hi), true
		}
	}
	if rest, ok := strings.CutPrefix(s, "PR("); ok && strings.HasSuffix(rest, ")") {
		lo, hi, ok := rangeOf(strings.TrimSuffix(rest, ")"), false)
		if !ok {
			return stat{}, false
		}
		return stat{needsDist: true, eval: func(a *agg) (float64, bool) {
			if !a.complete() {
				return 0, false
			}
			in := 0.0
			for _, b := range a.dist.bins {
				if v := binValue(b.k); v > lo && v <= hi {
					in += b.n
				}
			}
			return in / a.raw * 100, true
		}}, true
	}
	return stat{}, false
}

// complete tells whether the distribution holds every value of the period:
// CloudWatch gives no percentile of data sent as statistic sets (but for
// sets of one value: a SampleCount of 1, or Minimum equal to Maximum).
func (a *agg) complete() bool {
	return a.raw > 0 && a.raw >= a.count*(1-1e-9)
}

// percent parses "99" or "99.9" as a fraction in (0, 1].
func percent(s string) (float64, bool) {
	if s == "" || strings.ContainsAny(s, "+-eEinfINFxX_") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || v > 100 {
		return 0, false
	}
	return v / 100, true
}

// rangeOf parses "a%:b%" (fractions, either end may be empty) or, for
// PR, "n:m" (values).
func rangeOf(s string, pct bool) (lo, hi float64, ok bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	parse := func(x string, def float64) (float64, bool) {
		x = strings.TrimSpace(x)
		if x == "" {
			return def, true
		}
		if pct {
			x, found := strings.CutSuffix(x, "%")
			if !found {
				return 0, false
			}
			if x == "0" {
				return 0, true
			}
			return percent(x)
		}
		v, err := strconv.ParseFloat(x, 64)
		return v, err == nil
	}
	if pct {
		lo, ok = parse(a, 0)
	} else {
		lo, ok = parse(a, -1e308)
	}
	if !ok {
		return 0, 0, false
	}
	if pct {
		hi, ok = parse(b, 1)
	} else {
		hi, ok = parse(b, 1e308)
	}
	return lo, hi, ok && lo < hi
}

// trimmed is tm, wm, tc or ts over the ranks [lo, hi).
func trimmed(kind string, lo, hi float64) stat {
	return stat{needsDist: true, eval: func(a *agg) (float64, bool) {
		if !a.complete() {
			return 0, false
		}
		n, sum, vlo, vhi := a.between(lo, hi)
		switch kind {
		case "tc":
			return n, true
		case "ts":
			return sum, true
		case "wm": // the values below and above the range count at its ends
			total := sum + lo*a.raw*vlo + (1-hi)*a.raw*vhi
			return total / a.raw, true
		}
		if n == 0 {
			return 0, false
		}
		return sum / n, true
	}}
}
