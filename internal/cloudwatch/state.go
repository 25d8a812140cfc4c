package cloudwatch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"tide/internal/awserr"
	"tide/internal/store"
)

func checkNames(names []string) error {
	if names == nil {
		return missing("alarmNames")
	}
	if err := checkCount(names, "alarmNames", 100); err != nil {
		return err
	}
	for _, n := range names {
		if err := checkLen(&n, "alarmNames.member", 1, 255); err != nil {
			return err
		}
	}
	return nil
}

// deleteAlarms deletes the named alarms. As in AWS, names that do not
// exist are skipped: the others are still deleted and the call succeeds.
// Their history stays until it ages out.
func (a *API) deleteAlarms(ctx context.Context, in *AlarmNamesInput) (*Empty, error) {
	if err := checkNames(in.AlarmNames); err != nil {
		return nil, err
	}
	for _, name := range in.AlarmNames {
		err := a.retry(ctx, func() error {
			r, rev, ok := a.get(name)
			if !ok {
				return nil
			}
			writes := append([]store.Write{store.Del(alarmPrefix+name, rev)}, a.historyWrites(name, a.configItem(r, nil, a.now()))...)
			_, err := a.store.Commit(ctx, writes...)
			return err
		})
		if err != nil {
			return nil, storeErr(err)
		}
	}
	return &Empty{}, nil
}

// retry runs fn until it does not meet a write conflict.
func (a *API) retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func (a *API) enableAlarmActions(ctx context.Context, in *AlarmNamesInput) (*Empty, error) {
	return a.setActionsEnabled(ctx, in, true)
}

func (a *API) disableAlarmActions(ctx context.Context, in *AlarmNamesInput) (*Empty, error) {
	return a.setActionsEnabled(ctx, in, false)
}

// setActionsEnabled turns the actions of the named alarms on or off,
// skipping names that do not exist, and records the change in history.
func (a *API) setActionsEnabled(ctx context.Context, in *AlarmNamesInput, on bool) (*Empty, error) {
	if err := checkNames(in.AlarmNames); err != nil {
		return nil, err
	}
	for _, name := range in.AlarmNames {
		err := a.retry(ctx, func() error {
			old, rev, ok := a.get(name)
			if !ok || old.ActionsEnabled == on {
				return nil
			}
			r := *old
			r.ActionsEnabled = on
			r.ConfigUpdated = a.now()
			writes := append([]store.Write{store.Put(alarmPrefix+name, encodeRecord(&r), rev)}, a.historyWrites(name, a.configItem(old, &r, r.ConfigUpdated))...)
			_, err := a.store.Commit(ctx, writes...)
			return err
		})
		if err != nil {
			return nil, storeErr(err)
		}
	}
	return &Empty{}, nil
}

// setAlarmState sets an alarm's state by hand, for testing its actions:
// a change of state is recorded and fires the actions of the new state
// (through the controller); the next evaluation puts the alarm back in
// the state its data decides.
func (a *API) setAlarmState(ctx context.Context, in *SetAlarmStateInput) (*Empty, error) {
	switch {
	case in.AlarmName == nil:
		return nil, missing("alarmName")
	case in.StateValue == nil:
		return nil, missing("stateValue")
	case in.StateReason == nil:
		return nil, missing("stateReason")
	}
	for _, err := range []error{
		checkLen(in.AlarmName, "alarmName", 1, 255),
		checkEnum(in.StateValue, "stateValue", stateValues...),
		checkLen(in.StateReason, "stateReason", 0, 1023),
		checkLen(in.StateReasonData, "stateReasonData", 0, 4000),
	} {
		if err != nil {
			return nil, err
		}
	}
	if in.StateReasonData != nil && !json.Valid([]byte(*in.StateReasonData)) {
		return nil, awserr.Client("InvalidFormat", "StateReasonData was not syntactically valid JSON")
	}
	verdict := Outcome{State: *in.StateValue, Reason: *in.StateReason, ReasonData: deref(in.StateReasonData)}
	verdict.Evaluated = recentDatapoints(verdict.ReasonData)
	err := a.retry(ctx, func() error {
		r, rev, ok := a.get(*in.AlarmName)
		if !ok {
			return notFound(*in.AlarmName)
		}
		return a.setState(ctx, r, rev, verdict)
	})
	return &Empty{}, storeErr(err)
}

// recentDatapoints reads the values a StateReasonData document names
// ("recentDatapoints", as CloudWatch writes it), which scaling policies
// act on when an alarm is set by hand.
func recentDatapoints(data string) []Datapoint {
	var doc struct{ RecentDatapoints []float64 }
	if json.Unmarshal([]byte(data), &doc) != nil {
		return nil
	}
	out := make([]Datapoint, len(doc.RecentDatapoints))
	for i, v := range doc.RecentDatapoints {
		out[i] = Datapoint{Value: v}
	}
	return out
}

// setState writes the outcome of an evaluation (or of SetAlarmState) to
// the alarm r read at rev. A change of state updates both timestamps,
// adds a StateUpdate history item and queues the transition for the
// controller to fire its actions; the same state with a new reason (the
// first evaluation after creation, or SetAlarmState) only updates the
// reason. It returns store.ErrConflict when the alarm moved meanwhile.
func (a *API) setState(ctx context.Context, r *record, rev int64, o Outcome) error {
	if o.State == r.State && o.Reason == r.StateReason && o.ReasonData == r.StateReasonData {
		return nil
	}
	now := a.now()
	next := *r
	next.StateReason, next.StateReasonData, next.StateUpdated = o.Reason, o.ReasonData, now
	var items []historyItem
	if o.State != r.State {
		next.State, next.StateTransitioned = o.State, now
		values := make([]float64, len(o.Evaluated))
		for i, d := range o.Evaluated {
			values[i] = d.Value
		}
		next.Pending = append(slices.Clone(r.Pending), transition{Old: r.State, New: o.State, Reason: o.Reason, Time: now, Values: values, Threshold: r.Threshold})
		if len(next.Pending) > maxPending {
			next.Pending = next.Pending[len(next.Pending)-maxPending:]
		}
		items = append(items, stateItem(r.Name, r, &next, now))
	}
	writes := append([]store.Write{store.Put(alarmPrefix+r.Name, encodeRecord(&next), rev)}, a.historyWrites(r.Name, items...)...)
	_, err := a.store.Commit(ctx, writes...)
	return err
}
