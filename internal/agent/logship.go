package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"tide/internal/agentapi"
	"tide/internal/runtime"
	"tide/internal/sigv4"
)

// What the log shipper does, and how often.
const (
	shipEvery = time.Second
	// shipGrace is how long a task's output is still shipped after the
	// server stops assigning it (it stopped): time to read its last lines.
	shipGrace = 30 * time.Second
	// shipGiveUp forgets a task that is no longer assigned but whose
	// output cannot be sent (a log group that does not exist).
	shipGiveUp = time.Hour
	// partialWait is how long an unterminated last line waits for its
	// newline before it is sent as it is.
	partialWait = 2 * time.Second
	// shipChunk is how much of a log file one PutLogEvents carries at
	// most: even a chunk of invalid UTF-8, tripled by replacement
	// characters, fits AWS's 1 MiB batch.
	shipChunk = 256 << 10
	// maxEventBytes splits longer lines into several events, as Docker's
	// awslogs driver does.
	maxEventBytes = 256<<10 - 26
	// maxBatchesPerTick bounds one container's sending per tick.
	maxBatchesPerTick = 64

	logsTarget = "Logs_20140328."
)

// logShipper sends the output of the agent's containers whose task
// definition says logConfiguration awslogs to the server's CloudWatch Logs
// API: group awslogs-group (created first with awslogs-create-group
// "true"), stream awslogs-stream-prefix/container/task-id, one event per
// line, stamped with the time the line was read (the runtimes write lines
// without timestamps; Docker's log copier strips the engine's).
//
// It tails <StateDir>/logs/<task id>/<container>.log from an offset that it
// keeps in <StateDir>/logship/<task id>.json, written after each batch the
// server accepted, so that a restarted agent resumes there: a crash
// between a send and its record repeats at most that batch.
//
// Without a prefix the stream is named after the container's runtime ID,
// as ECS names it after the Docker container ID; the process runtime's IDs
// are process IDs, which get reused, so there the task ID is the name.
// awslogs-region is not used: the server is the one region there is.
// awslogs-datetime-format and awslogs-multiline-pattern are not supported:
// every line is an event.
type logShipper struct {
	a      *Agent
	dir    string // where offsets are kept
	logDir string // where the runtimes write output

	mu       sync.Mutex
	tasks    map[string]*shipTask // by task ARN
	observed time.Time            // the last observe: the server is in touch
}

// shipTask is what is shipped of one task, as kept on disk.
type shipTask struct {
	TaskArn    string           `json:"taskArn"`
	Containers []*shipContainer `json:"containers"`

	seen time.Time // the server's last assignment of it; guarded by mu
}

type shipContainer struct {
	Name        string `json:"name"`
	Group       string `json:"group"`
	Stream      string `json:"stream"`
	CreateGroup bool   `json:"createGroup,omitempty"`
	Offset      int64  `json:"offset"` // bytes of the log file sent

	// Only the shipper's goroutine touches these.
	ready   bool      // group and stream exist, as far as we know
	partial time.Time // since when an unterminated last line has waited
	warned  string    // the last problem logged, so it is logged once
}

// newLogShipper loads the offsets an earlier agent kept, before the first
// observe can make records of its own.
func newLogShipper(a *Agent) *logShipper {
	s := &logShipper{
		a:      a,
		dir:    filepath.Join(a.cfg.StateDir, "logship"),
		logDir: filepath.Join(a.cfg.StateDir, "logs"),
		tasks:  map[string]*shipTask{},
	}
	s.load()
	return s
}

// run ships once a second until ctx ends.
func (s *logShipper) run(ctx context.Context) {
	t := time.NewTicker(shipEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.tick(ctx)
		}
	}
}

// observe learns the awslogs containers of the tasks the server assigns;
// observed gives their runtime IDs.
func (s *logShipper) observe(desired []agentapi.Assignment, observed []runtime.TaskStatus) {
	now := s.a.now()
	ids := map[string]map[string]string{}
	for _, t := range observed {
		ids[t.TaskArn] = map[string]string{}
		for _, c := range t.Containers {
			ids[t.TaskArn][c.Name] = c.RuntimeID
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observed = now
	for _, as := range desired {
		if t := s.tasks[as.TaskArn]; t != nil {
			t.seen = now
			continue
		}
		t, ok := s.shipTaskOf(as.Spec, ids[as.TaskArn])
		if !ok {
			continue
		}
		if err := s.save(t); err != nil {
			s.a.log.Warn("log shipping: keep offsets", "task", as.TaskArn, "err", err)
			continue
		}
		t.seen = now
		s.tasks[as.TaskArn] = t
	}
}

// shipTaskOf returns what to ship of a task, false when it has no awslogs
// container or a stream's name is not known yet (a runtime ID).
func (s *logShipper) shipTaskOf(spec runtime.TaskSpec, runtimeIDs map[string]string) (*shipTask, bool) {
	t := &shipTask{TaskArn: spec.TaskArn}
	for _, c := range spec.Containers {
		if c.LogDriver != "awslogs" || c.LogOptions["awslogs-group"] == "" {
			continue
		}
		stream, ok := s.streamName(spec.TaskArn, c, runtimeIDs[c.Name])
		if !ok {
			return nil, false
		}
		t.Containers = append(t.Containers, &shipContainer{
			Name: c.Name, Group: c.LogOptions["awslogs-group"], Stream: stream,
			CreateGroup: c.LogOptions["awslogs-create-group"] == "true",
		})
	}
	return t, len(t.Containers) > 0
}

// streamName is ECS's: prefix/container/task-id, or the container ID
// without a prefix.
func (s *logShipper) streamName(taskArn string, c runtime.ContainerSpec, runtimeID string) (string, bool) {
	if p := c.LogOptions["awslogs-stream-prefix"]; p != "" {
		return p + "/" + c.Name + "/" + taskID(taskArn), true
	}
	if s.a.cfg.Runtime != nil && s.a.cfg.Runtime.Name() == "docker" {
		return runtimeID, runtimeID != ""
	}
	return taskID(taskArn), true
}

// tick ships what is new of every task, and forgets the tasks that are
// over and sent.
func (s *logShipper) tick(ctx context.Context) {
	now := s.a.now()
	type item struct {
		t    *shipTask
		seen time.Time
	}
	s.mu.Lock()
	items := make([]item, 0, len(s.tasks))
	for _, t := range s.tasks {
		items = append(items, item{t, t.seen})
	}
	// A task is over when the server has stopped assigning it for a
	// while, not when polls fail: then nothing is seen at all.
	inTouch := now.Sub(s.observed) < shipGrace/2
	s.mu.Unlock()
	for _, it := range items {
		gone := inTouch && now.Sub(it.seen) >= shipGrace
		drained := true
		for _, c := range it.t.Containers {
			if ctx.Err() != nil {
				return
			}
			drained = s.ship(ctx, it.t, c, gone) && drained
		}
		if gone && (drained || now.Sub(it.seen) >= shipGiveUp) {
			if !drained {
				s.a.log.Warn("log shipping: giving up on a stopped task's unsent output", "task", it.t.TaskArn)
			}
			s.forget(it.t)
		}
	}
}

// ship sends what is new in one container's log file and reports whether
// all of it is sent. final sends an unterminated last line at once.
func (s *logShipper) ship(ctx context.Context, t *shipTask, c *shipContainer, final bool) bool {
	f, err := os.Open(filepath.Join(s.logDir, taskID(t.TaskArn), c.Name+".log"))
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil {
		s.warn(c, "log shipping: open container output", "task", t.TaskArn, "container", c.Name, "err", err)
		return false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false
	}
	if info.Size() < c.Offset { // replaced or truncated: start again
		c.Offset = 0
	}
	buf := make([]byte, shipChunk)
	for range maxBatchesPerTick {
		if c.Offset >= info.Size() {
			c.partial = time.Time{}
			return true
		}
		n, err := f.ReadAt(buf, c.Offset)
		if err != nil && !errors.Is(err, io.EOF) {
			s.warn(c, "log shipping: read container output", "task", t.TaskArn, "container", c.Name, "err", err)
			return false
		}
		now := s.a.now()
		flush := final || !c.partial.IsZero() && now.Sub(c.partial) >= partialWait
		events, used := linesToEvents(buf[:n], flush, now.UnixMilli())
		if used == 0 && n == len(buf) { // a line longer than a chunk: send one event of it
			cut := maxEventBytes
			for cut > 0 && !utf8.RuneStart(buf[cut]) {
				cut--
			}
			events, used = linesToEvents(buf[:cut], true, now.UnixMilli())
		}
		if used == 0 {
			if c.partial.IsZero() {
				c.partial = now
			}
			return false
		}
		if len(events) > 0 {
			if err := s.send(ctx, c, events); err != nil {
				s.warn(c, "log shipping: send", "task", t.TaskArn, "container", c.Name, "group", c.Group, "stream", c.Stream, "err", err)
				return false
			}
		}
		c.Offset += int64(used)
		c.partial, c.warned = time.Time{}, ""
		if err := s.save(t); err != nil {
			s.a.log.Warn("log shipping: keep offsets", "task", t.TaskArn, "err", err)
		}
	}
	return false
}

// logEvent is an InputLogEvent.
type logEvent struct {
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// linesToEvents turns the whole lines at the start of b (all of b with
// flush) into events stamped ts, and says how many bytes it used. Empty
// lines are skipped (CloudWatch Logs refuses empty messages); long ones
// are split; invalid UTF-8 becomes U+FFFD.
func linesToEvents(b []byte, flush bool, ts int64) ([]logEvent, int) {
	var events []logEvent
	used := 0
	for used < len(b) {
		line := b[used:]
		i := bytes.IndexByte(line, '\n')
		switch {
		case i >= 0:
			line = line[:i]
			used += i + 1
		case flush:
			used = len(b)
		default:
			return events, used
		}
		msg := strings.ToValidUTF8(string(line), "\uFFFD")
		for msg != "" {
			n := min(len(msg), maxEventBytes)
			for n < len(msg) && n > 0 && !utf8.RuneStart(msg[n]) {
				n--
			}
			events = append(events, logEvent{Timestamp: ts, Message: msg[:n]})
			msg = msg[n:]
		}
	}
	return events, used
}

// send puts events in the container's stream, creating the stream (and
// the group, when asked to) first.
func (s *logShipper) send(ctx context.Context, c *shipContainer, events []logEvent) error {
	if !c.ready {
		if err := s.ensureStream(ctx, c); err != nil {
			return err
		}
		c.ready = true
	}
	err := s.call(ctx, "PutLogEvents", map[string]any{"logGroupName": c.Group, "logStreamName": c.Stream, "logEvents": events})
	if isLogsError(err, "ResourceNotFoundException") {
		c.ready = false // deleted meanwhile: create again next time
	}
	return err
}

func (s *logShipper) ensureStream(ctx context.Context, c *shipContainer) error {
	if c.CreateGroup {
		err := s.call(ctx, "CreateLogGroup", map[string]string{"logGroupName": c.Group})
		if err != nil && !isLogsError(err, "ResourceAlreadyExistsException") {
			return fmt.Errorf("create log group: %w", err)
		}
	}
	err := s.call(ctx, "CreateLogStream", map[string]string{"logGroupName": c.Group, "logStreamName": c.Stream})
	switch {
	case err == nil || isLogsError(err, "ResourceAlreadyExistsException"):
		return nil
	case isLogsError(err, "ResourceNotFoundException") && !c.CreateGroup:
		// ECS fails the task; Tide keeps the output and retries.
		return fmt.Errorf("log group %s does not exist and awslogs-create-group is not \"true\": %w", c.Group, err)
	}
	return fmt.Errorf("create log stream: %w", err)
}

// logsError is an error answer of the Logs API.
type logsError struct {
	Code, Message string
}

func (e *logsError) Error() string { return e.Code + ": " + e.Message }

func isLogsError(err error, code string) bool {
	var le *logsError
	return errors.As(err, &le) && le.Code == code
}

// call sends one signed AWS JSON 1.1 request to the server's Logs API.
func (s *logShipper) call(ctx context.Context, op string, in any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(s.a.cfg.ServerURL, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", logsTarget+op)
	if err := sigv4.Sign(req, body, s.a.cfg.AccessKeyID, s.a.cfg.SecretAccessKey, s.a.cfg.Region, "logs", s.a.now()); err != nil {
		return err
	}
	resp, err := s.a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) != nil || e.Type == "" {
		return fmt.Errorf("%s: %s: %s", op, resp.Status, bytes.TrimSpace(b))
	}
	return &logsError{Code: e.Type, Message: e.Message}
}

// warn logs a container's problem once, until it changes or clears.
func (s *logShipper) warn(c *shipContainer, msg string, args ...any) {
	key := fmt.Sprint(args...)
	if key == c.warned {
		return
	}
	c.warned = key
	s.a.log.Warn(msg, args...)
}

// ---------------------------------------------------------------- offsets on disk

func (s *logShipper) path(taskArn string) string {
	return filepath.Join(s.dir, taskID(taskArn)+".json")
}

// save writes a task's offsets durably, replacing the previous record.
func (s *logShipper) save(t *shipTask) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	tmp := s.path(t.TaskArn) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, s.path(t.TaskArn))
}

// load reads the records an earlier agent kept; their tasks count as seen
// now, so that a stopped task's last lines still go out.
func (s *logShipper) load() {
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.json"))
	now := s.a.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range files {
		b, err := os.ReadFile(f)
		var t shipTask
		if err == nil {
			err = json.Unmarshal(b, &t)
		}
		if err != nil || t.TaskArn == "" {
			s.a.log.Warn("log shipping: unreadable offsets", "file", f, "err", err)
			continue
		}
		if _, ok := s.tasks[t.TaskArn]; !ok {
			t.seen = now
			s.tasks[t.TaskArn] = &t
		}
	}
}

func (s *logShipper) forget(t *shipTask) {
	s.mu.Lock()
	delete(s.tasks, t.TaskArn)
	s.mu.Unlock()
	if err := os.Remove(s.path(t.TaskArn)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.a.log.Warn("log shipping: forget offsets", "task", t.TaskArn, "err", err)
	}
}
