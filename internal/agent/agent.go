// Package agent runs the tasks that Tide's servers assign to one host. It
// registers the host (as a container instance of a cluster, or as the local
// FARGATE capacity of a server), then loops: observe every task the runtime
// has, report it all in a poll, receive the host's desired tasks, and start
// or stop the difference. Nothing is remembered between loops but what the
// runtime reports, so the agent, the server, or both may restart at any time
// and converge: tasks are re-adopted by ARN, never duplicated.
//
// It depends on the runtime interface and the agent protocol, not on the
// server's packages.
package agent

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"tide/internal/agentapi"
	"tide/internal/runtime"
	"tide/internal/sigv4"
)

// Version is reported as the agent version.
const Version = "tide-agent/0.1"

// Config configures an agent.
type Config struct {
	ServerURL        string // e.g. http://127.0.0.1:4566
	AccessKeyID      string
	SecretAccessKey  string
	Region           string
	Cluster          string // EC2 capacity of this cluster; empty with Fargate
	Fargate          bool   // the server's local FARGATE capacity
	StateDir         string // host identity and task logs
	AvailabilityZone string
	Attributes       map[string]string
	CPU, Memory      int32 // capacity; 0 detects the host's
	Runtime          runtime.Runtime
	Log              *slog.Logger
	HTTPClient       *http.Client // nil: a client with a 30 s timeout
	Now              func() time.Time
}

// Agent is one host's agent.
type Agent struct {
	cfg    Config
	log    *slog.Logger
	hostID string
	now    func() time.Time
	http   *http.Client

	mu       sync.Mutex
	kick     chan struct{}                 // an async action finished: report now
	inflight map[string]bool               // task ARNs with a start or stop under way
	failed   map[string]runtime.TaskStatus // starts that failed, reported until unassigned
	wg       sync.WaitGroup
}

// New prepares an agent: it loads or creates the host identity in StateDir.
func New(cfg Config) (*Agent, error) {
	if cfg.Runtime == nil {
		return nil, errors.New("agent: no runtime")
	}
	if cfg.Cluster == "" && !cfg.Fargate {
		return nil, errors.New("agent: a cluster is required")
	}
	id, err := LoadHostID(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.CPU == 0 {
		cfg.CPU = int32(goruntime.NumCPU() * 1024)
	}
	if cfg.Memory == 0 {
		cfg.Memory = hostMemoryMiB()
	}
	return &Agent{cfg: cfg, log: cfg.Log, hostID: id, now: cfg.Now, http: cfg.HTTPClient, kick: make(chan struct{}, 1), inflight: map[string]bool{}, failed: map[string]runtime.TaskStatus{}}, nil
}

// HostID is the agent's stable identity.
func (a *Agent) HostID() string { return a.hostID }

// LoadHostID returns the host identity kept in stateDir, creating it on
// first use.
func LoadHostID(stateDir string) (string, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return "", fmt.Errorf("agent state dir: %w", err)
	}
	return hostID(filepath.Join(stateDir, "host-id"))
}

func hostID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	var r [8]byte
	rand.Read(r[:])
	id := "h-" + hex.EncodeToString(r[:])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("agent host id: %w", err)
	}
	return id, nil
}

func hostMemoryMiB() int32 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 1024
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return int32(kb / 1024)
		}
	}
	return 1024
}

// Run registers and polls until ctx ends, then waits for the starts and stops
// it began. Containers keep running after it returns.
func (a *Agent) Run(ctx context.Context) error {
	defer a.wg.Wait()
	ship := newLogShipper(a)
	a.wg.Go(func() { ship.run(ctx) })
	var wants chan []string
	if pf, ok := a.cfg.Runtime.(prefetcher); ok {
		wants = make(chan []string, 1)
		a.wg.Go(func() { a.prefetchLoop(ctx, pf, wants) })
	}
	wait := time.Second
	registered := false
	var rev int64
	var last []byte
	for ctx.Err() == nil {
		if !registered {
			resp, err := a.register(ctx)
			if err != nil {
				a.log.Warn("agent register", "err", err)
				sleep(ctx, time.Second)
				continue
			}
			registered, rev, last = true, 0, nil
			if resp.PollWaitMillis > 0 {
				wait = time.Duration(resp.PollWaitMillis) * time.Millisecond
			}
			a.log.Info("agent registered", "host", a.hostID, "instance", resp.ContainerInstanceArn)
		}
		statuses, err := a.cfg.Runtime.List(ctx)
		if err != nil {
			a.log.Warn("agent list", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		statuses = a.withFailures(statuses)
		req := agentapi.PollRequest{HostID: a.hostID, Cluster: a.cfg.Cluster, Tasks: statuses}
		fp := fingerprint(statuses)
		if bytes.Equal(fp, last) {
			req.AfterRevision = rev // nothing new to say: let the server hold the poll
		}
		var resp agentapi.PollResponse
		if err := a.pollOnce(ctx, req, &resp, wait); err != nil {
			if errors.Is(err, errKicked) {
				continue // something changed here: report it at once
			}
			if ctx.Err() == nil {
				a.log.Warn("agent poll", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if resp.Unknown {
			registered = false
			continue
		}
		rev, last = resp.Revision, fp
		// Reconcile against what runs now, not what ran before the poll
		// waited: a start that finished meanwhile must not start again.
		if fresh, err := a.cfg.Runtime.List(ctx); err == nil {
			statuses = a.withFailures(fresh)
		}
		a.reconcile(ctx, resp.Tasks, statuses)
		ship.observe(resp.Tasks, statuses)
		if wants != nil && len(resp.Images) > 0 {
			offer(wants, resp.Images)
		}
	}
	return nil
}

var errKicked = errors.New("poll abandoned: local state changed")

// pollOnce sends a poll. A poll that waits on the server is abandoned when a
// start or stop finishes here, so that the change is reported at once.
func (a *Agent) pollOnce(ctx context.Context, req agentapi.PollRequest, resp *agentapi.PollResponse, wait time.Duration) error {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	kicked := make(chan struct{})
	if req.AfterRevision > 0 {
		go func() {
			select {
			case <-a.kick:
				close(kicked)
				cancel()
			case <-pctx.Done():
			}
		}()
	}
	err := a.call(pctx, agentapi.PathPoll, req, resp, wait+10*time.Second)
	select {
	case <-kicked:
		return errKicked
	default:
		return err
	}
}

// fingerprint is the observed state without resource usage, to tell whether
// anything changed since the last poll.
func fingerprint(statuses []runtime.TaskStatus) []byte {
	cp := make([]runtime.TaskStatus, len(statuses))
	for i, t := range statuses {
		cp[i] = runtime.TaskStatus{TaskArn: t.TaskArn, Containers: make([]runtime.ContainerStatus, len(t.Containers))}
		for j, c := range t.Containers {
			c.Usage = runtime.Usage{}
			cp[i].Containers[j] = c
		}
	}
	b, _ := json.Marshal(cp)
	return b
}

func (a *Agent) register(ctx context.Context) (*agentapi.RegisterResponse, error) {
	hostname, _ := os.Hostname()
	attrs := map[string]string{}
	for k, v := range a.cfg.Attributes {
		attrs[k] = v
	}
	req := agentapi.RegisterRequest{
		HostID: a.hostID, Cluster: a.cfg.Cluster, Fargate: a.cfg.Fargate, Hostname: hostname,
		CPU: a.cfg.CPU, Memory: a.cfg.Memory, Attributes: attrs, AvailabilityZone: a.cfg.AvailabilityZone,
		Runtime: a.cfg.Runtime.Name(), AgentVersion: Version,
	}
	var resp agentapi.RegisterResponse
	if err := a.call(ctx, agentapi.PathRegister, req, &resp, 30*time.Second); err != nil {
		return nil, err
	}
	return &resp, nil
}

// call posts a signed JSON request and decodes the JSON answer.
func (a *Agent) call(ctx context.Context, path string, in, out any, timeout time.Duration) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(a.cfg.ServerURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, body, a.cfg.AccessKeyID, a.cfg.SecretAccessKey, a.cfg.Region, agentapi.SigningService, a.now()); err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
