// Package docker is the runtime that runs a task's containers on Docker
// Engine, through the Engine API Go client (github.com/moby/moby/client).
//
// Everything the runtime needs to find a task again lives in Docker itself:
// each container carries the labels com.tide.managed=true,
// com.tide.task-arn and com.tide.container-name (and a few more: cluster,
// family, revision, position, network mode, log directory), and is named
// tide-<task id>-<container name>. A new Runtime therefore lists, stops and
// removes what an earlier one started, resumes copying its output and
// sampling its resource use, and Start never creates a task twice.
//
// Start describes networking, WithCPUShares the CPU mapping, List what is
// reported. The Runtime owns one goroutine per container copying its
// output to LogDir (when set) and one sampling its resource use; Close
// stops them and leaves the containers running.
//
// It depends on nothing in Tide but the runtime interface.
package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"tide/internal/runtime"
)

// DefaultNetworkName is the Docker network that awsvpc tasks join.
const DefaultNetworkName = "tide-awsvpc"

// connectTimeout bounds how long New waits for the engine to answer.
const connectTimeout = 2 * time.Second

// Errors that Start wraps, named as ECS names a task's stopped reason, so
// that the agent can report "CannotPullContainerError: ..." as ECS does.
var (
	// ErrCannotPull means an image was absent and could not be pulled.
	ErrCannotPull = errors.New("CannotPullContainerError")
	// ErrCannotCreate means Docker refused a container's configuration.
	ErrCannotCreate = errors.New("CannotCreateContainerError")
	// ErrCannotStart means a container was created but did not start.
	ErrCannotStart = errors.New("CannotStartContainerError")
)

// RegistryAuth is the credential sent to a registry when pulling an image.
// Set Username and Password, or IdentityToken (an OAuth refresh token), or
// RegistryToken (a bearer token sent as is).
type RegistryAuth struct {
	Username      string
	Password      string
	ServerAddress string
	IdentityToken string
	RegistryToken string
}

// AuthFunc returns the credential for pulling image; a zero RegistryAuth
// pulls anonymously. An error fails the pull.
type AuthFunc func(ctx context.Context, image string) (RegistryAuth, error)

// Runtime runs tasks as Docker containers. It is safe for concurrent use;
// calls for one task ARN are serialized.
type Runtime struct {
	cli       *client.Client
	log       *slog.Logger
	auth      AuthFunc
	network   string
	cpuShares bool
	ncpu      int
	owner     string // set: only containers labelled with this owner are this runtime's

	locks keyedMutex
	netMu sync.Mutex // serializes creation of the awsvpc network
	logs  *logCopier
	stats *statsCache
}

var _ runtime.Runtime = (*Runtime)(nil)

// Option configures a Runtime.
type Option func(*options)

type options struct {
	host      string
	auth      AuthFunc
	network   string
	cpuShares bool
	owner     string
}

// WithOwner makes the runtime label the containers it creates with owner
// (an agent's host ID) and see only containers with that label, so that
// several agents (or servers) sharing one engine never touch each other's
// tasks.
func WithOwner(owner string) Option { return func(o *options) { o.owner = owner } }

// WithHost connects to the engine at host (unix:///var/run/docker.sock,
// tcp://host:2376) instead of DOCKER_HOST or the platform default.
func WithHost(host string) Option { return func(o *options) { o.host = host } }

// WithAuth sets how pulls authenticate to registries. Without it, pulls
// are anonymous. An image with credentials is pulled at every task start
// (only what changed is fetched); others only when absent.
func WithAuth(fn AuthFunc) Option { return func(o *options) { o.auth = fn } }

// WithNetworkName sets the Docker network that awsvpc tasks join; the
// default is DefaultNetworkName. The runtime creates it on first use as a
// bridge network on a private subnet that Docker picks from its address
// pools, so it never collides with another Docker network, and never
// removes it.
func WithNetworkName(name string) Option { return func(o *options) { o.network = name } }

// WithCPUShares makes a container's CPU units a relative weight only, as
// ECS does on EC2 instances: a container may use idle CPU beyond its units.
// By default the units are also a hard cap (NanoCPUs = units/1024 of a
// core), as on Fargate, so that a busy task's CPUUtilization tops out at
// 100% of what it reserved and target tracking sees the saturation it
// would see on AWS.
func WithCPUShares() Option { return func(o *options) { o.cpuShares = true } }

// New connects to Docker Engine (DOCKER_HOST and the other DOCKER_*
// variables apply, unless WithHost) and returns a Runtime. It fails within
// two seconds when the engine does not answer, so that the caller can fall
// back to another runtime. It adopts the containers an earlier Runtime
// started: it resumes copying their output and sampling their use.
func New(ctx context.Context, log *slog.Logger, opts ...Option) (*Runtime, error) {
	o := options{network: DefaultNetworkName}
	for _, opt := range opts {
		opt(&o)
	}
	copts := []client.Opt{client.FromEnv}
	if o.host != "" {
		copts = append(copts, client.WithHost(o.host))
	}
	cli, err := client.New(copts...)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker engine at %s: %w", cli.DaemonHost(), err)
	}
	ncpu := 0
	if info, err := cli.Info(pctx, client.InfoOptions{}); err == nil {
		ncpu = info.Info.NCPU
	}
	log = log.With("runtime", "docker")
	r := &Runtime{
		cli:       cli,
		log:       log,
		auth:      o.auth,
		network:   o.network,
		cpuShares: o.cpuShares,
		ncpu:      ncpu,
		owner:     o.owner,
		logs:      newLogCopier(cli, log),
		stats:     newStatsCache(cli, log),
	}
	if _, err := r.List(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("re-adopt containers: %w", err)
	}
	return r, nil
}

// Name returns "docker".
func (r *Runtime) Name() string { return "docker" }

// Close stops the log copiers and stats samplers and closes the connection
// to the engine. It leaves every container running: a later Runtime adopts
// them.
func (r *Runtime) Close() error {
	r.logs.close()
	r.stats.close()
	return r.cli.Close()
}

// keyedMutex is a set of mutexes by key, each existing only while in use.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns the function that unlocks it.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyedEntry)
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// parallel runs fn(0..n-1) concurrently, at most 8 at a time, and joins
// their errors.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
