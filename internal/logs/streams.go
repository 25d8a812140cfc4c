package logs

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"tide/internal/awserr"
	"tide/internal/store"
)

// LogStream is CloudWatch Logs' LogStream shape. The event times are those
// of the events this server holds; storedBytes is always 0, as AWS has
// reported since 2019.
type LogStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

// CreateLogStreamInput is the CreateLogStream request.
type CreateLogStreamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

// CreateLogStream creates a stream in a group.
func (a *API) CreateLogStream(ctx context.Context, in *CreateLogStreamInput) (*Empty, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamName, "logStreamName", true); err != nil {
		return nil, err
	}
	for {
		g, _, err := a.group(*in.LogGroupName)
		if err != nil {
			return nil, err
		}
		s, kv, err := a.stream(g, *in.LogStreamName)
		if err != nil {
			return nil, err
		}
		if s != nil {
			return nil, awserr.Client("ResourceAlreadyExistsException", "The specified log stream already exists")
		}
		guard := store.MustBeNew
		if kv.Key != "" { // a record of a deleted incarnation of the group
			guard = kv.ModRev
		}
		rec := &streamRecord{Name: *in.LogStreamName, GroupID: g.ID, ID: newID(), CreationTime: a.nowMs()}
		_, err = a.store.Commit(ctx, store.Put(streamKey(g.Name, rec.Name), mustJSON(rec), guard))
		if errors.Is(err, store.ErrConflict) {
			continue // created or deleted meanwhile: look again
		}
		if err != nil {
			return nil, storeErr(err)
		}
		return &Empty{}, nil
	}
}

// DeleteLogStreamInput is the DeleteLogStream request.
type DeleteLogStreamInput struct {
	LogGroupName  *string `json:"logGroupName"`
	LogStreamName *string `json:"logStreamName"`
}

// DeleteLogStream deletes a stream and this server's events of it.
func (a *API) DeleteLogStream(ctx context.Context, in *DeleteLogStreamInput) (*Empty, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamName, "logStreamName", true); err != nil {
		return nil, err
	}
	g, _, err := a.group(*in.LogGroupName)
	if err != nil {
		return nil, err
	}
	s, kv, err := a.stream(g, *in.LogStreamName)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, streamNotFound()
	}
	if _, err := a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Client("OperationAbortedException", "Multiple concurrent requests to update the same resource were in conflict.")
		}
		return nil, storeErr(err)
	}
	a.dropEventLog(g.ID, s.ID)
	return &Empty{}, nil
}

// DescribeLogStreamsInput is the DescribeLogStreams request.
type DescribeLogStreamsInput struct {
	LogGroupName        *string `json:"logGroupName"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             *string `json:"orderBy"`
	Descending          *bool   `json:"descending"`
	NextToken           *string `json:"nextToken"`
	Limit               *int32  `json:"limit"`
}

// DescribeLogStreamsOutput is the DescribeLogStreams response.
type DescribeLogStreamsOutput struct {
	LogStreams []LogStream `json:"logStreams"`
	NextToken  *string     `json:"nextToken,omitempty"`
}

// streamCursor is the last stream of a DescribeLogStreams page.
type streamCursor struct {
	N string `json:"n"`
	T int64  `json:"t,omitempty"`
}

// DescribeLogStreams lists a group's streams by name or by the time of
// their last event, 50 to a page.
func (a *API) DescribeLogStreams(ctx context.Context, in *DescribeLogStreamsInput) (*DescribeLogStreamsOutput, error) {
	name, err := a.groupRef(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if err := checkStreamName(in.LogStreamNamePrefix, "logStreamNamePrefix", false); err != nil {
		return nil, err
	}
	if err := checkRange(in.Limit, "limit", 1, 50); err != nil {
		return nil, err
	}
	byTime := false
	if in.OrderBy != nil {
		switch *in.OrderBy {
		case "LogStreamName":
		case "LastEventTime":
			byTime = true
		default:
			return nil, validation(*in.OrderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
		}
	}
	if byTime && in.LogStreamNamePrefix != nil {
		return nil, invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	desc := in.Descending != nil && *in.Descending
	limit := 50
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	var cur *streamCursor
	if in.NextToken != nil {
		cur = new(streamCursor)
		if err := decodeToken(in.NextToken, cur); err != nil {
			return nil, err
		}
	}
	g, _, err := a.group(name)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if in.LogStreamNamePrefix != nil {
		prefix = *in.LogStreamNamePrefix
	}
	recs, err := a.groupStreams(g, prefix)
	if err != nil {
		return nil, err
	}
	type item struct {
		rec  *streamRecord
		last int64
	}
	items := make([]item, len(recs))
	for i, r := range recs {
		items[i].rec = r
		if byTime {
			sum, err := a.eventLog(g, r).summary()
			if err != nil {
				return nil, err
			}
			items[i].last = sum.last
		}
	}
	order := func(x, y item) int {
		c := cmp.Compare(x.last, y.last)
		if c == 0 {
			c = cmp.Compare(x.rec.Name, y.rec.Name)
		}
		if desc {
			return -c
		}
		return c
	}
	slices.SortFunc(items, order)
	if cur != nil {
		at := item{rec: &streamRecord{Name: cur.N}, last: cur.T}
		i, _ := slices.BinarySearchFunc(items, at, func(x, at item) int {
			if c := order(x, at); c != 0 {
				return c
			}
			return -1 // x == cursor: the page starts after it
		})
		items = items[i:]
	}
	out := &DescribeLogStreamsOutput{LogStreams: []LogStream{}}
	for i, it := range items {
		if i == limit {
			prev := items[i-1]
			out.NextToken = encodeToken(streamCursor{N: prev.rec.Name, T: prev.last})
			break
		}
		ls, err := a.describeStream(g, it.rec)
		if err != nil {
			return nil, err
		}
		out.LogStreams = append(out.LogStreams, ls)
	}
	return out, nil
}

func (a *API) describeStream(g *groupRecord, s *streamRecord) (LogStream, error) {
	ls := LogStream{LogStreamName: s.Name, CreationTime: s.CreationTime, Arn: a.streamARN(g.Name, s.Name)}
	sum, err := a.eventLog(g, s).summary()
	if err != nil {
		return ls, err
	}
	if sum.count > 0 {
		ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = &sum.first, &sum.last, &sum.lastIngest
	}
	return ls, nil
}
