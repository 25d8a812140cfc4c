package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// AWS's limits on a PutLogEvents batch.
const (
	maxBatchBytes  = 1_048_576 // messages in UTF-8 plus eventOverhead each
	eventOverhead  = 26
	maxBatchEvents = 10_000
	maxPastMs      = 14 * dayMs
	maxFutureMs    = 2 * 3600 * 1000
	maxSpanMs      = dayMs
)

// InputLogEvent is one event of a PutLogEvents batch.
type InputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

// PutLogEventsInput is the PutLogEvents request. The sequence token is
// accepted and ignored, as AWS has done since 2023.
type PutLogEventsInput struct {
	LogGroupName  *string         `json:"logGroupName"`
	LogStreamName *string         `json:"logStreamName"`
	LogEvents     []InputLogEvent `json:"logEvents"`
	SequenceToken *string         `json:"sequenceToken"`
	Entity        json.RawMessage `json:"entity"`
}

// RejectedLogEventsInfo says which events of a batch were not stored.
type RejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int32 `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int32 `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int32 `json:"expiredLogEventEndIndex,omitempty"`
}

// PutLogEventsOutput is the PutLogEvents response.
type PutLogEventsOutput struct {
	NextSequenceToken     *string                `json:"nextSequenceToken,omitempty"`
	RejectedLogEventsInfo *RejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}

// inputEvent is a validated event.
type inputEvent struct {
	ts  int64
	msg string
}

// PutLogEvents stores a batch of events in a stream. As AWS does, events
// more than 14 days old or older than the group's retention, and events
// more than 2 hours in the future, are left out and reported in
// rejectedLogEventsInfo; the rest are stored, fsynced, before it returns.
func (a *API) PutLogEvents(ctx context.Context, in *PutLogEventsInput) (*PutLogEventsOutput, error) {
	events, err := validateBatch(in)
	if err != nil {
		return nil, err
	}
	g, _, err := a.group(*in.LogGroupName)
	if err != nil {
		return nil, err
	}
	s, _, err := a.stream(g, *in.LogStreamName)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, streamNotFound()
	}
	now := a.nowMs()
	out := &PutLogEventsOutput{}
	accepted, rejected := classify(events, now, g.expiredBefore(now))
	if rejected != nil {
		out.RejectedLogEventsInfo = rejected
	}
	if len(accepted) > 0 {
		if accepted[len(accepted)-1].ts-accepted[0].ts > maxSpanMs {
			return nil, invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
		}
		err := a.eventLog(g, s).append(accepted, now)
		if errors.Is(err, errStreamGone) {
			return nil, streamNotFound()
		}
		if err != nil {
			return nil, fmt.Errorf("put log events to %s/%s: %w", g.Name, s.Name, err)
		}
	}
	tok := fmt.Sprintf("%056d", now)
	out.NextSequenceToken = &tok
	return out, nil
}

// validateBatch checks a request as AWS's front end does, in its order:
// the model's constraints, the batch size, then the order of events.
func validateBatch(in *PutLogEventsInput) ([]inputEvent, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamName, "logStreamName", true); err != nil {
		return nil, err
	}
	if in.LogEvents == nil {
		return nil, missing("logEvents")
	}
	if n := len(in.LogEvents); n < 1 || n > maxBatchEvents {
		return nil, validation(strconv.Itoa(n), "logEvents", "Member must have length between 1 and 10000")
	}
	if err := checkString(in.SequenceToken, "sequenceToken", false, 1, 1<<20, nil); err != nil {
		return nil, err
	}
	events := make([]inputEvent, len(in.LogEvents))
	size := 0
	for i, e := range in.LogEvents {
		field := "logEvents." + strconv.Itoa(i+1) + ".member."
		if e.Timestamp == nil {
			return nil, missing(field + "timestamp")
		}
		if *e.Timestamp < 0 {
			return nil, validation(strconv.FormatInt(*e.Timestamp, 10), field+"timestamp", "Member must have value greater than or equal to 0")
		}
		if e.Message == nil {
			return nil, missing(field + "message")
		}
		if *e.Message == "" {
			return nil, validation("", field+"message", "Member must have length greater than or equal to 1")
		}
		events[i] = inputEvent{ts: *e.Timestamp, msg: *e.Message}
		size += len(*e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return nil, invalid("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	for i := 1; i < len(events); i++ {
		if events[i].ts < events[i-1].ts {
			return nil, invalid("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	return events, nil
}

// classify splits chronological events into those to store and the
// rejected ranges: too old (over 14 days) and expired (before the group's
// retention) at the start, too new (over 2 hours ahead) at the end.
func classify(events []inputEvent, now, expiredBefore int64) ([]inputEvent, *RejectedLogEventsInfo) {
	var info RejectedLogEventsInfo
	lo, hi := 0, len(events)
	for i, e := range events {
		switch {
		case e.ts < now-maxPastMs:
			info.TooOldLogEventEndIndex = ptr(int32(i + 1))
			lo = i + 1
		case e.ts < expiredBefore:
			info.ExpiredLogEventEndIndex = ptr(int32(i + 1))
			lo = i + 1
		}
	}
	for i := len(events) - 1; i >= lo && events[i].ts > now+maxFutureMs; i-- {
		info.TooNewLogEventStartIndex = ptr(int32(i))
		hi = i
	}
	if info == (RejectedLogEventsInfo{}) {
		return events, nil
	}
	return events[lo:hi], &info
}

func ptr[T any](v T) *T { return &v }
