package logs

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// maxPageBytes bounds the events of a GetLogEvents or FilterLogEvents page,
// counted as AWS counts a batch: message bytes plus 26 per event.
const maxPageBytes = 1 << 20

// OutputLogEvent is an event GetLogEvents returns.
type OutputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// GetLogEventsInput is the GetLogEvents request.
type GetLogEventsInput struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
	LogStreamName      *string `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	NextToken          *string `json:"nextToken"`
	Limit              *int32  `json:"limit"`
	StartFromHead      *bool   `json:"startFromHead"`
	Unmask             *bool   `json:"unmask"`
}

// GetLogEventsOutput is the GetLogEvents response; both tokens are always
// set, and a token equal to the one passed means there is nothing further
// that way (yet).
type GetLogEventsOutput struct {
	Events            []OutputLogEvent `json:"events"`
	NextForwardToken  *string          `json:"nextForwardToken"`
	NextBackwardToken *string          `json:"nextBackwardToken"`
}

// gap is a position between events of a stream's (ts, off) order: the
// place just before the event whose key is (ts, off). Forward pages return
// the events at or after a gap, backward pages those before it.
type gap struct{ ts, off int64 }

func (p gap) token(dir byte) *string {
	s := fmt.Sprintf("%c/%020d%020d", dir, p.ts, p.off)
	return &s
}

func parseGap(tok string) (byte, gap, error) {
	bad := invalid("The specified nextToken is invalid.")
	if len(tok) != 42 || (tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' {
		return 0, gap{}, bad
	}
	ts, err1 := strconv.ParseInt(tok[2:22], 10, 64)
	off, err2 := strconv.ParseInt(tok[22:], 10, 64)
	if err1 != nil || err2 != nil || ts < 0 || off < 0 {
		return 0, gap{}, bad
	}
	return tok[0], gap{ts, off}, nil
}

// atOrAfter reports whether e is at or after gap p.
func (e entry) atOrAfter(p gap) bool { return !e.before(p.ts, p.off) }

// GetLogEvents pages through one stream's events in timestamp order: from
// the newest back by default, from the oldest with startFromHead, or from
// a token either way. Events older than the group's retention are not
// returned.
func (a *API) GetLogEvents(ctx context.Context, in *GetLogEventsInput) (*GetLogEventsOutput, error) {
	name, err := a.groupRef(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamName, "logStreamName", true); err != nil {
		return nil, err
	}
	if err := checkRange(in.StartTime, "startTime", 0, math.MaxInt64); err != nil {
		return nil, err
	}
	if err := checkRange(in.EndTime, "endTime", 0, math.MaxInt64); err != nil {
		return nil, err
	}
	if err := checkRange(in.Limit, "limit", 1, 10000); err != nil {
		return nil, err
	}
	if err := checkString(in.NextToken, "nextToken", false, 1, 1<<10, nil); err != nil {
		return nil, err
	}
	limit := 10000
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	start, end := int64(0), int64(math.MaxInt64)
	if in.StartTime != nil {
		start = *in.StartTime
	}
	if in.EndTime != nil {
		end = *in.EndTime
	}
	dir, cur := byte('b'), gap{end, 0}
	if in.StartFromHead != nil && *in.StartFromHead {
		dir, cur = 'f', gap{start, 0}
	}
	if in.NextToken != nil {
		if dir, cur, err = parseGap(*in.NextToken); err != nil {
			return nil, err
		}
	}
	g, _, err := a.group(name)
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
	l := a.eventLog(g, s)
	idx, err := l.index(a.nowMs())
	if err != nil {
		return nil, err
	}
	start = max(start, g.expiredBefore(a.nowMs()))
	lo := sort.Search(len(idx), func(i int) bool { return idx[i].ts >= start })
	hi := sort.Search(len(idx), func(i int) bool { return idx[i].ts >= end })
	win := idx[lo:max(lo, hi)]
	at := sort.Search(len(win), func(i int) bool { return win[i].atOrAfter(cur) })
	var page []entry
	if dir == 'f' {
		page = win[at:]
		page = page[:pageLen(page, limit, false)]
	} else {
		page = win[:at]
		page = page[len(page)-pageLen(page, limit, true):]
	}
	events, err := l.read(page)
	if err != nil {
		return nil, err
	}
	out := &GetLogEventsOutput{Events: make([]OutputLogEvent, len(events))}
	for i, e := range events {
		out.Events[i] = OutputLogEvent{Timestamp: e.ts, Message: e.msg, IngestionTime: e.ingest}
	}
	switch {
	case len(page) > 0:
		first, last := page[0], page[len(page)-1]
		out.NextForwardToken = gap{last.ts, last.off + 1}.token('f')
		out.NextBackwardToken = gap{first.ts, first.off}.token('b')
	case dir == 'f':
		out.NextForwardToken, out.NextBackwardToken = cur.token('f'), cur.token('b')
	default:
		// Nothing before cur in the window: the window's start is the same
		// place, and new events will arrive after it.
		out.NextForwardToken, out.NextBackwardToken = gap{start, 0}.token('f'), cur.token('b')
	}
	return out, nil
}

// pageLen is how many of entries (from the end when fromEnd) fit a page of
// limit events and maxPageBytes; at least one when there is one.
func pageLen(entries []entry, limit int, fromEnd bool) int {
	n, bytes := 0, 0
	for n < len(entries) && n < limit {
		e := entries[n]
		if fromEnd {
			e = entries[len(entries)-1-n]
		}
		size := int(e.n) - recOverhead + eventOverhead
		if n > 0 && bytes+size > maxPageBytes {
			break
		}
		bytes += size
		n++
	}
	return n
}
