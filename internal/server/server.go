// Package server assembles a Tide server from its parts: the store (embedded
// etcd or an external cluster), the edge with its credentials, every API, and
// the controllers that run on the elected leader. It owns their goroutines
// and stops them in order.
package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"tide/internal/agent"
	"tide/internal/autoscaling"
	"tide/internal/cloudwatch"
	"tide/internal/ecr"
	"tide/internal/ecs"
	"tide/internal/edge"
	"tide/internal/elbv2"
	"tide/internal/lb"
	"tide/internal/logs"
	"tide/internal/metrics"
	"tide/internal/registry"
	"tide/internal/runtime/pick"
	"tide/internal/sigv4"
	"tide/internal/sns"
	"tide/internal/store"
)

// Config configures a server.
type Config struct {
	DataDir       string
	Listen        string   // edge address, host:port
	EtcdEndpoints []string // empty: embedded etcd in DataDir
	Region        string
	AccountID     string
	Credentials   Credentials // empty: stored or generated in DataDir
	Log           *slog.Logger
	Out           io.Writer // where the credentials banner goes; nil: os.Stdout
	// LocalAgent runs an agent in the server process: the capacity for
	// FARGATE tasks. Runtime names its runtime: docker, process or auto.
	LocalAgent bool
	Runtime    string
	// AnonymousPull lets clients without credentials pull from the registry.
	AnonymousPull bool
	// LBBindHost is the address load balancer listeners bind; empty: 127.0.0.1.
	LBBindHost string
	// LifecycleInterval is how often the leader applies ECR lifecycle
	// policies; 0 means every minute.
	LifecycleInterval time.Duration
	// LocalCPU and LocalMemory are the capacity the local agent offers
	// (CPU units, MiB); 0 offers the host's.
	LocalCPU, LocalMemory int32
	Agent                 ecs.AgentConfig
	// Timing is the timing profile: "fast" (the default: one-second
	// metrics and alarm periods, new targets checked every second) or
	// "aws" (AWS's one-minute metrics, periods and default cooldowns).
	Timing string
	// SMTPAddr is the SMTP server (host:port) SNS email subscriptions
	// are delivered through; empty refuses them.
	SMTPAddr string
}

// Server is a running Tide server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	embedded *store.Embedded
	client   *clientv3.Client
	store    *store.Store
	ecs      *ecs.API
	logs     *logs.API
	registry *registry.Registry
	ecr      *ecr.API
	lb       *lb.DataPlane
	elbv2    *elbv2.API
	metrics  *metrics.Store
	cw       *cloudwatch.API
	sns      *sns.API
	aas      *autoscaling.API
	timing   timing
	http     *http.Server
	listener net.Listener
	creds    Credentials
	started  time.Time
	leader   atomic.Bool
	// leaderAddr is the leader's edge address (watchLeader keeps it).
	leaderAddr atomic.Value

	cancel      context.CancelFunc
	wg          sync.WaitGroup
	agentCancel context.CancelFunc
	agentDone   chan struct{}
	stopOnce    sync.Once
	stopErr     error
}

// Start opens the store, binds the edge port and starts serving. It returns
// once the server is healthy.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	s := &Server{cfg: cfg, log: cfg.Log, started: time.Now()}
	if s.timing, err = timingProfile(cfg.Timing); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.closeStore()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	creds, generated, err := loadCredentials(cfg.DataDir, cfg.Credentials)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	s.creds = creds
	if err := s.openStore(ctx); err != nil {
		return nil, err
	}
	s.ecs = ecs.New(s.store, s.log.With("api", "ecs"), ecs.Config{Region: cfg.Region, AccountID: cfg.AccountID, Agent: cfg.Agent})
	verifier := &sigv4.Verifier{Secret: s.secret, Region: cfg.Region}
	e := edge.New(s.log.With("component", "edge"), verifier)
	e.Register(s.ecs.Service())
	s.logs, err = logs.New(s.store, filepath.Join(cfg.DataDir, "logs"), s.log.With("api", "logs"), logs.Config{Region: cfg.Region, AccountID: cfg.AccountID})
	if err != nil {
		return nil, err
	}
	e.Register(s.logs.Service())
	s.registry, err = registry.New(s.store, filepath.Join(cfg.DataDir, "registry"), s.log.With("component", "registry"),
		registry.Config{Region: cfg.Region, AccountID: cfg.AccountID, Secret: s.secret, AnonymousPull: cfg.AnonymousPull})
	if err != nil {
		return nil, err
	}
	e.Handle("/v2/", s.registry)
	s.ecr = ecr.New(s.registry, s.log.With("api", "ecr"), ecr.Config{Region: cfg.Region, AccountID: cfg.AccountID})
	e.Register(s.ecr.Service())
	s.ecs.MountAgentAPI(e)
	e.Handle("GET /_tide/health", http.HandlerFunc(s.health))
	s.lb = lb.New(lb.Options{BindHost: cfg.LBBindHost, Log: s.log.With("component", "lb"), InitialCheckInterval: s.timing.initialCheck})
	s.elbv2 = elbv2.New(s.store, s.log.With("api", "elbv2"), elbv2.Config{Region: cfg.Region, AccountID: cfg.AccountID, ResolveInstance: resolveInstance, Health: s.lb})
	e.RegisterQuery(s.elbv2.Service())
	s.ecs.SetLoadBalancing(loadBalancing{api: s.elbv2, dp: s.lb})
	s.metrics = metrics.New(nil)
	s.cw = cloudwatch.New(s.store, s.log.With("api", "cloudwatch"), cloudwatch.Config{Region: cfg.Region, AccountID: cfg.AccountID, AWSPeriods: s.timing.awsPeriods, Metrics: s.metrics})
	e.RegisterAPI(s.cw.EdgeAPI())
	s.sns = sns.New(s.store, s.log.With("api", "sns"), sns.Config{Region: cfg.Region, AccountID: cfg.AccountID, BaseURL: s.baseURL, SMTPAddr: cfg.SMTPAddr})
	e.RegisterQuery(s.sns.Service())
	s.aas = autoscaling.New(s.store, s.log.With("api", "autoscaling"), autoscaling.Config{Region: cfg.Region, AccountID: cfg.AccountID,
		Timing: s.timing.scaling, Alarms: s.cw, Services: ecsServices{s.ecs}, Metrics: s.metrics})
	e.Register(s.aas.Service())
	e.Handle("GET "+sns.CertPath, s.sns.CertHandler())
	e.Handle("GET "+sns.ConfirmPath, s.sns.ConfirmHandler())
	e.Handle("GET "+sns.UnsubscribePath, s.sns.UnsubscribeHandler())
	e.HandleSigned("POST "+metricsPath, s.receiveMetrics)
	e.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ecs.ServeMetrics(w, r)
		s.lb.WriteMetrics(w)
		s.metrics.WritePrometheus(w)
	}))

	s.listener, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.http = &http.Server{Handler: s.forwardCloudWatch(e), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Go(func() {
		if err := s.http.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("edge stopped", "err", err)
		}
	})
	s.wg.Go(func() { s.campaign(runCtx) })
	s.wg.Go(func() { s.registry.RunGC(runCtx, 10*time.Minute) }) // every server: blobs are on its disk
	s.wg.Go(func() { s.runDataPlane(runCtx) })                   // every server serves every listener
	s.wg.Go(func() { s.watchLeader(runCtx) })
	s.wg.Go(func() { s.publishMetrics(runCtx, s.timing.metricPeriod, s.timing.hires) })
	if cfg.LocalAgent {
		if err := s.startLocalAgent(ctx); err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
	}
	s.printBanner(generated)
	return s, nil
}

// startLocalAgent runs the server's own agent: FARGATE capacity on this host.
func (s *Server) startLocalAgent(ctx context.Context) error {
	dir := filepath.Join(s.cfg.DataDir, "agent")
	log := s.log.With("component", "agent")
	owner, err := agent.LoadHostID(dir)
	if err != nil {
		return err
	}
	rt, err := pick.Open(ctx, s.cfg.Runtime, dir, owner, agent.RegistryAuth(s.URL(), s.creds.AccessKeyID, s.creds.SecretAccessKey, s.cfg.Region), log)
	if err != nil {
		return fmt.Errorf("local agent runtime: %w", err)
	}
	ag, err := agent.New(agent.Config{
		ServerURL: s.URL(), AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey,
		Region: s.cfg.Region, Fargate: true, StateDir: dir, AvailabilityZone: s.cfg.Region + "a",
		CPU: s.cfg.LocalCPU, Memory: s.cfg.LocalMemory,
		Runtime: rt, Log: log,
	})
	if err != nil {
		return err
	}
	actx, cancel := context.WithCancel(context.Background())
	s.agentCancel, s.agentDone = cancel, make(chan struct{})
	go func() {
		defer close(s.agentDone)
		ag.Run(actx)
		pick.Close(rt)
	}()
	s.log.Info("local agent started", "runtime", rt.Name(), "host", ag.HostID())
	return nil
}

func (s *Server) openStore(ctx context.Context) error {
	if len(s.cfg.EtcdEndpoints) == 0 {
		e, err := store.StartEmbedded(ctx, s.cfg.DataDir+"/etcd", s.log.With("component", "etcd"))
		if err != nil {
			return err
		}
		s.embedded, s.client = e, e.Client()
	} else {
		c, err := clientv3.New(clientv3.Config{Endpoints: s.cfg.EtcdEndpoints, DialTimeout: 5 * time.Second, Context: ctx})
		if err != nil {
			return fmt.Errorf("connect to etcd %v: %w", s.cfg.EtcdEndpoints, err)
		}
		s.client = c
	}
	st, err := store.Open(ctx, s.client, "/tide/", s.log.With("component", "store"))
	if err != nil {
		return err
	}
	s.store = st
	return nil
}

// campaign runs for leadership until ctx ends and runs the controllers while
// this server leads. etcd's election keeps a single leader among servers
// that share a cluster.
func (s *Server) campaign(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.lead(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("leader election", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (s *Server) lead(ctx context.Context) error {
	sess, err := concurrency.NewSession(s.client, concurrency.WithTTL(5), concurrency.WithContext(ctx))
	if err != nil {
		return err
	}
	defer sess.Close()
	el := concurrency.NewElection(sess, "/tide-election/controllers")
	if err := el.Campaign(ctx, s.listener.Addr().String()); err != nil {
		return err
	}
	s.leader.Store(true)
	defer s.leader.Store(false)
	s.log.Info("leading controllers")
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done(): // lost the lease: stop leading
			cancel()
		case <-lctx.Done():
		}
	}()
	var lifecycle sync.WaitGroup
	lifecycle.Go(func() { s.runLifecycle(lctx, cmp.Or(s.cfg.LifecycleInterval, time.Minute)) })
	lifecycle.Go(func() { s.sweepTargets(lctx) })
	lifecycle.Go(func() {
		cloudwatch.NewController(s.cw, s.log.With("controller", "alarms"), cloudwatch.ControllerConfig{Metrics: s.metrics, Notifier: s.sns, Policies: s.aas, Delay: s.timing.alarmDelay, Tick: s.timing.alarmTick}).Run(lctx)
	})
	lifecycle.Go(func() { s.sns.Run(lctx) }) // one deliverer: the leader
	lifecycle.Go(func() { autoscaling.NewController(s.aas, s.log.With("controller", "scheduled-actions")).Run(lctx) })
	s.ecs.Run(lctx, time.Second)
	cancel()
	lifecycle.Wait()
	if ctx.Err() == nil {
		return errors.New("lost leadership")
	}
	return nil
}

// runDataPlane hands the load balancer's data plane a new configuration
// whenever the store has moved, until ctx ends; then it closes the data plane.
func (s *Server) runDataPlane(ctx context.Context) {
	defer s.lb.Close()
	var applied int64 = -1
	var retry time.Time
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if rev := s.store.Revision(); rev != applied || (!retry.IsZero() && time.Now().After(retry)) {
			applied, retry = rev, time.Time{}
			if err := s.lb.Apply(s.elbv2.Config()); err != nil {
				s.log.Warn("load balancer configuration", "err", err) // a port in use: try again shortly
				retry = time.Now().Add(5 * time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepTargets forgets deregistered targets whose drain has ended, every
// second while this server leads.
func (s *Server) sweepTargets(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.elbv2.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("load balancer targets", "err", err)
		}
	}
}

// runLifecycle applies the repositories' lifecycle policies every interval
// while this server leads (AWS does within 24 hours; Tide within a minute).
func (s *Server) runLifecycle(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.ecr.ApplyLifecycle(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("lifecycle policies", "err", err)
		}
		if n > 0 {
			s.log.Info("lifecycle policies expired images", "images", n)
		}
	}
}

func (s *Server) secret(id string) (string, bool) {
	if id == s.creds.AccessKeyID {
		return s.creds.SecretAccessKey, true
	}
	return "", false
}

// baseURL is the address a client reached this server at, for links in
// what it sends (SNS's SubscribeURL): the request's Host, or the edge's
// address for work no request started (an alarm's notification).
func (s *Server) baseURL(ctx context.Context) string {
	if h := edge.Host(ctx); h != "" {
		return "http://" + h
	}
	return s.URL()
}

// URL is the edge's base URL.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Credentials returns the accepted access key pair.
func (s *Server) Credentials() Credentials { return s.creds }

func (s *Server) printBanner(generated bool) {
	note := "Tide is ready"
	if generated {
		note += "; new credentials were stored in " + s.cfg.DataDir + "/" + credentialsFile
	}
	fmt.Fprintf(s.cfg.Out, "# %s. Point the aws CLI and SDKs at it with:\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_DEFAULT_REGION=%s\nexport AWS_ENDPOINT_URL=%s\n",
		note, s.creds.AccessKeyID, s.creds.SecretAccessKey, s.cfg.Region, s.URL())
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{
		"status":    "ok",
		"store":     map[bool]string{true: "embedded", false: "external"}[s.embedded != nil],
		"revision":  s.store.Revision(),
		"leader":    s.leader.Load(),
		"region":    s.cfg.Region,
		"accountId": s.cfg.AccountID,
		"uptime":    time.Since(s.started).Round(time.Millisecond).String(),
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// Shutdown stops serving (letting in-flight requests finish), stops the
// controllers and closes the store. Calling it again does nothing.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		if s.agentCancel != nil { // the agent first: it talks to the edge
			s.agentCancel()
			<-s.agentDone
		}
		s.stopErr = s.http.Shutdown(ctx)
		s.cancel()
		s.wg.Wait()
		s.closeStore()
	})
	return s.stopErr
}

func (s *Server) closeStore() {
	if s.logs != nil {
		s.logs.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.embedded != nil {
		s.embedded.Close()
	} else if s.client != nil {
		s.client.Close()
	}
}
