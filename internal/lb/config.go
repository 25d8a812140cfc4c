// Package lb is the Application Load Balancer's data plane: it binds each
// listener's port, routes every request by the listener's rules, picks a
// healthy target of the chosen target group, proxies the request, health
// checks the targets and drains the ones being deregistered. It runs in
// every server; the ELBv2 API (package elbv2) owns the configuration and
// hands the data plane a whole new Config on every change.
//
// It must not depend on the store or on any API package: its input is a
// Config value, its outputs are target health and metrics.
package lb

import "time"

// Config is the whole data-plane configuration: every load balancer with
// its listeners and rules, and every target group with its targets. It is
// immutable once handed to the data plane, which swaps it atomically.
type Config struct {
	LoadBalancers []LoadBalancer
	TargetGroups  []TargetGroup
}

// LoadBalancer is one application load balancer.
type LoadBalancer struct {
	ARN         string
	Name        string
	IdleTimeout time.Duration // idle_timeout.timeout_seconds; default 60 s
	Listeners   []Listener
}

// Listener accepts connections on Port and routes by its rules.
type Listener struct {
	ARN      string
	Port     int
	Protocol string // HTTP or HTTPS
	// CertFile and KeyFile serve HTTPS (a Tide extension: there is no ACM).
	CertFile, KeyFile string
	// Rules in evaluation order: ascending priority, the default rule last
	// (Priority 0 and IsDefault set).
	Rules []Rule
}

// Rule is a listener rule: when every condition matches, its actions run.
type Rule struct {
	ARN        string
	Priority   int
	IsDefault  bool
	Conditions []Condition
	Actions    []Action // the last one is the terminal action (forward, redirect, fixed-response)
}

// Condition is one rule condition. Field names the kind; values within one
// condition are alternatives (OR); conditions of a rule all hold (AND).
type Condition struct {
	Field string // path-pattern, host-header, http-header, http-request-method, query-string, source-ip
	// Values are the patterns (path-pattern, host-header: with * and ?
	// wildcards, case-insensitive for hosts), methods, or CIDRs (source-ip).
	Values []string
	// HeaderName is the header an http-header condition reads.
	HeaderName string
	// Query holds query-string pairs; an empty Key matches any key.
	Query []KeyValue
}

// KeyValue is one query-string condition value.
type KeyValue struct{ Key, Value string }

// Action is what a rule does.
type Action struct {
	Type string // forward, redirect, fixed-response
	// Forward: weighted target groups (one group with weight 1 for a plain
	// forward), with optional group stickiness.
	TargetGroups    []WeightedGroup
	GroupStickiness time.Duration // 0: off
	Redirect        *Redirect
	FixedResponse   *FixedResponse
}

// WeightedGroup is one target group of a forward action.
type WeightedGroup struct {
	ARN    string
	Weight int
}

// Redirect is a redirect action; "#{host}", "#{path}", "#{port}",
// "#{query}" and "#{protocol}" are replaced by the request's values.
type Redirect struct {
	Protocol, Host, Port, Path, Query string
	StatusCode                        int // 301 or 302
}

// FixedResponse is a fixed-response action.
type FixedResponse struct {
	StatusCode  int
	ContentType string
	Body        string
}

// TargetGroup is a set of targets with their health check and attributes.
type TargetGroup struct {
	ARN         string
	Name        string
	Protocol    string // HTTP
	Port        int    // the default target port
	TargetType  string // instance or ip
	HealthCheck HealthCheck
	// Algorithm is round_robin, least_outstanding_requests or weighted_random.
	Algorithm           string
	DeregistrationDelay time.Duration // default 300 s
	SlowStart           time.Duration // 0: off
	Stickiness          Stickiness
	Targets             []Target
}

// HealthCheck says how targets are checked; zero values take AWS's defaults
// for an HTTP target group.
type HealthCheck struct {
	Enabled            bool
	Path               string // default /
	Port               int    // 0: the target's port ("traffic-port")
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
	Matcher            string // HTTP codes: "200", "200-299", "200,302"
}

// Stickiness is a target group's session stickiness.
type Stickiness struct {
	Enabled    bool
	Type       string // lb_cookie or app_cookie
	Duration   time.Duration
	CookieName string // app_cookie: the application's cookie
}

// Target is one registered target: an address and port. Host is an IP
// address (ip targets, and instance targets resolved by their owner).
type Target struct {
	ID   string // as registered: an instance ID or an IP address
	Host string // where to connect
	Port int
	AZ   string
	// Draining is set from deregistration until the delay has passed:
	// no new requests, in-flight ones complete.
	Draining      bool
	DrainDeadline time.Time
	RegisteredAt  time.Time // slow start counts from here
}

// Health states of a target, as DescribeTargetHealth reports them.
const (
	StateInitial   = "initial"
	StateHealthy   = "healthy"
	StateUnhealthy = "unhealthy"
	StateUnused    = "unused"
	StateDraining  = "draining"
)

// TargetHealth is one target's health as the data plane sees it.
type TargetHealth struct {
	State       string
	Reason      string // AWS's reason code: Elb.InitialHealthChecking, Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks, Target.NotInUse, Target.DeregistrationInProgress
	Description string
}
