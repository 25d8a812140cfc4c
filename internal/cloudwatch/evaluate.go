package cloudwatch

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The alarm states.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// The TreatMissingData values; "" is missing, the default.
const (
	missingMissing      = "missing"
	missingIgnore       = "ignore"
	missingBreaching    = "breaching"
	missingNotBreaching = "notBreaching"
)

// Datapoint is one period's value of the metric an alarm watches.
type Datapoint struct {
	Time        time.Time // the period's start
	Value       float64
	SampleCount float64 // 0 when unknown
}

// Rule is the part of an alarm's configuration that decides its state.
type Rule struct {
	Period            time.Duration
	EvaluationPeriods int
	// DatapointsToAlarm is M of an "M out of N" alarm; 0 means not set:
	// EvaluationPeriods, with AWS's older wording of the state reason.
	DatapointsToAlarm  int
	Threshold          float64
	ComparisonOperator string
	TreatMissingData   string // "" is missing
	// Statistic or ExtendedStatistic and Unit only go into the reason
	// data; ExtendedStatistic (p99) also decides the low-sample rule.
	Statistic                        string
	ExtendedStatistic                string
	Unit                             string
	EvaluateLowSampleCountPercentile string // "ignore" keeps the state on too few samples
}

func (r Rule) m() int {
	if r.DatapointsToAlarm > 0 {
		return r.DatapointsToAlarm
	}
	return r.EvaluationPeriods
}

// EvaluationRange is how many periods, ending with the newest, the
// evaluator looks at for an alarm of n evaluation periods: AWS retrieves
// more datapoints than it evaluates (5 for 3 in its documented example) so
// that a few late or missing ones do not decide the state; Tide takes
// n + max(2, n/3).
func EvaluationRange(n int) int { return n + max(2, n/3) }

// Outcome is an evaluation's verdict.
type Outcome struct {
	// Keep is true when the alarm keeps its current state and reason:
	// TreatMissingData ignore without enough data, or a percentile alarm
	// with too few samples and EvaluateLowSampleCountPercentile ignore.
	Keep       bool
	State      string
	Reason     string
	ReasonData string
	// Evaluated are the real datapoints that were evaluated, oldest first.
	Evaluated []Datapoint
}

// verdict is one evaluated slot: a real datapoint or a missing one filled
// in by TreatMissingData.
type verdict struct {
	point    Datapoint
	real     bool
	breaches bool
}

// Evaluate decides an alarm's state from the datapoints of the periods
// that end at end (exclusive; the newest period is [end-Period, end)),
// AWS's way (docs "Configuring how CloudWatch alarms treat missing data"):
//
//   - the evaluation range is EvaluationRange(N) periods; points outside
//     it are ignored;
//   - with at least N real datapoints in the range, the N most recent are
//     evaluated; the alarm is ALARM when M or more of them breach;
//   - with fewer, breaching and notBreaching fill the missing ones in;
//     missing and ignore go to ALARM with M real breaching datapoints, to
//     OK when a real datapoint does not breach, and otherwise (only
//     breaching data, fewer than M) to ALARM when the oldest breaching
//     datapoint is at least M periods old (missing only: AWS's rule that
//     avoids premature transitions), or else to INSUFFICIENT_DATA
//     (missing) or keep the state (ignore);
//   - with no data at all: INSUFFICIENT_DATA, keep, ALARM or OK.
//
// current is the alarm's state and now the time of the evaluation (the
// reason data's queryDate).
func Evaluate(r Rule, end time.Time, points []Datapoint, current string, now time.Time) Outcome {
	n, m := r.EvaluationPeriods, r.m()
	slots := rangeSlots(r, end, points)
	var real []Datapoint
	for _, s := range slots {
		if s != nil {
			real = append(real, *s)
		}
	}
	ev := evaluation{rule: r, end: end, now: now, slots: slots}
	switch {
	case len(real) >= n:
		return ev.decide(verdicts(r, real[len(real)-n:], 0, false))
	case len(real) == 0:
		return ev.noData()
	}
	switch r.TreatMissingData {
	case missingBreaching, missingNotBreaching:
		return ev.decide(verdicts(r, real, n-len(real), r.TreatMissingData == missingBreaching))
	}
	vs := verdicts(r, real, 0, false)
	breaching, allBreach := 0, true
	for _, v := range vs {
		if v.breaches {
			breaching++
		} else {
			allBreach = false
		}
	}
	if breaching >= m || !allBreach {
		return ev.decide(vs)
	}
	if r.TreatMissingData != missingIgnore && ev.oldestBreachAge() >= m {
		return ev.outcome(StateAlarm, vs)
	}
	if r.TreatMissingData == missingIgnore {
		return Outcome{Keep: true, State: current, Evaluated: real}
	}
	return ev.insufficient(n-len(real), real)
}

// rangeSlots places points in the evaluation range's periods, oldest
// first; nil is a missing period.
func rangeSlots(r Rule, end time.Time, points []Datapoint) []*Datapoint {
	size := EvaluationRange(r.EvaluationPeriods)
	start := end.Add(-time.Duration(size) * r.Period)
	slots := make([]*Datapoint, size)
	for i := range points {
		p := points[i]
		if p.Time.Before(start) || !p.Time.Before(end) || math.IsNaN(p.Value) {
			continue
		}
		slots[int(p.Time.Sub(start)/r.Period)] = &p
	}
	return slots
}

// verdicts compares each point with the threshold and adds fill missing
// ones (breaching or not) before them: the missing datapoints CloudWatch
// fills in are the oldest of those it evaluates.
func verdicts(r Rule, real []Datapoint, fill int, fillBreaches bool) []verdict {
	out := make([]verdict, 0, fill+len(real))
	for range fill {
		out = append(out, verdict{breaches: fillBreaches})
	}
	for _, p := range real {
		out = append(out, verdict{point: p, real: true, breaches: breaches(r, p.Value)})
	}
	return out
}

func breaches(r Rule, v float64) bool {
	switch r.ComparisonOperator {
	case "GreaterThanOrEqualToThreshold":
		return v >= r.Threshold
	case "GreaterThanThreshold":
		return v > r.Threshold
	case "LessThanThreshold":
		return v < r.Threshold
	case "LessThanOrEqualToThreshold":
		return v <= r.Threshold
	}
	return false
}

// evaluation carries one Evaluate call's context to its helpers.
type evaluation struct {
	rule  Rule
	end   time.Time
	now   time.Time
	slots []*Datapoint
}

// decide sets the state from the breaching count of vs.
func (e evaluation) decide(vs []verdict) Outcome {
	breaching := 0
	for _, v := range vs {
		if v.breaches {
			breaching++
		}
	}
	if breaching >= e.rule.m() {
		return e.outcome(StateAlarm, vs)
	}
	return e.outcome(StateOK, vs)
}

// outcome builds the verdict's reason, unless too few samples make a
// percentile alarm keep its state.
func (e evaluation) outcome(state string, vs []verdict) Outcome {
	var real []Datapoint
	for _, v := range vs {
		if v.real {
			real = append(real, v.point)
		}
	}
	if e.lowSamples(real) {
		return Outcome{Keep: true, Evaluated: real}
	}
	return Outcome{
		State:      state,
		Reason:     thresholdReason(e.rule, state, vs),
		ReasonData: reasonData(e.rule, e.now, real, e.missingSlots(len(vs)-len(real))),
		Evaluated:  real,
	}
}

// noData is the outcome when the whole range is missing.
func (e evaluation) noData() Outcome {
	n := e.rule.EvaluationPeriods
	data := reasonData(e.rule, e.now, nil, e.missingSlots(n))
	filled := "no datapoints were received for " + plural(n, "period") + " and " + plural(n, "missing datapoint") + " " + wasWere(n) + " treated as "
	switch e.rule.TreatMissingData {
	case missingIgnore:
		return Outcome{Keep: true}
	case missingBreaching:
		return Outcome{State: StateAlarm, Reason: "Threshold Crossed: " + filled + "[Breaching].", ReasonData: data}
	case missingNotBreaching:
		return Outcome{State: StateOK, Reason: "Threshold Crossed: " + filled + "[NonBreaching].", ReasonData: data}
	}
	return e.insufficient(n, nil)
}

func (e evaluation) insufficient(unknown int, real []Datapoint) Outcome {
	return Outcome{
		State:      StateInsufficientData,
		Reason:     "Insufficient Data: " + plural(unknown, "datapoint") + " " + wasWere(unknown) + " unknown.",
		ReasonData: reasonData(e.rule, e.now, real, e.missingSlots(unknown)),
		Evaluated:  real,
	}
}

// oldestBreachAge is how many periods back, counting the newest as 1, the
// oldest real datapoint of the range lies.
func (e evaluation) oldestBreachAge() int {
	for i, s := range e.slots {
		if s != nil {
			return len(e.slots) - i
		}
	}
	return 0
}

// missingSlots returns the start times of the k newest missing periods of
// the range, newest first.
func (e evaluation) missingSlots(k int) []time.Time {
	var out []time.Time
	for i := len(e.slots) - 1; i >= 0 && len(out) < k; i-- {
		if e.slots[i] == nil {
			out = append(out, e.end.Add(-time.Duration(len(e.slots)-i)*e.rule.Period))
		}
	}
	return out
}

// lowSamples applies EvaluateLowSampleCountPercentile ignore: a pNN
// alarm does not change state while its evaluated datapoints hold fewer
// than 10/(1-p) samples (p >= 0.5) or 10/p (p < 0.5).
func (e evaluation) lowSamples(real []Datapoint) bool {
	if e.rule.EvaluateLowSampleCountPercentile != "ignore" || len(real) == 0 {
		return false
	}
	// In percent, so that p90 needs exactly 100 samples, not 100.00000000000003.
	pct, ok := percentile(e.rule.ExtendedStatistic)
	if !ok || pct <= 0 || pct >= 100 {
		return false
	}
	need := 1000 / pct
	if pct >= 50 {
		need = 1000 / (100 - pct)
	}
	total := 0.0
	for _, d := range real {
		total += d.SampleCount
	}
	return total < need
}

// percentile parses "p99" or "p99.9" as a percentage.
func percentile(stat string) (float64, bool) {
	rest, ok := strings.CutPrefix(stat, "p")
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(rest, 64)
	if err != nil || f < 0 || f > 100 {
		return 0, false
	}
	return f, true
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
