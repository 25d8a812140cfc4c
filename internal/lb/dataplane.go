package lb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DataPlane serves every listener of a Config and health checks its targets.
type DataPlane struct {
	log          *slog.Logger
	bindHost     string
	initialCheck time.Duration

	transport *http.Transport
	proxy     *httputil.ReverseProxy
	hcClient  *http.Client
	table     atomic.Pointer[table]
	healthGen atomic.Uint64 // bumped whenever a target's state changes
	readBufs  sync.Pool     // *[]byte of readBufSize, for client connections
	outBufs   sync.Pool     // *[]byte of outBufSize

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[int]*boundListener
	targets   map[string]*target // by group ARN + "|" + "id:port"
	checkers  map[string]*checker
	lbStats   map[string]*lbStats
	tgStats   map[string]*tgStats
}

// Options configures a DataPlane.
type Options struct {
	// BindHost is the address listeners bind ("127.0.0.1" by default; "0.0.0.0" for every interface).
	BindHost string
	Log      *slog.Logger
	// InitialCheckInterval, when set and shorter than a group's interval,
	// is how often a target in its initial health checks is checked, so a
	// new task takes traffic within seconds (Tide's fast timing profile;
	// ALB checks new targets at the group's interval, 5 s at the least).
	InitialCheckInterval time.Duration
}

// New returns a data plane serving nothing until Apply.
func New(opts Options) *DataPlane {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.BindHost == "" {
		opts.BindHost = "127.0.0.1"
	}
	ctx, cancel := context.WithCancel(context.Background())
	dp := &DataPlane{
		log: opts.Log, bindHost: opts.BindHost, initialCheck: opts.InitialCheckInterval, ctx: ctx, cancel: cancel,
		listeners: map[int]*boundListener{}, targets: map[string]*target{}, checkers: map[string]*checker{},
		lbStats: map[string]*lbStats{}, tgStats: map[string]*tgStats{},
	}
	dp.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	dp.hcClient = &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is a response code like any other
		},
	}
	dp.proxy = dp.newReverseProxy()
	dp.readBufs.New = func() any { b := make([]byte, readBufSize); return &b }
	dp.outBufs.New = func() any { b := make([]byte, 0, outBufSize); return &b }
	dp.table.Store(&table{byPort: map[int]*compiledListener{}, groups: map[string]*group{}})
	return dp
}

// table is one compiled Config: what the request path reads, swapped whole.
type table struct {
	byPort map[int]*compiledListener
	groups map[string]*group
}

type compiledListener struct {
	lbARN string
	port  int
	idle  time.Duration
	rules []compiledRule
	stats *lbStats
}

type compiledRule struct {
	matcher
	action Action
}

// boundListener is a listening socket with its server: the data plane's
// own HTTP/1.1 loop (fast) for HTTP, backed by srv; srv alone for HTTPS.
type boundListener struct {
	port       int
	protocol   string
	cert, key  string
	srv        *http.Server
	fast       *h1server
	ln         net.Listener
	done       chan struct{}
	listenerID string
	open       atomic.Int64 // client connections (ActiveConnectionCount)
}

// Apply makes cfg the data plane's configuration: it binds new listeners,
// closes removed ones, starts and stops health checks, marks draining
// targets, and swaps the routing table in one step, so a request is routed
// entirely by the old or entirely by the new configuration.
func (dp *DataPlane) Apply(cfg *Config) error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	now := time.Now()
	tbl := &table{byPort: map[int]*compiledListener{}, groups: map[string]*group{}}

	used := map[string]bool{}
	for _, lb := range cfg.LoadBalancers {
		for _, l := range lb.Listeners {
			for _, r := range l.Rules {
				for _, a := range r.Actions {
					for _, g := range a.TargetGroups {
						used[g.ARN] = true
					}
				}
			}
		}
	}

	seen := map[string]bool{}
	for _, tg := range cfg.TargetGroups {
		g := &group{cfg: tg, used: used[tg.ARN], gen: &dp.healthGen}
		g.cfg.HealthCheck = tg.HealthCheck.withDefaults()
		g.stats = dp.tgStatsFor(tg.ARN)
		for _, tc := range tg.Targets {
			key := tc.ID + ":" + strconv.Itoa(tc.Port)
			id := tg.ARN + "|" + key
			seen[id] = true
			t := dp.targets[id]
			addr := net.JoinHostPort(tc.Host, strconv.Itoa(tc.Port))
			if t != nil && !tc.Draining {
				if _, draining := t.isDraining(); draining { // registered again
					t.drainCancel()
					t = nil
				}
			}
			if t == nil || t.addr != addr {
				if t != nil {
					dp.stopChecker(id)
				}
				t = newTarget(key, addr, tc.AZ, now, &dp.healthGen)
				t.drainCtx, t.drainCancel = context.WithCancel(dp.ctx)
				context.AfterFunc(t.drainCtx, t.conns.stop) // the drain deadline ends the exchanges in flight
				dp.targets[id] = t
			}
			if tc.Draining {
				dp.drain(id, t, tc.DrainDeadline)
			}
			g.targets = append(g.targets, t)
		}
		tbl.groups[tg.ARN] = g
		for _, t := range g.targets {
			id := tg.ARN + "|" + t.key
			_, draining := t.isDraining()
			switch {
			case draining:
				dp.stopChecker(id)
			case !g.used:
				dp.stopChecker(id)
				t.setUnused()
			default:
				dp.ensureChecker(id, t, g.cfg.HealthCheck)
			}
		}
	}
	for id, t := range dp.targets {
		if !seen[id] {
			dp.stopChecker(id)
			t.drainCancel()
			delete(dp.targets, id)
		}
	}

	want := map[int]bool{}
	var errs []error
	for _, lb := range cfg.LoadBalancers {
		idle := lb.IdleTimeout
		if idle <= 0 {
			idle = 60 * time.Second
		}
		for _, l := range lb.Listeners {
			want[l.Port] = true
			cl := &compiledListener{lbARN: lb.ARN, port: l.Port, idle: idle, stats: dp.lbStatsFor(lb.ARN)}
			rules := append([]Rule(nil), l.Rules...)
			sort.SliceStable(rules, func(i, j int) bool {
				if rules[i].IsDefault != rules[j].IsDefault {
					return !rules[i].IsDefault
				}
				return rules[i].Priority < rules[j].Priority
			})
			for _, r := range rules {
				if len(r.Actions) == 0 {
					continue
				}
				cl.rules = append(cl.rules, compiledRule{matcher: compileRule(r), action: r.Actions[len(r.Actions)-1]})
			}
			tbl.byPort[l.Port] = cl
			if err := dp.bind(l); err != nil {
				errs = append(errs, err)
			}
		}
	}
	dp.table.Store(tbl)
	for port, bl := range dp.listeners {
		if !want[port] {
			dp.unbind(bl)
			delete(dp.listeners, port)
		}
	}
	return errors.Join(errs...)
}

// bind makes sure listener l's port is served with its protocol.
func (dp *DataPlane) bind(l Listener) error {
	if bl := dp.listeners[l.Port]; bl != nil {
		if bl.protocol == l.Protocol && bl.cert == l.CertFile && bl.key == l.KeyFile {
			return nil
		}
		dp.unbind(bl)
		delete(dp.listeners, l.Port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(dp.bindHost, strconv.Itoa(l.Port)))
	if err != nil {
		return fmt.Errorf("listener %s: %w", l.ARN, err)
	}
	port := l.Port
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { dp.serve(port, w, r) }),
		ReadHeaderTimeout: 60 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(dp.log.Handler(), slog.LevelDebug),
	}
	bl := &boundListener{port: l.Port, protocol: l.Protocol, cert: l.CertFile, key: l.KeyFile, srv: srv, ln: ln, done: make(chan struct{}), listenerID: l.ARN}
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			bl.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			bl.open.Add(-1)
		}
	}
	if l.Protocol == "HTTPS" {
		cert, err := tls.LoadX509KeyPair(l.CertFile, l.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listener %s: certificate: %w", l.ARN, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
		bl.ln = tls.NewListener(ln, srv.TLSConfig)
	}
	serve := func() error { return srv.Serve(bl.ln) }
	if l.Protocol != "HTTPS" {
		bl.fast = newH1Server(dp, port, ln, srv, &bl.open)
		serve = bl.fast.serve
	}
	go func() {
		defer close(bl.done)
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			dp.log.Warn("listener stopped", "port", port, "err", err)
		}
	}()
	dp.listeners[l.Port] = bl
	dp.log.Info("listener bound", "port", l.Port, "protocol", l.Protocol)
	return nil
}

// unbind stops accepting on bl and lets in-flight requests finish in the background.
func (dp *DataPlane) unbind(bl *boundListener) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if bl.fast != nil {
			bl.fast.shutdown(ctx)
			return
		}
		bl.srv.Shutdown(ctx)
	}()
}

// Addr returns the address listener port is bound to ("" if none).
func (dp *DataPlane) Addr(port int) string {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if bl := dp.listeners[port]; bl != nil {
		return bl.ln.Addr().String()
	}
	return ""
}

func (dp *DataPlane) ensureChecker(id string, t *target, hc HealthCheck) {
	if c := dp.checkers[id]; c != nil {
		if c.hc == hc {
			return
		}
		dp.stopChecker(id)
	}
	t.setInitial()
	ctx, cancel := context.WithCancel(dp.ctx)
	c := &checker{t: t, hc: hc, initial: dp.initialCheck, client: dp.hcClient, cancel: cancel, done: make(chan struct{})}
	dp.checkers[id] = c
	go c.run(ctx)
}

func (dp *DataPlane) stopChecker(id string) {
	if c := dp.checkers[id]; c != nil {
		c.cancel()
		delete(dp.checkers, id)
	}
}

// drain puts t in draining until deadline: no new requests; at the deadline
// its in-flight requests are ended.
func (dp *DataPlane) drain(id string, t *target, deadline time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.draining {
		return
	}
	t.draining = true
	t.gen.Add(1)
	t.health = TargetHealth{State: StateDraining, Reason: "Target.DeregistrationInProgress", Description: "Target deregistration is in progress"}
	t.healthySince = time.Time{}
	t.drainTimer = time.AfterFunc(time.Until(deadline), t.drainCancel)
}

// TargetHealth returns the health of every target of group tgARN, by "id:port".
func (dp *DataPlane) TargetHealth(tgARN string) map[string]TargetHealth {
	g := dp.table.Load().groups[tgARN]
	out := map[string]TargetHealth{}
	if g == nil {
		return out
	}
	for _, t := range g.targets {
		h, _, _ := t.snapshot()
		out[t.key] = h
	}
	return out
}

// Close stops every listener and health check.
func (dp *DataPlane) Close() {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	dp.cancel()
	for port, bl := range dp.listeners {
		if bl.fast != nil {
			bl.fast.close()
		} else {
			bl.srv.Close()
		}
		<-bl.done
		delete(dp.listeners, port)
	}
	for id := range dp.checkers {
		dp.stopChecker(id)
	}
	dp.transport.CloseIdleConnections()
	for _, t := range dp.targets {
		t.conns.closeIdle()
	}
}

func (t *target) isDraining() (TargetHealth, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.health, t.draining
}

func (t *target) setUnused() {
	t.mu.Lock()
	t.health = TargetHealth{State: StateUnused, Reason: "Target.NotInUse", Description: "Target group is not configured to receive traffic from the load balancer"}
	t.okRun, t.bad, t.healthySince = 0, 0, time.Time{}
	t.gen.Add(1)
	t.mu.Unlock()
}
