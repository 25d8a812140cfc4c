package elbv2

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tide/internal/store"
)

// lbRecord is a load balancer with its listeners and rules, at
// elbv2/lb/<name>.
type lbRecord struct {
	Name           string            `json:"name"`
	ID             string            `json:"id"`
	Scheme         string            `json:"scheme"`
	IPAddressType  string            `json:"ipAddressType"`
	Subnets        []string          `json:"subnets,omitempty"`
	SecurityGroups []string          `json:"securityGroups,omitempty"`
	Created        time.Time         `json:"created"`
	Attributes     map[string]string `json:"attributes,omitempty"` // the ones set; the rest are defaults
	Tags           map[string]string `json:"tags,omitempty"`
	Listeners      []*listenerRecord `json:"listeners,omitempty"`
}

// listenerRecord is a listener; its default rule is its DefaultActions.
type listenerRecord struct {
	ID              string            `json:"id"`
	DefaultRuleID   string            `json:"defaultRuleId"`
	Port            int32             `json:"port"`
	Protocol        string            `json:"protocol"`
	SslPolicy       string            `json:"sslPolicy,omitempty"`
	Certificates    []string          `json:"certificates,omitempty"`
	DefaultActions  []Action          `json:"defaultActions"`
	Tags            map[string]string `json:"tags,omitempty"`
	DefaultRuleTags map[string]string `json:"defaultRuleTags,omitempty"`
	Rules           []*ruleRecord     `json:"rules,omitempty"`
}

// ruleRecord is a listener rule other than the default one.
type ruleRecord struct {
	ID         string            `json:"id"`
	Priority   int32             `json:"priority"`
	Conditions []RuleCondition   `json:"conditions"`
	Actions    []Action          `json:"actions"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// tgRecord is a target group, at elbv2/tg/<name>. LoadBalancerArn is the
// load balancer whose listeners or rules forward to it ("" when none).
type tgRecord struct {
	Name            string            `json:"name"`
	ID              string            `json:"id"`
	Protocol        string            `json:"protocol"`
	ProtocolVersion string            `json:"protocolVersion"`
	Port            int32             `json:"port"`
	VpcID           string            `json:"vpcId,omitempty"`
	TargetType      string            `json:"targetType"`
	IPAddressType   string            `json:"ipAddressType"`
	HealthCheck     healthCheck       `json:"healthCheck"`
	Attributes      map[string]string `json:"attributes,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	LoadBalancerArn string            `json:"loadBalancerArn,omitempty"`
	Created         time.Time         `json:"created"`
}

type healthCheck struct {
	Enabled   bool   `json:"enabled"`
	Protocol  string `json:"protocol"`
	Port      string `json:"port"` // "traffic-port" or a number
	Path      string `json:"path"`
	Interval  int32  `json:"interval"`
	Timeout   int32  `json:"timeout"`
	Healthy   int32  `json:"healthy"`
	Unhealthy int32  `json:"unhealthy"`
	Matcher   string `json:"matcher"`
}

// targetRecord is a registered target, at elbv2/targets/<group id>/<id>:<port>.
// A deregistered target stays, draining, until DrainUntil.
type targetRecord struct {
	ID         string     `json:"id"`
	Port       int32      `json:"port"`
	AZ         string     `json:"az,omitempty"`
	Registered time.Time  `json:"registered"`
	DrainUntil *time.Time `json:"drainUntil,omitempty"`
}

func (t *targetRecord) key() string { return t.ID + ":" + strconv.Itoa(int(t.Port)) }

// draining reports whether t is being deregistered at now, and expired
// whether its delay has passed.
func (t *targetRecord) draining(now time.Time) (draining, expired bool) {
	if t.DrainUntil == nil {
		return false, false
	}
	return now.Before(*t.DrainUntil), !now.Before(*t.DrainUntil)
}

const (
	lbPrefix      = "elbv2/lb/"
	tgPrefix      = "elbv2/tg/"
	targetsPrefix = "elbv2/targets/"
	portsPrefix   = "elbv2/ports/"
)

func lbKey(name string) string                      { return lbPrefix + name }
func tgKey(name string) string                      { return tgPrefix + name }
func groupTargetsPrefix(tgID string) string         { return targetsPrefix + tgID + "/" }
func targetKey(tgID string, t *targetRecord) string { return groupTargetsPrefix(tgID) + t.key() }
func portKey(port int32) string                     { return fmt.Sprintf("%s%05d", portsPrefix, port) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err)) // our own types always encode
	}
	return b
}

func decode[T any](kv store.KV) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	return v, nil
}

// ---------------------------------------------------------------- ARNs

func (a *API) lbARN(r *lbRecord) string {
	return a.arnBase + "loadbalancer/app/" + r.Name + "/" + r.ID
}

func (a *API) listenerARN(r *lbRecord, l *listenerRecord) string {
	return a.arnBase + "listener/app/" + r.Name + "/" + r.ID + "/" + l.ID
}

func (a *API) ruleARN(r *lbRecord, l *listenerRecord, ruleID string) string {
	return a.arnBase + "listener-rule/app/" + r.Name + "/" + r.ID + "/" + l.ID + "/" + ruleID
}

func (a *API) tgARN(g *tgRecord) string {
	return a.arnBase + "targetgroup/" + g.Name + "/" + g.ID
}

var (
	arnNameRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
	arnIDRE   = regexp.MustCompile(`^[0-9a-f]{1,32}$`)
)

// parseARN splits an ARN of this region and account whose resource is
// prefix followed by n slash-separated parts (a name and IDs).
func (a *API) parseARN(arn, prefix string, n int) ([]string, bool) {
	rest, ok := strings.CutPrefix(arn, a.arnBase+prefix)
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != n || !arnNameRE.MatchString(parts[0]) {
		return nil, false
	}
	for _, id := range parts[1:] {
		if !arnIDRE.MatchString(id) {
			return nil, false
		}
	}
	return parts, true
}

func (a *API) parseLBARN(arn string) (name, id string, err error) {
	p, ok := a.parseARN(arn, "loadbalancer/app/", 2)
	if !ok {
		return "", "", invalid("'%s' is not a valid load balancer ARN", arn)
	}
	return p[0], p[1], nil
}

func (a *API) parseTGARN(arn string) (name, id string, err error) {
	p, ok := a.parseARN(arn, "targetgroup/", 2)
	if !ok {
		return "", "", invalid("'%s' is not a valid target group ARN", arn)
	}
	return p[0], p[1], nil
}

// listenerRef and ruleRef name a listener or rule by its ARN's parts.
type listenerRef struct{ lbName, lbID, listenerID string }

type ruleRef struct {
	listenerRef
	ruleID string
}

func (a *API) parseListenerARN(arn string) (listenerRef, error) {
	p, ok := a.parseARN(arn, "listener/app/", 3)
	if !ok {
		return listenerRef{}, invalid("'%s' is not a valid listener ARN", arn)
	}
	return listenerRef{p[0], p[1], p[2]}, nil
}

func (a *API) parseRuleARN(arn string) (ruleRef, error) {
	p, ok := a.parseARN(arn, "listener-rule/app/", 4)
	if !ok {
		return ruleRef{}, invalid("'%s' is not a valid listener rule ARN", arn)
	}
	return ruleRef{listenerRef{p[0], p[1], p[2]}, p[3]}, nil
}

// ---------------------------------------------------------------- reads

// lb returns the load balancer (name, id), or LoadBalancerNotFound.
func (a *API) lb(name, id string) (*lbRecord, store.KV, error) {
	kv, ok := a.store.Get(lbKey(name))
	if !ok {
		return nil, kv, lbNotFound()
	}
	r, err := decode[lbRecord](kv)
	if err != nil {
		return nil, kv, err
	}
	if r.ID != id {
		return nil, kv, lbNotFound()
	}
	return r, kv, nil
}

func (a *API) lbByARN(arn string) (*lbRecord, store.KV, error) {
	name, id, err := a.parseLBARN(arn)
	if err != nil {
		return nil, store.KV{}, err
	}
	return a.lb(name, id)
}

func (a *API) tg(name, id string) (*tgRecord, store.KV, error) {
	kv, ok := a.store.Get(tgKey(name))
	if !ok {
		return nil, kv, tgNotFound()
	}
	g, err := decode[tgRecord](kv)
	if err != nil {
		return nil, kv, err
	}
	if g.ID != id {
		return nil, kv, tgNotFound()
	}
	return g, kv, nil
}

func (a *API) tgByARN(arn string) (*tgRecord, store.KV, error) {
	name, id, err := a.parseTGARN(arn)
	if err != nil {
		return nil, store.KV{}, err
	}
	return a.tg(name, id)
}

func (a *API) allLBs() ([]*lbRecord, error) {
	var out []*lbRecord
	for _, kv := range a.store.List(lbPrefix) {
		r, err := decode[lbRecord](kv)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (a *API) allTGs() ([]*tgRecord, error) {
	var out []*tgRecord
	for _, kv := range a.store.List(tgPrefix) {
		g, err := decode[tgRecord](kv)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// targets returns the target records of group tgID in key order.
func (a *API) targets(tgID string) ([]*targetRecord, []store.KV, error) {
	kvs := a.store.List(groupTargetsPrefix(tgID))
	out := make([]*targetRecord, 0, len(kvs))
	for _, kv := range kvs {
		t, err := decode[targetRecord](kv)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, t)
	}
	return out, kvs, nil
}

func (r *lbRecord) listener(id string) *listenerRecord {
	for _, l := range r.Listeners {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// tgRefs returns the ARNs of the target groups r's actions forward to.
func (r *lbRecord) tgRefs() map[string]bool {
	refs := map[string]bool{}
	add := func(actions []Action) {
		for _, act := range actions {
			if act.ForwardConfig != nil {
				for _, t := range act.ForwardConfig.TargetGroups {
					refs[deref(t.TargetGroupArn)] = true
				}
			}
		}
	}
	for _, l := range r.Listeners {
		add(l.DefaultActions)
		for _, rule := range l.Rules {
			add(rule.Actions)
		}
	}
	return refs
}

// ports returns r's listener IDs by port.
func (r *lbRecord) ports() map[int32]string {
	out := map[int32]string{}
	for _, l := range r.Listeners {
		out[l.Port] = l.ID
	}
	return out
}
