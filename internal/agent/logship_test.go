package agent

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/agentapi"
	"tide/internal/edge"
	"tide/internal/logs"
	"tide/internal/runtime"
	"tide/internal/sigv4"
	"tide/internal/store"
)

const (
	shipKey    = "AKIASHIPTEST00000001"
	shipSecret = "shipTestSecret/0123456789abcdefghijklmn"
	shipTask1  = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// shipHarness is a real Logs API (embedded etcd, signature-checking edge,
// loopback HTTP) and an agent state directory.
type shipHarness struct {
	api      *logs.API
	url      string
	stateDir string
	clock    *testClock
}

func newShipHarness(t *testing.T) *shipHarness {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	e, err := store.StartEmbedded(ctx, t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st, err := store.Open(ctx, e.Client(), "/tide/", quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	api, err := logs.New(st, t.TempDir(), quiet, logs.Config{Region: "us-east-1", AccountID: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	ed := edge.New(quiet, &sigv4.Verifier{Region: "us-east-1", Secret: func(id string) (string, bool) { return shipSecret, id == shipKey }})
	ed.Register(api.Service())
	srv := httptest.NewServer(ed)
	t.Cleanup(srv.Close)
	return &shipHarness{api: api, url: srv.URL, stateDir: t.TempDir(), clock: &testClock{t: time.Now()}}
}

// shipper is a fresh shipper over the harness's state directory, as a
// (re)started agent has.
func (h *shipHarness) shipper(t *testing.T, rt runtime.Runtime) *logShipper {
	a := &Agent{
		cfg: Config{ServerURL: h.url, AccessKeyID: shipKey, SecretAccessKey: shipSecret, Region: "us-east-1", StateDir: h.stateDir, Runtime: rt},
		log: slog.New(slog.DiscardHandler), now: h.clock.Now, http: &http.Client{Timeout: 10 * time.Second},
	}
	return newLogShipper(a)
}

func (h *shipHarness) write(t *testing.T, container, text string) {
	t.Helper()
	dir := filepath.Join(h.stateDir, "logs", taskID(shipTask1))
	os.MkdirAll(dir, 0o755)
	f, err := os.OpenFile(filepath.Join(dir, container+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(text)
}

func (h *shipHarness) events(t *testing.T, group, stream string) []string {
	t.Helper()
	out, err := h.api.GetLogEvents(context.Background(), &logs.GetLogEventsInput{LogGroupName: &group, LogStreamName: &stream, StartFromHead: ptr(true)})
	if err != nil {
		t.Fatalf("GetLogEvents %s %s: %v", group, stream, err)
	}
	msgs := []string{}
	for _, e := range out.Events {
		msgs = append(msgs, e.Message)
	}
	return msgs
}

func awslogsTask(opts map[string]string) []agentapi.Assignment {
	return []agentapi.Assignment{{TaskArn: shipTask1, DesiredStatus: "RUNNING", Spec: runtime.TaskSpec{
		TaskArn: shipTask1,
		Containers: []runtime.ContainerSpec{
			{Name: "app", LogDriver: "awslogs", LogOptions: opts},
			{Name: "sidecar"}, // no logConfiguration: not shipped
		},
	}}}
}

var webOpts = map[string]string{"awslogs-group": "/tide/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web", "awslogs-create-group": "true"}

func TestAgentLogsShippedOnceAcrossRestarts(t *testing.T) {
	h := newShipHarness(t)
	ctx := context.Background()
	stream := "web/app/" + taskID(shipTask1)
	s := h.shipper(t, nil)
	s.observe(awslogsTask(webOpts), nil)
	h.write(t, "app", "one\n\ntwo\nthr")
	h.write(t, "sidecar", "not shipped\n")
	s.tick(ctx)
	if diff := cmp.Diff([]string{"one", "two"}, h.events(t, "/tide/web", stream)); diff != "" {
		t.Fatalf("first tick (-want +got):\n%s", diff)
	}

	// A restarted agent resumes at the kept offset; the unterminated line
	// waits for its end.
	s = h.shipper(t, nil)
	s.tick(ctx)
	h.write(t, "app", "ee\nfour\n")
	s.tick(ctx)
	if diff := cmp.Diff([]string{"one", "two", "three", "four"}, h.events(t, "/tide/web", stream)); diff != "" {
		t.Fatalf("after restart (-want +got):\n%s", diff)
	}

	// A last line without a newline goes out after a while.
	h.write(t, "app", "tail without newline")
	s.tick(ctx)
	h.clock.Advance(3 * time.Second)
	s.tick(ctx)
	if got := h.events(t, "/tide/web", stream); len(got) != 5 || got[4] != "tail without newline" {
		t.Fatalf("partial line: %q", got)
	}
	if _, err := os.Stat(filepath.Join(h.stateDir, "logship", taskID(shipTask1)+".json")); err != nil {
		t.Fatalf("offsets not kept: %v", err)
	}

	// Once the server stops assigning the task and its output is sent,
	// the shipper forgets it.
	for range 4 {
		h.clock.Advance(10 * time.Second)
		s.observe(nil, nil)
		s.tick(ctx)
	}
	if _, err := os.Stat(filepath.Join(h.stateDir, "logship", taskID(shipTask1)+".json")); !os.IsNotExist(err) {
		t.Fatalf("offsets of a finished task still kept: %v", err)
	}
	if len(s.tasks) != 0 {
		t.Fatalf("still shipping %d tasks", len(s.tasks))
	}
}

func TestAgentLogsWaitForTheGroup(t *testing.T) {
	h := newShipHarness(t)
	ctx := context.Background()
	opts := map[string]string{"awslogs-group": "/tide/later", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "p"}
	s := h.shipper(t, nil)
	s.observe(awslogsTask(opts), nil)
	h.write(t, "app", "kept\n")
	s.tick(ctx)
	s.tick(ctx)
	if _, err := h.api.CreateLogGroup(ctx, &logs.CreateLogGroupInput{LogGroupName: ptr("/tide/later")}); err != nil {
		t.Fatal(err)
	}
	s.tick(ctx)
	if diff := cmp.Diff([]string{"kept"}, h.events(t, "/tide/later", "p/app/"+taskID(shipTask1))); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// A stream deleted under the shipper is created again.
	if _, err := h.api.DeleteLogStream(ctx, &logs.DeleteLogStreamInput{LogGroupName: ptr("/tide/later"), LogStreamName: ptr("p/app/" + taskID(shipTask1))}); err != nil {
		t.Fatal(err)
	}
	h.write(t, "app", "again\n")
	s.tick(ctx)
	s.tick(ctx)
	if diff := cmp.Diff([]string{"again"}, h.events(t, "/tide/later", "p/app/"+taskID(shipTask1))); diff != "" {
		t.Fatalf("after the stream was deleted (-want +got):\n%s", diff)
	}
}

func TestAgentLogsLongAndOddLines(t *testing.T) {
	h := newShipHarness(t)
	ctx := context.Background()
	s := h.shipper(t, nil)
	s.observe(awslogsTask(webOpts), nil)
	long := strings.Repeat("x", 600_000)
	h.write(t, "app", long+"\n"+"bad \xff utf8\n")
	for range 3 {
		s.tick(ctx)
	}
	got := h.events(t, "/tide/web", "web/app/"+taskID(shipTask1))
	if len(got) != 4 || strings.Join(got[:3], "") != long || len(got[0]) != maxEventBytes || got[3] != "bad \uFFFD utf8" {
		lens := []int{}
		for _, g := range got {
			lens = append(lens, len(g))
		}
		t.Fatalf("events of lengths %v, last %q", lens, got[len(got)-1])
	}
}

type namedRuntime struct {
	runtime.Runtime
	name string
}

func (r namedRuntime) Name() string { return r.name }

func TestAgentLogsStreamNames(t *testing.T) {
	h := newShipHarness(t)
	id := taskID(shipTask1)
	for _, tc := range []struct {
		name    string
		rt      runtime.Runtime
		opts    map[string]string
		runtime string // the container's runtime ID
		want    string // "" : not known yet
	}{
		{"prefix", nil, webOpts, "", "web/app/" + id},
		{"docker without prefix: the container ID", namedRuntime{name: "docker"}, map[string]string{"awslogs-group": "g"}, "c0ffee", "c0ffee"},
		{"docker before its container exists", namedRuntime{name: "docker"}, map[string]string{"awslogs-group": "g"}, "", ""},
		{"process without prefix: the task ID", namedRuntime{name: "process"}, map[string]string{"awslogs-group": "g"}, "4242", id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := h.shipper(t, tc.rt)
			obs := []runtime.TaskStatus{{TaskArn: shipTask1, Containers: []runtime.ContainerStatus{{Name: "app", RuntimeID: tc.runtime}}}}
			task, ok := s.shipTaskOf(awslogsTask(tc.opts)[0].Spec, map[string]string{"app": obs[0].Containers[0].RuntimeID})
			got := ""
			if ok {
				got = task.Containers[0].Stream
			}
			if got != tc.want {
				t.Fatalf("stream %q, want %q", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
