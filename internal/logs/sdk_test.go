package logs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
)

func (h *harness) put(t *testing.T, group, stream string, ts int64, msgs ...string) *cwl.PutLogEventsOutput {
	t.Helper()
	var evs []types.InputLogEvent
	for _, m := range msgs {
		evs = append(evs, types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(m)})
	}
	return must[*cwl.PutLogEventsOutput](t)(h.sdk.PutLogEvents(context.Background(), &cwl.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs,
	}))
}

func (h *harness) mkStream(t *testing.T, group string, streams ...string) {
	t.Helper()
	ctx := context.Background()
	_, err := h.sdk.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)})
	if err != nil && errCode(err) != "ResourceAlreadyExistsException" {
		t.Fatal(err)
	}
	for _, s := range streams {
		must[*cwl.CreateLogStreamOutput](t)(h.sdk.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(s)}))
	}
}

func messages[E any](evs []E, msg func(E) *string) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, aws.ToString(msg(e)))
	}
	return out
}

func outMsgs(evs []types.OutputLogEvent) []string {
	return messages(evs, func(e types.OutputLogEvent) *string { return e.Message })
}

func filteredMsgs(evs []types.FilteredLogEvent) []string {
	return messages(evs, func(e types.FilteredLogEvent) *string { return e.Message })
}

func TestLogsGroupsAndStreamsThroughSDK(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	before := h.clock.Now().UnixMilli()
	must[*cwl.CreateLogGroupOutput](t)(h.sdk.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/tide/app")}))
	_, err := h.sdk.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/tide/app")})
	if errCode(err) != "ResourceAlreadyExistsException" {
		t.Fatalf("second create: %v", err)
	}
	for _, n := range []string{"/tide/b", "/tide/c", "other"} {
		must[*cwl.CreateLogGroupOutput](t)(h.sdk.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(n)}))
	}
	must[*cwl.PutRetentionPolicyOutput](t)(h.sdk.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("/tide/app"), RetentionInDays: aws.Int32(7)}))

	// Pages of one by prefix, with the paginator.
	var names []string
	p := cwl.NewDescribeLogGroupsPaginator(h.sdk, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/tide/"), Limit: aws.Int32(1)})
	pages := 0
	for p.HasMorePages() {
		out := must[*cwl.DescribeLogGroupsOutput](t)(p.NextPage(ctx))
		pages++
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
	}
	if diff := cmp.Diff([]string{"/tide/app", "/tide/b", "/tide/c"}, names); diff != "" || pages != 3 {
		t.Fatalf("groups by prefix in %d pages (-want +got):\n%s", pages, diff)
	}
	d := must[*cwl.DescribeLogGroupsOutput](t)(h.sdk.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/tide/app")}))
	g := d.LogGroups[0]
	if aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/tide/app:*" ||
		aws.ToString(g.LogGroupArn) != "arn:aws:logs:us-east-1:000000000000:log-group:/tide/app" ||
		aws.ToInt32(g.RetentionInDays) != 7 || aws.ToInt64(g.CreationTime) < before || aws.ToInt64(g.CreationTime) > before+60_000 ||
		g.LogGroupClass != types.LogGroupClassStandard {
		t.Fatalf("described group: %+v", g)
	}
	must[*cwl.DeleteRetentionPolicyOutput](t)(h.sdk.DeleteRetentionPolicy(ctx, &cwl.DeleteRetentionPolicyInput{LogGroupName: aws.String("/tide/app")}))
	d = must[*cwl.DescribeLogGroupsOutput](t)(h.sdk.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("app")}))
	if len(d.LogGroups) != 1 || d.LogGroups[0].RetentionInDays != nil {
		t.Fatalf("after DeleteRetentionPolicy: %+v", d.LogGroups)
	}

	// Streams: create, duplicate, missing group.
	h.mkStream(t, "/tide/app", "web/app/t1", "web/app/t2", "worker/app/t3")
	_, err = h.sdk.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/tide/app"), LogStreamName: aws.String("web/app/t1")})
	if errCode(err) != "ResourceAlreadyExistsException" {
		t.Fatalf("duplicate stream: %v", err)
	}
	_, err = h.sdk.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s")})
	if errCode(err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "The specified log group does not exist.") {
		t.Fatalf("stream in missing group: %v", err)
	}
	now := h.clock.Now().UnixMilli()
	h.put(t, "/tide/app", "web/app/t2", now-3000, "b")
	h.put(t, "/tide/app", "worker/app/t3", now-1000, "c")
	h.put(t, "/tide/app", "web/app/t1", now-2000, "a")

	streams := func(in *cwl.DescribeLogStreamsInput) []string {
		var out []string
		p := cwl.NewDescribeLogStreamsPaginator(h.sdk, in)
		for p.HasMorePages() {
			for _, s := range must[*cwl.DescribeLogStreamsOutput](t)(p.NextPage(ctx)).LogStreams {
				out = append(out, aws.ToString(s.LogStreamName))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   cwl.DescribeLogStreamsInput
		want []string
	}{
		{"by name", cwl.DescribeLogStreamsInput{}, []string{"web/app/t1", "web/app/t2", "worker/app/t3"}},
		{"by name descending", cwl.DescribeLogStreamsInput{Descending: aws.Bool(true)}, []string{"worker/app/t3", "web/app/t2", "web/app/t1"}},
		{"prefix", cwl.DescribeLogStreamsInput{LogStreamNamePrefix: aws.String("web/")}, []string{"web/app/t1", "web/app/t2"}},
		{"last event time", cwl.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime}, []string{"web/app/t2", "web/app/t1", "worker/app/t3"}},
		{"last event time descending", cwl.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)}, []string{"worker/app/t3", "web/app/t1", "web/app/t2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.LogGroupName, in.Limit = aws.String("/tide/app"), aws.Int32(1)
			if diff := cmp.Diff(tc.want, streams(&in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	ds := must[*cwl.DescribeLogStreamsOutput](t)(h.sdk.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{
		LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:/tide/app"), LogStreamNamePrefix: aws.String("web/app/t1"),
	}))
	s := ds.LogStreams[0]
	if aws.ToString(s.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/tide/app:log-stream:web/app/t1" ||
		aws.ToInt64(s.FirstEventTimestamp) != now-2000 || aws.ToInt64(s.LastEventTimestamp) != now-2000 || aws.ToInt64(s.LastIngestionTime) != now {
		t.Fatalf("described stream: %+v", s)
	}

	// Deleting a stream, then the group with its streams.
	must[*cwl.DeleteLogStreamOutput](t)(h.sdk.DeleteLogStream(ctx, &cwl.DeleteLogStreamInput{LogGroupName: aws.String("/tide/app"), LogStreamName: aws.String("web/app/t2")}))
	_, err = h.sdk.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/tide/app"), LogStreamName: aws.String("web/app/t2")})
	if errCode(err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "The specified log stream does not exist.") {
		t.Fatalf("get from deleted stream: %v", err)
	}
	must[*cwl.DeleteLogGroupOutput](t)(h.sdk.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/tide/app")}))
	_, err = h.sdk.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("/tide/app")})
	if errCode(err) != "ResourceNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
	if keys := h.st.List(groupStreamsPrefix("/tide/app")); len(keys) != 0 {
		t.Fatalf("stream records left after DeleteLogGroup: %d", len(keys))
	}
	// A group created again under the name starts empty.
	h.mkStream(t, "/tide/app", "web/app/t1")
	got := must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/tide/app"), LogStreamName: aws.String("web/app/t1")}))
	if len(got.Events) != 0 {
		t.Fatalf("recreated group has events: %v", outMsgs(got.Events))
	}
}

func TestLogsGetLogEventsPagination(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mkStream(t, "g", "s")
	now := h.clock.Now().UnixMilli()
	var all []string
	for i := range 10 {
		m := fmt.Sprintf("m%d", i)
		all = append(all, m)
		h.put(t, "g", "s", now-int64(10-i)*1000, m)
	}
	in := func() *cwl.GetLogEventsInput {
		return &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}
	}

	// The default is the newest events; startFromHead the oldest.
	tail := in()
	tail.Limit = aws.Int32(3)
	out := must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, tail))
	if diff := cmp.Diff(all[7:], outMsgs(out.Events)); diff != "" {
		t.Fatalf("tail (-want +got):\n%s", diff)
	}
	back := in()
	back.NextToken, back.Limit = out.NextBackwardToken, aws.Int32(3)
	out = must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, back))
	if diff := cmp.Diff(all[4:7], outMsgs(out.Events)); diff != "" {
		t.Fatalf("backward page (-want +got):\n%s", diff)
	}

	// The paginator follows nextForwardToken from the head to the end.
	head := in()
	head.StartFromHead, head.Limit = aws.Bool(true), aws.Int32(4)
	p := cwl.NewGetLogEventsPaginator(h.sdk, head, func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var got []string
	var last *string
	for p.HasMorePages() {
		page := must[*cwl.GetLogEventsOutput](t)(p.NextPage(ctx))
		got = append(got, outMsgs(page.Events)...)
		last = page.NextForwardToken
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Fatalf("paginated from head (-want +got):\n%s", diff)
	}
	// The last forward token picks up events added later, as tailing does.
	h.put(t, "g", "s", now, "new")
	follow := in()
	follow.NextToken = last
	out = must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, follow))
	if diff := cmp.Diff([]string{"new"}, outMsgs(out.Events)); diff != "" {
		t.Fatalf("follow (-want +got):\n%s", diff)
	}
	if aws.ToInt64(out.Events[0].Timestamp) != now || aws.ToInt64(out.Events[0].IngestionTime) != now {
		t.Fatalf("timestamps: %+v", out.Events[0])
	}
	follow.NextToken = out.NextForwardToken
	again := must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, follow))
	if len(again.Events) != 0 || aws.ToString(again.NextForwardToken) != aws.ToString(out.NextForwardToken) {
		t.Fatalf("at the end: %v, token %s then %s", outMsgs(again.Events), aws.ToString(out.NextForwardToken), aws.ToString(again.NextForwardToken))
	}

	// A time range is [startTime, endTime).
	rng := in()
	rng.StartTime, rng.EndTime, rng.StartFromHead = aws.Int64(now-8000), aws.Int64(now-5000), aws.Bool(true)
	out = must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, rng))
	if diff := cmp.Diff(all[2:5], outMsgs(out.Events)); diff != "" {
		t.Fatalf("range (-want +got):\n%s", diff)
	}
	// An empty stream still gives both tokens, and its forward token sees
	// the first event.
	h.mkStream(t, "g", "empty")
	e := in()
	e.LogStreamName = aws.String("empty")
	out = must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, e))
	if len(out.Events) != 0 || out.NextForwardToken == nil || out.NextBackwardToken == nil {
		t.Fatalf("empty stream: %+v", out)
	}
	h.put(t, "g", "empty", now, "first")
	e.NextToken = out.NextForwardToken
	out = must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, e))
	if diff := cmp.Diff([]string{"first"}, outMsgs(out.Events)); diff != "" {
		t.Fatalf("forward from empty (-want +got):\n%s", diff)
	}
}

func TestLogsFilterLogEvents(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mkStream(t, "g", "a/1", "a/2", "b/1")
	now := h.clock.Now().UnixMilli()
	h.put(t, "g", "a/1", now-5000, "GET /health 200", "GET /api 500 ERROR disk full")
	h.put(t, "g", "a/2", now-4000, "WARN slow", "line-2 ok")
	h.put(t, "g", "b/1", now-4500, "ERROR timeout", "DEBUG ERROR noise")
	filter := func(in cwl.FilterLogEventsInput) []string {
		in.LogGroupName = aws.String("g")
		var got []string
		p := cwl.NewFilterLogEventsPaginator(h.sdk, &in)
		for p.HasMorePages() {
			got = append(got, filteredMsgs(must[*cwl.FilterLogEventsOutput](t)(p.NextPage(ctx)).Events)...)
		}
		return got
	}
	for _, tc := range []struct {
		name string
		in   cwl.FilterLogEventsInput
		want []string
	}{
		{"all, interleaved by time", cwl.FilterLogEventsInput{}, []string{"GET /health 200", "GET /api 500 ERROR disk full", "ERROR timeout", "DEBUG ERROR noise", "WARN slow", "line-2 ok"}},
		{"one page at a time", cwl.FilterLogEventsInput{Limit: aws.Int32(1)}, []string{"GET /health 200", "GET /api 500 ERROR disk full", "ERROR timeout", "DEBUG ERROR noise", "WARN slow", "line-2 ok"}},
		{"term", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, []string{"GET /api 500 ERROR disk full", "ERROR timeout", "DEBUG ERROR noise"}},
		{"terms", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR timeout")}, []string{"ERROR timeout"}},
		{"case-sensitive", cwl.FilterLogEventsInput{FilterPattern: aws.String("error")}, nil},
		{"quoted phrase", cwl.FilterLogEventsInput{FilterPattern: aws.String(`"disk full"`)}, []string{"GET /api 500 ERROR disk full"}},
		{"punctuation unquoted", cwl.FilterLogEventsInput{FilterPattern: aws.String("line-2")}, []string{"line-2 ok"}},
		{"any of", cwl.FilterLogEventsInput{FilterPattern: aws.String("?WARN ?timeout")}, []string{"ERROR timeout", "WARN slow"}},
		{"none of", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR -DEBUG")}, []string{"GET /api 500 ERROR disk full", "ERROR timeout"}},
		{"stream names", cwl.FilterLogEventsInput{LogStreamNames: []string{"a/2", "b/1", "missing"}}, []string{"ERROR timeout", "DEBUG ERROR noise", "WARN slow", "line-2 ok"}},
		{"stream prefix", cwl.FilterLogEventsInput{LogStreamNamePrefix: aws.String("a/")}, []string{"GET /health 200", "GET /api 500 ERROR disk full", "WARN slow", "line-2 ok"}},
		{"time range inclusive", cwl.FilterLogEventsInput{StartTime: aws.Int64(now - 4500), EndTime: aws.Int64(now - 4500)}, []string{"ERROR timeout", "DEBUG ERROR noise"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, filter(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Event IDs are unique and stable.
	a := must[*cwl.FilterLogEventsOutput](t)(h.sdk.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")}))
	b := must[*cwl.FilterLogEventsOutput](t)(h.sdk.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")}))
	seen := map[string]bool{}
	for i, e := range a.Events {
		id := aws.ToString(e.EventId)
		if id == "" || seen[id] || id != aws.ToString(b.Events[i].EventId) {
			t.Fatalf("event ids: %q (seen %v, again %q)", id, seen[id], aws.ToString(b.Events[i].EventId))
		}
		seen[id] = true
		if aws.ToString(e.LogStreamName) == "" || aws.ToInt64(e.IngestionTime) != now {
			t.Fatalf("event %+v", e)
		}
	}
	if len(a.SearchedLogStreams) != 3 {
		t.Fatalf("searched streams: %+v", a.SearchedLogStreams)
	}
}

func TestLogsPutLogEventsRejects(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mkStream(t, "g", "s")
	now := h.clock.Now().UnixMilli()
	day := int64(24 * time.Hour / time.Millisecond)
	ev := func(ts int64, m string) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(m)}
	}
	out := must[*cwl.PutLogEventsOutput](t)(h.sdk.PutLogEvents(ctx, &cwl.PutLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		SequenceToken: aws.String("ignored"),
		LogEvents:     []types.InputLogEvent{ev(now-15*day, "old"), ev(now-15*day+1, "old2"), ev(now-time.Hour.Milliseconds(), "ok"), ev(now+3*time.Hour.Milliseconds(), "future")},
	}))
	r := out.RejectedLogEventsInfo
	if r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 2 || aws.ToInt32(r.TooNewLogEventStartIndex) != 3 || r.ExpiredLogEventEndIndex != nil {
		t.Fatalf("rejected: %+v", r)
	}
	if out.NextSequenceToken == nil {
		t.Fatal("no nextSequenceToken")
	}
	// With a retention of 1 day, a 2-day-old event has expired.
	must[*cwl.PutRetentionPolicyOutput](t)(h.sdk.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}))
	out = must[*cwl.PutLogEventsOutput](t)(h.sdk.PutLogEvents(ctx, &cwl.PutLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []types.InputLogEvent{ev(now-2*day, "expired"), ev(now, "fresh")},
	}))
	if r := out.RejectedLogEventsInfo; r == nil || aws.ToInt32(r.ExpiredLogEventEndIndex) != 1 || r.TooOldLogEventEndIndex != nil {
		t.Fatalf("rejected with retention: %+v", r)
	}
	got := must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)}))
	if diff := cmp.Diff([]string{"ok", "fresh"}, outMsgs(got.Events)); diff != "" {
		t.Fatalf("stored (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		evs  []types.InputLogEvent
		msg  string
	}{
		{"out of order", []types.InputLogEvent{ev(now, "b"), ev(now-1, "a")}, "chronological order"},
		{"over 24 hours", []types.InputLogEvent{ev(now-23*time.Hour.Milliseconds(), "a"), ev(now+90*time.Minute.Milliseconds(), "b")}, "cannot span more than 24 hours"},
		{"too large", []types.InputLogEvent{ev(now, strings.Repeat("x", 600_000)), ev(now, strings.Repeat("y", 600_000))}, "Upload too large: 1200052 bytes exceeds limit of 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.sdk.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: tc.evs})
			if errCode(err) != "InvalidParameterException" || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want InvalidParameterException %q", err, tc.msg)
			}
		})
	}
	// A batch of 10,000 events is the most there can be.
	big := make([]types.InputLogEvent, 10_000)
	for i := range big {
		big[i] = ev(now, "e")
	}
	must[*cwl.PutLogEventsOutput](t)(h.sdk.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: big}))
	_, err := h.sdk.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: append(big, ev(now, "one too many"))})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("10,001 events: %v", err)
	}
}

// TestLogsRetentionExpiresEvents stores events over three days with a 1-day
// retention: reads stop returning the old ones at once, and the sweeper
// deletes the segments that hold only expired events.
func TestLogsRetentionExpiresEvents(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mkStream(t, "g", "s")
	for day := range 3 {
		if day > 0 {
			h.clock.Advance(25 * time.Hour)
		}
		h.put(t, "g", "s", h.clock.Now().UnixMilli(), fmt.Sprintf("day%d", day))
	}
	segs := func() int {
		m, _ := filepath.Glob(filepath.Join(h.dir, "*", "*", "*.seg"))
		return len(m)
	}
	if n := segs(); n != 3 {
		t.Fatalf("%d segments, want one a day", n)
	}
	must[*cwl.PutRetentionPolicyOutput](t)(h.sdk.PutRetentionPolicy(ctx, &cwl.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}))
	got := must[*cwl.FilterLogEventsOutput](t)(h.sdk.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")}))
	if diff := cmp.Diff([]string{"day2"}, filteredMsgs(got.Events)); diff != "" {
		t.Fatalf("after retention (-want +got):\n%s", diff)
	}
	h.api.sweep(ctx)
	if n := segs(); n != 1 {
		t.Fatalf("%d segments after sweep, want 1", n)
	}
	ge := must[*cwl.GetLogEventsOutput](t)(h.sdk.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}))
	if diff := cmp.Diff([]string{"day2"}, outMsgs(ge.Events)); diff != "" {
		t.Fatalf("after sweep (-want +got):\n%s", diff)
	}
	// Unloaded streams are trimmed by file age, without being read.
	h.clock.Advance(25 * time.Hour)
	h.put(t, "g", "s", h.clock.Now().UnixMilli(), "day3")
	if n := segs(); n != 2 {
		t.Fatalf("%d segments, want 2", n)
	}
	h.restart(t)
	h.clock.Advance(3 * 24 * time.Hour)
	h.api.sweep(ctx)
	if n := segs(); n != 1 {
		t.Fatalf("%d segments after sweeping an unloaded stream, want 1", n)
	}
}

// TestLogsEventsSurviveRestart reopens the API on the same directory.
func TestLogsEventsSurviveRestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mkStream(t, "g", "s")
	now := h.clock.Now().UnixMilli()
	h.put(t, "g", "s", now, "one", "two")
	first := must[*cwl.FilterLogEventsOutput](t)(h.sdk.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")}))
	h.restart(t)
	h.put(t, "g", "s", now, "three")
	got := must[*cwl.FilterLogEventsOutput](t)(h.sdk.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("g")}))
	if diff := cmp.Diff([]string{"one", "two", "three"}, filteredMsgs(got.Events)); diff != "" {
		t.Fatalf("after restart (-want +got):\n%s", diff)
	}
	for i, e := range first.Events {
		if aws.ToString(e.EventId) != aws.ToString(got.Events[i].EventId) {
			t.Fatalf("event id of %q changed across a restart", aws.ToString(e.Message))
		}
	}
}
