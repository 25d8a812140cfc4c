// Package elbv2 implements the Elastic Load Balancing v2 API (version
// 2015-12-01, awsquery) for application load balancers: load balancers,
// listeners, rules, target groups, targets and their health, attributes
// and tags, with AWS's shapes, ARNs, defaults, limits and error codes.
//
// It owns the configuration; the data plane (package lb) serves it. Config
// builds the whole lb.Config from the store, the server hands it to the
// data plane whenever the store's revision changes, and the data plane's
// health checks come back through the HealthSource that DescribeTargetHealth
// reads. ECS registers and deregisters its tasks through RegisterTargets and
// DeregisterTargets.
//
// State lives in the store under "elbv2/": a load balancer is one record
// with its listeners and rules (one consistency boundary: ports and
// priorities are unique within it, and deleting it deletes them), a target
// group one record, each target one record, and each listener port one
// claim (Tide serves every load balancer on one host address, so a port
// belongs to one listener of all load balancers). A target group records
// the load balancer that uses it, written in the same transaction as the
// load balancer, so that it cannot be deleted while in use and serves one
// load balancer, as in AWS.
//
// It depends on the store, the edge's query adapter, awserr and lb's
// configuration types; it knows nothing of ECS.
package elbv2

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/lb"
	"tide/internal/store"
)

// The API's version and XML namespace.
const (
	Version   = "2015-12-01"
	Namespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// HealthSource is what the data plane knows of targets' health: by target
// group ARN, each target's health by "id:port".
type HealthSource interface {
	TargetHealth(tgARN string) map[string]lb.TargetHealth
}

// Config holds what the API needs besides the store.
type Config struct {
	Region    string
	AccountID string
	Now       func() time.Time // nil means time.Now
	// ResolveInstance returns the address to reach an instance target
	// (an ECS container instance's EC2 instance ID) at; nil resolves none.
	ResolveInstance func(id string) (host string, ok bool)
	// Health is the data plane's view of target health; nil knows nothing.
	Health HealthSource
	// DNSSuffix ends load balancers' DNS names, after the region; empty
	// means "elb.localhost", which resolves to the loopback address.
	DNSSuffix string
}

// API serves the ELBv2 operations.
type API struct {
	store   *store.Store
	log     *slog.Logger
	cfg     Config
	now     func() time.Time
	arnBase string // "arn:aws:elasticloadbalancing:REGION:ACCOUNT:"
}

// New returns the ELBv2 API over st.
func New(st *store.Store, log *slog.Logger, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DNSSuffix == "" {
		cfg.DNSSuffix = "elb.localhost"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{store: st, log: log, cfg: cfg, now: cfg.Now,
		arnBase: "arn:aws:elasticloadbalancing:" + cfg.Region + ":" + cfg.AccountID + ":"}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.QueryService {
	return &edge.QueryService{Version: Version, Namespace: Namespace, Ops: map[string]edge.QueryHandler{
		"CreateLoadBalancer":             edge.QueryOp(a.createLoadBalancer),
		"DescribeLoadBalancers":          edge.QueryOp(a.describeLoadBalancers),
		"DeleteLoadBalancer":             edge.QueryOp(a.deleteLoadBalancer),
		"DescribeLoadBalancerAttributes": edge.QueryOp(a.describeLoadBalancerAttributes),
		"ModifyLoadBalancerAttributes":   edge.QueryOp(a.modifyLoadBalancerAttributes),
		"CreateTargetGroup":              edge.QueryOp(a.createTargetGroup),
		"DescribeTargetGroups":           edge.QueryOp(a.describeTargetGroups),
		"ModifyTargetGroup":              edge.QueryOp(a.modifyTargetGroup),
		"DeleteTargetGroup":              edge.QueryOp(a.deleteTargetGroup),
		"DescribeTargetGroupAttributes":  edge.QueryOp(a.describeTargetGroupAttributes),
		"ModifyTargetGroupAttributes":    edge.QueryOp(a.modifyTargetGroupAttributes),
		"RegisterTargets":                edge.QueryOp(a.registerTargets),
		"DeregisterTargets":              edge.QueryOp(a.deregisterTargets),
		"DescribeTargetHealth":           edge.QueryOp(a.describeTargetHealth),
		"CreateListener":                 edge.QueryOp(a.createListener),
		"DescribeListeners":              edge.QueryOp(a.describeListeners),
		"ModifyListener":                 edge.QueryOp(a.modifyListener),
		"DeleteListener":                 edge.QueryOp(a.deleteListener),
		"CreateRule":                     edge.QueryOp(a.createRule),
		"DescribeRules":                  edge.QueryOp(a.describeRules),
		"ModifyRule":                     edge.QueryOp(a.modifyRule),
		"DeleteRule":                     edge.QueryOp(a.deleteRule),
		"SetRulePriorities":              edge.QueryOp(a.setRulePriorities),
		"AddTags":                        edge.QueryOp(a.addTags),
		"RemoveTags":                     edge.QueryOp(a.removeTags),
		"DescribeTags":                   edge.QueryOp(a.describeTags),
	}}
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ---------------------------------------------------------------- errors

// clientErr returns a 400 error with an ELBv2 code.
func clientErr(code, format string, args ...any) error {
	return awserr.Client(code, format, args...)
}

// invalid is ELBv2's ValidationError.
func invalid(format string, args ...any) error {
	return awserr.Client("ValidationError", format, args...)
}

func invalidConfig(format string, args ...any) error {
	return awserr.Client("InvalidConfigurationRequest", format, args...)
}

// constraint is the "1 validation error detected" message of AWS's front
// end for a member that breaks a constraint of the model.
func constraint(value any, member, c string) error {
	return invalid("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, c)
}

// missing is the front end's message for a required member left out.
func missing(member string) error {
	return invalid("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func checkRange(v *int32, member string, lo, hi int32) error {
	if v == nil {
		return nil
	}
	if *v < lo {
		return constraint(*v, member, "Member must have value greater than or equal to "+strconv.Itoa(int(lo)))
	}
	if *v > hi {
		return constraint(*v, member, "Member must have value less than or equal to "+strconv.Itoa(int(hi)))
	}
	return nil
}

func checkLen(v *string, member string, lo, hi int) error {
	if v == nil {
		return nil
	}
	if n := len([]rune(*v)); n < lo {
		return constraint(*v, member, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	} else if n > hi {
		return constraint(*v, member, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
	return nil
}

func checkEnum(v *string, member string, values ...string) error {
	if v == nil {
		return nil
	}
	for _, e := range values {
		if *v == e {
			return nil
		}
	}
	return constraint(*v, member, fmt.Sprintf("Member must satisfy enum value set: %v", bracket(values)))
}

func bracket(values []string) string {
	out := "["
	for i, v := range values {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out + "]"
}

func lbNotFound() error {
	return clientErr("LoadBalancerNotFound", "One or more load balancers not found")
}

func tgNotFound() error {
	return clientErr("TargetGroupNotFound", "One or more target groups not found")
}

func listenerNotFound() error {
	return clientErr("ListenerNotFound", "One or more listeners not found")
}

func ruleNotFound() error {
	return clientErr("RuleNotFound", "One or more rules not found")
}

// storeErr turns store failures into API errors.
func storeErr(err error) error {
	if err == nil || awserr.As(err) != nil || errors.Is(err, context.Canceled) {
		return err
	}
	return awserr.New(503, "ServiceUnavailable", "The service cannot complete the request: %v", err)
}

// ---------------------------------------------------------------- small helpers

func str(s string) *string { return &s }

func i32(v int32) *int32 { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(v *int32, def int32) int32 {
	if v == nil {
		return def
	}
	return *v
}

// isCode reports whether err is an API error with code.
func isCode(err error, code string) bool {
	ae := awserr.As(err)
	return ae != nil && ae.Code == code
}
