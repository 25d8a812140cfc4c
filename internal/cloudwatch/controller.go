package cloudwatch

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"tide/internal/metrics"
	"tide/internal/store"
)

// MetricSource is where the controller reads datapoints: one Point per
// period that has data (the metric store).
type MetricSource interface {
	Get(q metrics.Query) []metrics.Point
}

// Notifier publishes a message to an SNS topic (actions "arn:aws:sns:...").
type Notifier interface {
	Notify(ctx context.Context, topicARN, subject, message string) error
}

// PolicyInvoker executes an Application Auto Scaling policy (actions
// "arn:aws:autoscaling:...:scalingPolicy:...").
type PolicyInvoker interface {
	InvokePolicy(ctx context.Context, policyARN string, inv Invocation) error
}

// Invocation is what an alarm tells the scaling policy it invokes.
type Invocation struct {
	AlarmName          string
	AlarmARN           string
	State              string // the alarm's state: ALARM, or OK/INSUFFICIENT_DATA for policies in those actions
	Threshold          float64
	ComparisonOperator string
	// Values are the datapoints that were evaluated, oldest first (the
	// most recent last); empty when the state was set by hand without
	// recentDatapoints in its reason data.
	Values []float64
	Time   time.Time
}

// Defaults of ControllerConfig.
const (
	DefaultTick          = time.Second
	DefaultDelay         = 2 * time.Second
	DefaultActionTimeout = 5 * time.Second
	pruneEvery           = time.Hour
)

// ControllerConfig holds the controller's collaborators and timing.
type ControllerConfig struct {
	Metrics  MetricSource
	Notifier Notifier      // nil: SNS actions fail (and are recorded so)
	Policies PolicyInvoker // nil: scaling actions fail (and are recorded so)
	Now      func() time.Time
	// Tick is how often Run looks for alarms due for evaluation.
	Tick time.Duration
	// Delay is how long after a period ends its datapoints are taken as
	// complete: a period [t, t+P) is evaluated at t+P+Delay. Producers
	// report with a lag (agents' stats, PutMetricData clients); a
	// datapoint that arrives later still counts at the next evaluations,
	// because the evaluation range spans more periods than it evaluates.
	Delay time.Duration
	// ActionTimeout bounds one action's execution.
	ActionTimeout time.Duration
}

// Controller evaluates every alarm once per period and fires the actions
// of state changes. It runs on the leader only; its methods are not safe
// for concurrent use.
type Controller struct {
	api       *API
	log       *slog.Logger
	cfg       ControllerConfig
	marks     map[string]mark
	lastPrune time.Time
}

// mark is the last evaluation of an alarm: the end of the periods it
// evaluated and the configuration it evaluated.
type mark struct {
	end    time.Time
	config time.Time
}

// NewController returns the controller of api's alarms.
func NewController(api *API, log *slog.Logger, cfg ControllerConfig) *Controller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick == 0 {
		cfg.Tick = DefaultTick
	}
	if cfg.Delay == 0 {
		cfg.Delay = DefaultDelay
	}
	if cfg.ActionTimeout == 0 {
		cfg.ActionTimeout = DefaultActionTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controller{api: api, log: log, cfg: cfg, marks: map[string]mark{}}
}

// Run evaluates alarms every tick until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		c.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step is one pass: it evaluates every alarm whose period has ended since
// its last evaluation (or whose configuration changed), then fires the
// actions of pending state changes, and now and then prunes old history.
func (c *Controller) Step(ctx context.Context) {
	now := c.cfg.Now()
	seen := map[string]bool{}
	for _, r := range c.api.list() {
		seen[r.Name] = true
		c.evaluate(ctx, r, now)
	}
	for name := range c.marks {
		if !seen[name] {
			delete(c.marks, name)
		}
	}
	c.dispatch(ctx)
	if now.Sub(c.lastPrune) >= pruneEvery {
		if err := c.api.pruneHistory(ctx); err != nil {
			c.log.Warn("alarm history pruning failed", "err", err)
		} else {
			c.lastPrune = now
		}
	}
}

// periodEnd is the end of the newest period of r complete at now: periods
// are aligned to the Unix epoch.
func (c *Controller) periodEnd(r *record, now time.Time) time.Time {
	p := int64(r.period() / time.Second)
	secs := now.Add(-c.cfg.Delay).Unix()
	return time.Unix(secs-secs%p, 0).UTC()
}

// evaluate evaluates r if it is due and records the outcome.
func (c *Controller) evaluate(ctx context.Context, r *record, now time.Time) {
	end := c.periodEnd(r, now)
	last, seen := c.marks[r.Name]
	if seen && !end.After(last.end) && last.config.Equal(r.ConfigUpdated) {
		return
	}
	newPeriod := !seen || end.After(last.end)
	o := Evaluate(r.rule(), end, c.datapoints(r, end), r.State, now)
	c.marks[r.Name] = mark{end: end, config: r.ConfigUpdated}
	if !o.Keep && (o.State != r.State || r.StateReason == initialReason) {
		err := c.api.setState(ctx, r, r.rev, o)
		if errors.Is(err, store.ErrConflict) {
			delete(c.marks, r.Name) // it moved meanwhile: evaluate it again next tick
			return
		}
		if err != nil {
			c.log.Warn("alarm state not recorded", "alarm", r.Name, "err", err)
			delete(c.marks, r.Name)
		}
		if o.State != r.State {
			return // dispatch fires the new state's actions
		}
	}
	if newPeriod && r.ActionsEnabled {
		c.repeatPolicies(ctx, r, o, now)
	}
}

// repeatPolicies invokes the scaling policies of the state the alarm stays
// in, once per period, as AWS does for Auto Scaling actions. Successes are
// not recorded in history (every period would push the rest out);
// failures are.
func (c *Controller) repeatPolicies(ctx context.Context, r *record, o Outcome, now time.Time) {
	var items []historyItem
	for _, act := range r.actionsFor(r.State) {
		if !isPolicy(act) {
			continue
		}
		t := transition{Old: r.State, New: r.State, Time: now, Threshold: r.Threshold, Values: values(o.Evaluated)}
		if err := c.invokePolicy(ctx, r, act, t); err != nil {
			items = append(items, actionItem(r.Name, act, now, "", err))
		}
	}
	if len(items) > 0 {
		if _, err := c.api.store.Commit(ctx, c.api.historyWrites(r.Name, items...)...); err != nil {
			c.log.Warn("alarm action history not recorded", "alarm", r.Name, "err", err)
		}
	}
}

func values(ds []Datapoint) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Value
	}
	return out
}

// dispatch fires the actions of every pending state change, records them
// in history and removes the change from the alarm. An action that fails
// is recorded as failed; it does not hold the others back.
func (c *Controller) dispatch(ctx context.Context) {
	for _, r := range c.api.list() {
		if len(r.Pending) == 0 {
			continue
		}
		var items []historyItem
		for _, t := range r.Pending {
			if r.ActionsEnabled {
				items = append(items, c.fire(ctx, r, t)...)
			}
		}
		done := r.Pending
		err := c.api.retry(ctx, func() error {
			cur, _, ok := c.api.get(r.Name)
			if !ok {
				return nil
			}
			cur.Pending = remaining(cur.Pending, done)
			writes := append([]store.Write{store.Put(alarmPrefix+r.Name, encodeRecord(cur), cur.rev)}, c.api.historyWrites(r.Name, items...)...)
			_, err := c.api.store.Commit(ctx, writes...)
			return err
		})
		if err != nil {
			c.log.Warn("alarm actions not recorded", "alarm", r.Name, "err", err)
		}
	}
}

// remaining is pending without the transitions in done.
func remaining(pending, done []transition) []transition {
	var out []transition
	for _, p := range pending {
		fired := false
		for _, d := range done {
			if p.Time.Equal(d.Time) && p.New == d.New {
				fired = true
			}
		}
		if !fired {
			out = append(out, p)
		}
	}
	return out
}

// fire executes the actions of the state t moves into and returns their
// history items.
func (c *Controller) fire(ctx context.Context, r *record, t transition) []historyItem {
	var items []historyItem
	for _, act := range r.actionsFor(t.New) {
		var err error
		message := ""
		switch {
		case strings.HasPrefix(act, "arn:aws:sns:"):
			var subject string
			subject, message = c.api.notification(r, t)
			err = c.notify(ctx, act, subject, message)
		case isPolicy(act):
			err = c.invokePolicy(ctx, r, act, t)
		default:
			err = errors.New("Tide executes only SNS topic and Application Auto Scaling policy actions")
		}
		if err != nil {
			c.log.Warn("alarm action failed", "alarm", r.Name, "action", act, "err", err)
		}
		items = append(items, actionItem(r.Name, act, c.cfg.Now(), message, err))
	}
	return items
}

func isPolicy(act string) bool {
	return strings.HasPrefix(act, "arn:aws:autoscaling:") && strings.Contains(act, ":scalingPolicy:")
}

func (c *Controller) notify(ctx context.Context, topic, subject, message string) error {
	if c.cfg.Notifier == nil {
		return errors.New("SNS is not available")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ActionTimeout)
	defer cancel()
	return c.cfg.Notifier.Notify(ctx, topic, subject, message)
}

func (c *Controller) invokePolicy(ctx context.Context, r *record, policy string, t transition) error {
	if c.cfg.Policies == nil {
		return errors.New("Application Auto Scaling is not available")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ActionTimeout)
	defer cancel()
	return c.cfg.Policies.InvokePolicy(ctx, policy, Invocation{
		AlarmName: r.Name, AlarmARN: c.api.arn(r.Name), State: t.New, Threshold: t.Threshold,
		ComparisonOperator: r.ComparisonOperator, Values: t.Values, Time: t.Time,
	})
}
