package logs

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
)

// maxScan bounds the events one FilterLogEvents call looks at; a search
// that stops there returns what it found and a nextToken, as AWS's pages
// may be partial or empty.
const maxScan = 200_000

// FilteredLogEvent is an event FilterLogEvents returns.
type FilteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

// SearchedLogStream is an entry of searchedLogStreams.
type SearchedLogStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

// FilterLogEventsInput is the FilterLogEvents request. interleaved is
// ignored, as AWS has ignored it since 2019: events are always interleaved.
type FilterLogEventsInput struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       *string  `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int32   `json:"limit"`
	Interleaved         *bool    `json:"interleaved"`
	Unmask              *bool    `json:"unmask"`
}

// FilterLogEventsOutput is the FilterLogEvents response.
type FilterLogEventsOutput struct {
	Events             []FilteredLogEvent  `json:"events"`
	SearchedLogStreams []SearchedLogStream `json:"searchedLogStreams"`
	NextToken          *string             `json:"nextToken,omitempty"`
}

// filterCursor is the last event a FilterLogEvents page looked at, in the
// order (timestamp, stream name, offset).
type filterCursor struct {
	T int64  `json:"t"`
	S string `json:"s"`
	O int64  `json:"o"`
}

// FilterLogEvents searches a group's streams (all, named, or by prefix)
// for events in [startTime, endTime] that match filterPattern, in
// timestamp order across streams.
func (a *API) FilterLogEvents(ctx context.Context, in *FilterLogEventsInput) (*FilterLogEventsOutput, error) {
	name, err := a.groupRef(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil {
		if n := len(in.LogStreamNames); n < 1 || n > 100 {
			return nil, validation(strconv.Itoa(n), "logStreamNames", "Member must have length between 1 and 100")
		}
		for i := range in.LogStreamNames {
			if err := checkStreamName(&in.LogStreamNames[i], fmt.Sprintf("logStreamNames.%d.member", i+1), true); err != nil {
				return nil, err
			}
		}
	}
	if err := checkStreamName(in.LogStreamNamePrefix, "logStreamNamePrefix", false); err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
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
	if err := checkString(in.FilterPattern, "filterPattern", false, 0, 1024, nil); err != nil {
		return nil, err
	}
	match, err := parsePattern(in.FilterPattern)
	if err != nil {
		return nil, err
	}
	var cur *filterCursor
	if in.NextToken != nil {
		cur = new(filterCursor)
		if err := decodeToken(in.NextToken, cur); err != nil {
			return nil, err
		}
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
	g, _, err := a.group(name)
	if err != nil {
		return nil, err
	}
	start = max(start, g.expiredBefore(a.nowMs()))
	iters, searched, err := a.filterIters(g, in, start, end, cur)
	if err != nil {
		return nil, err
	}
	out := &FilterLogEventsOutput{Events: []FilteredLogEvent{}, SearchedLogStreams: searched}
	h := iterHeap(iters)
	heap.Init(&h)
	bytes, scanned := 0, 0
	var last *filterCursor
	for h.Len() > 0 && len(out.Events) < limit && scanned < maxScan {
		it := h[0]
		e, ok, err := it.head()
		if err != nil {
			return nil, err
		}
		if !ok {
			heap.Pop(&h)
			continue
		}
		if match(e.msg) {
			size := len(e.msg) + eventOverhead
			if len(out.Events) > 0 && bytes+size > maxPageBytes {
				break
			}
			bytes += size
			out.Events = append(out.Events, FilteredLogEvent{
				LogStreamName: it.stream, Timestamp: e.ts, Message: e.msg, IngestionTime: e.ingest,
				EventID: fmt.Sprintf("%020d%020d", it.idNum, e.off),
			})
		}
		last = &filterCursor{T: e.ts, S: it.stream, O: e.off}
		scanned++
		if it.advance() {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	if h.Len() > 0 && last != nil {
		out.NextToken = encodeToken(last)
		for i := range out.SearchedLogStreams {
			out.SearchedLogStreams[i].SearchedCompletely = false
		}
	}
	return out, nil
}

// filterIters returns an iterator over the window of each stream the
// request names, positioned after the cursor.
func (a *API) filterIters(g *groupRecord, in *FilterLogEventsInput, start, end int64, cur *filterCursor) ([]*streamIter, []SearchedLogStream, error) {
	var recs []*streamRecord
	if in.LogStreamNames != nil {
		for _, n := range slices.Compact(slices.Sorted(slices.Values(in.LogStreamNames))) {
			s, _, err := a.stream(g, n)
			if err != nil {
				return nil, nil, err
			}
			if s != nil {
				recs = append(recs, s)
			}
		}
	} else {
		prefix := ""
		if in.LogStreamNamePrefix != nil {
			prefix = *in.LogStreamNamePrefix
		}
		var err error
		if recs, err = a.groupStreams(g, prefix); err != nil {
			return nil, nil, err
		}
	}
	searched := []SearchedLogStream{}
	var iters []*streamIter
	now := a.nowMs()
	for _, s := range recs {
		searched = append(searched, SearchedLogStream{LogStreamName: s.Name, SearchedCompletely: true})
		l := a.eventLog(g, s)
		idx, err := l.index(now)
		if err != nil {
			return nil, nil, err
		}
		from := gap{start, 0}
		if cur != nil {
			switch c := cmp.Compare(s.Name, cur.S); {
			case c < 0:
				from = gap{max(start, cur.T+1), 0}
			case c == 0:
				from = gap{max(start, cur.T), cur.O + 1}
				if cur.T < start {
					from = gap{start, 0}
				}
			default:
				from = gap{max(start, cur.T), 0}
			}
		}
		lo := sort.Search(len(idx), func(i int) bool { return idx[i].atOrAfter(from) })
		hi := sort.Search(len(idx), func(i int) bool { return idx[i].ts > end })
		if lo >= hi {
			continue
		}
		id, _ := strconv.ParseUint(s.ID, 16, 64)
		iters = append(iters, &streamIter{stream: s.Name, idNum: id, log: l, rest: idx[lo:hi]})
	}
	return iters, searched, nil
}

// streamIter walks a stream's window, reading events a chunk at a time.
type streamIter struct {
	stream string
	idNum  uint64
	log    *eventLog
	rest   []entry // not yet read
	buf    []event // read, head first
}

const readChunk = 256

// head returns the next event, or false when every remaining event was
// trimmed away (by retention) meanwhile.
func (it *streamIter) head() (event, bool, error) {
	for len(it.buf) == 0 && len(it.rest) > 0 {
		n := min(readChunk, len(it.rest))
		evs, err := it.log.read(it.rest[:n])
		if err != nil {
			return event{}, false, err
		}
		it.buf, it.rest = evs, it.rest[n:]
	}
	if len(it.buf) == 0 {
		return event{}, false, nil
	}
	return it.buf[0], true, nil
}

// advance drops the head and reports whether events remain.
func (it *streamIter) advance() bool {
	if len(it.buf) > 0 {
		it.buf = it.buf[1:]
	}
	return len(it.buf) > 0 || len(it.rest) > 0
}

// key is the iterator's next event in the merge order.
func (it *streamIter) key() (int64, int64) {
	if len(it.buf) > 0 {
		return it.buf[0].ts, it.buf[0].off
	}
	return it.rest[0].ts, it.rest[0].off
}

// iterHeap orders iterators by their next event: timestamp, stream name,
// offset.
type iterHeap []*streamIter

func (h iterHeap) Len() int { return len(h) }
func (h iterHeap) Less(i, j int) bool {
	ti, oi := h[i].key()
	tj, oj := h[j].key()
	if ti != tj {
		return ti < tj
	}
	if h[i].stream != h[j].stream {
		return h[i].stream < h[j].stream
	}
	return oi < oj
}
func (h iterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)   { *h = append(*h, x.(*streamIter)) }
func (h *iterHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
