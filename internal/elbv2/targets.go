package elbv2

import (
	"context"
	"errors"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tide/internal/lb"
	"tide/internal/store"
)

// maxTargets is AWS's limit of targets per target group.
const maxTargets = 1000

var instanceIDRE = regexp.MustCompile(`^i-[0-9A-Za-z]{1,40}$`)

// TargetsInput is the request of RegisterTargets and DeregisterTargets.
type TargetsInput struct {
	TargetGroupArn *string
	Targets        []TargetDescription
}

func (a *API) registerTargets(ctx context.Context, in *TargetsInput) (*empty, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	if in.Targets == nil {
		return nil, missing("targets")
	}
	return &empty{}, a.register(ctx, *in.TargetGroupArn, in.Targets)
}

func (a *API) deregisterTargets(ctx context.Context, in *TargetsInput) (*empty, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	if in.Targets == nil {
		return nil, missing("targets")
	}
	return &empty{}, a.deregister(ctx, *in.TargetGroupArn, in.Targets, true)
}

// RegisterTargets registers targets with the target group tgARN, as the
// RegisterTargets operation does: ECS registers its services' tasks with
// it. A target registered again keeps its registration time (and so its
// slow start), unless it was draining.
func (a *API) RegisterTargets(ctx context.Context, tgARN string, targets []TargetDescription) error {
	return a.register(ctx, tgARN, targets)
}

// DeregisterTargets starts deregistering targets from the target group
// tgARN: they drain for the group's deregistration delay, then Sweep
// removes them. Targets that are not registered are ignored.
func (a *API) DeregisterTargets(ctx context.Context, tgARN string, targets []TargetDescription) error {
	return a.deregister(ctx, tgARN, targets, false)
}

// TargetGroupByARN returns the target group tgARN names as the data plane
// sees it: its health check, deregistration delay, attributes and targets.
func (a *API) TargetGroupByARN(tgARN string) (lb.TargetGroup, bool) {
	g, _, err := a.tgByARN(tgARN)
	if err != nil {
		return lb.TargetGroup{}, false
	}
	tg, err := a.lbTargetGroup(g, a.now())
	return tg, err == nil
}

// TargetStates returns the health state (initial, healthy, unhealthy,
// unused, draining) of every registered target of the group tgARN by
// "id:port", as DescribeTargetHealth reports them; a target that is not
// registered (or has finished draining) is missing. It returns nil when
// the group does not exist.
func (a *API) TargetStates(tgARN string) map[string]string {
	g, _, err := a.tgByARN(tgARN)
	if err != nil {
		return nil
	}
	ts, _, err := a.targets(g.ID)
	if err != nil {
		return nil
	}
	var dp map[string]lb.TargetHealth
	if a.cfg.Health != nil {
		dp = a.cfg.Health.TargetHealth(tgARN)
	}
	now := a.now()
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		if _, expired := t.draining(now); !expired {
			out[t.key()] = a.healthOf(g, t, dp, now).State
		}
	}
	return out
}

// checkTargets validates targets for group g and returns them as records,
// without duplicates, with the group's port where none is given.
func checkTargets(g *tgRecord, targets []TargetDescription) ([]*targetRecord, error) {
	var out []*targetRecord
	seen := map[string]bool{}
	for i, t := range targets {
		member := "targets." + itoa(i+1) + ".member."
		if t.Id == nil {
			return nil, missing(member + "id")
		}
		if err := checkRange(t.Port, member+"port", 1, 65535); err != nil {
			return nil, err
		}
		if err := checkLen(t.AvailabilityZone, member+"availabilityZone", 1, 64); err != nil {
			return nil, err
		}
		id := *t.Id
		switch g.TargetType {
		case "ip":
			ip, err := netip.ParseAddr(id)
			switch {
			case err != nil || ip.Zone() != "":
				return nil, clientErr("InvalidTarget", "The IP address '%s' is not a valid IP address", id)
			case g.IPAddressType == "ipv4" && !ip.Is4():
				return nil, clientErr("InvalidTarget", "The IP address '%s' is not a valid IPv4 address", id)
			case g.IPAddressType == "ipv6" && !ip.Is6():
				return nil, clientErr("InvalidTarget", "The IP address '%s' is not a valid IPv6 address", id)
			}
		case "instance":
			if !instanceIDRE.MatchString(id) {
				return nil, clientErr("InvalidTarget", "The following targets are not valid instances: '%s'", id)
			}
		}
		r := &targetRecord{ID: id, Port: derefInt(t.Port, g.Port), AZ: deref(t.AvailabilityZone)}
		if !seen[r.key()] {
			seen[r.key()] = true
			out = append(out, r)
		}
	}
	return out, nil
}

func (a *API) register(ctx context.Context, tgARN string, targets []TargetDescription) error {
	g, _, err := a.tgByARN(tgARN)
	if err != nil {
		return err
	}
	recs, err := checkTargets(g, targets)
	if err != nil {
		return err
	}
	now := a.now().UTC()
	cur, _, err := a.targets(g.ID)
	if err != nil {
		return err
	}
	byKey := map[string]int{}
	active := 0
	for i, t := range cur {
		byKey[t.key()] = i
		if draining, expired := t.draining(now); !draining && !expired {
			active++
		}
	}
	var writes []store.Write
	for _, r := range recs {
		r.Registered = now
		if i, ok := byKey[r.key()]; ok {
			old := cur[i]
			if old.DrainUntil == nil {
				if old.AZ == r.AZ {
					continue // registered already: nothing changes
				}
				r.Registered = old.Registered
			} else {
				active++
			}
		} else {
			active++
		}
		// Last writer wins: concurrent registrations of a target agree.
		writes = append(writes, store.Put(targetKey(g.ID, r), mustJSON(r), store.Any))
	}
	if active > maxTargets {
		return clientErr("TooManyTargets", "You've reached the limit on the number of targets per target group (%d)", maxTargets)
	}
	return storeErr(a.commitBatches(ctx, writes))
}

// commitBatches commits writes 100 at a time (etcd bounds the operations
// of a transaction); it stops at the first batch that fails.
func (a *API) commitBatches(ctx context.Context, writes []store.Write) error {
	for len(writes) > 0 {
		n := min(100, len(writes))
		if _, err := a.store.Commit(ctx, writes[:n]...); err != nil {
			return err
		}
		writes = writes[n:]
	}
	return nil
}

// deregister starts draining targets; with strict, a target that is not
// registered is InvalidTarget. A target group no load balancer uses, or
// whose delay is 0, lets its targets go at once.
func (a *API) deregister(ctx context.Context, tgARN string, targets []TargetDescription, strict bool) error {
	g, _, err := a.tgByARN(tgARN)
	if err != nil {
		return err
	}
	recs, err := checkTargets(g, targets)
	if err != nil {
		return err
	}
	delay, _ := strconv.Atoi(attrValue(tgAttrs, g.Attributes, "deregistration_delay.timeout_seconds"))
	for range maxAttempts {
		writes, err := a.deregisterWrites(g, recs, delay, strict, tgARN)
		if err != nil {
			return err
		}
		err = a.commitBatches(ctx, writes)
		if errors.Is(err, store.ErrConflict) {
			continue // what is done stays done; the rest is decided again
		}
		return storeErr(err)
	}
	return conflictErr()
}

func (a *API) deregisterWrites(g *tgRecord, recs []*targetRecord, delay int, strict bool, tgARN string) ([]store.Write, error) {
	now := a.now().UTC()
	until := now.Add(time.Duration(delay) * time.Second)
	var writes []store.Write
	for _, r := range recs {
		kv, ok := a.store.Get(targetKey(g.ID, r))
		var cur *targetRecord
		if ok {
			var err error
			if cur, err = decode[targetRecord](kv); err != nil {
				return nil, err
			}
		}
		if cur == nil || cur.DrainUntil != nil && !now.Before(*cur.DrainUntil) {
			if strict {
				return nil, clientErr("InvalidTarget", "The target '%s' on port %d is not registered to target group '%s'", r.ID, r.Port, tgARN)
			}
			continue
		}
		switch {
		case delay == 0 || g.LoadBalancerArn == "":
			writes = append(writes, store.Del(kv.Key, kv.ModRev))
		case cur.DrainUntil == nil:
			cur.DrainUntil = &until
			writes = append(writes, store.Put(kv.Key, mustJSON(cur), kv.ModRev))
		}
	}
	return writes, nil
}

// DescribeTargetHealthInput is the DescribeTargetHealth request.
type DescribeTargetHealthInput struct {
	TargetGroupArn *string
	Targets        []TargetDescription
	Include        []string
}

// DescribeTargetHealthOutput is the DescribeTargetHealth response.
type DescribeTargetHealthOutput struct {
	TargetHealthDescriptions []TargetHealthDescription
}

// describeTargetHealth reports every registered target's health, or the
// named targets' (unused / Target.NotRegistered when not registered).
func (a *API) describeTargetHealth(ctx context.Context, in *DescribeTargetHealthInput) (*DescribeTargetHealthOutput, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	anomaly := false
	for i, inc := range in.Include {
		if err := checkEnum(&inc, "include."+itoa(i+1)+".member", "AnomalyDetection", "All"); err != nil {
			return nil, err
		}
		anomaly = true
	}
	g, _, err := a.tgByARN(*in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	var want []*targetRecord
	if in.Targets != nil {
		// Validate ids and ports, but not their form: any target may be asked about.
		for i, t := range in.Targets {
			member := "targets." + itoa(i+1) + ".member."
			if t.Id == nil {
				return nil, missing(member + "id")
			}
			if err := checkRange(t.Port, member+"port", 1, 65535); err != nil {
				return nil, err
			}
			want = append(want, &targetRecord{ID: *t.Id, Port: derefInt(t.Port, 0)})
		}
	}
	now := a.now()
	ts, _, err := a.targets(g.ID)
	if err != nil {
		return nil, err
	}
	var dp map[string]lb.TargetHealth
	if a.cfg.Health != nil {
		dp = a.cfg.Health.TargetHealth(a.tgARN(g))
	}
	out := &DescribeTargetHealthOutput{TargetHealthDescriptions: []TargetHealthDescription{}}
	add := func(t *targetRecord, h TargetHealth) {
		d := TargetHealthDescription{
			Target:          TargetDescription{Id: str(t.ID), Port: i32(t.Port)},
			HealthCheckPort: healthCheckPort(g, t.Port), TargetHealth: h,
		}
		if t.AZ != "" {
			d.Target.AvailabilityZone = str(t.AZ)
		}
		if anomaly {
			d.AnomalyDetection = &AnomalyDetection{Result: "normal", MitigationInEffect: "no"}
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
	}
	live := ts[:0:0]
	for _, t := range ts {
		if _, expired := t.draining(now); !expired {
			live = append(live, t)
		}
	}
	if want == nil {
		for _, t := range live {
			add(t, a.healthOf(g, t, dp, now))
		}
		return out, nil
	}
	for _, w := range want {
		found := false
		for _, t := range live {
			if t.ID == w.ID && (w.Port == 0 || t.Port == w.Port) {
				add(t, a.healthOf(g, t, dp, now))
				found = true
			}
		}
		if !found {
			if w.Port == 0 {
				w.Port = g.Port
			}
			add(w, health(lb.StateUnused, "Target.NotRegistered", "Target is not registered to the target group"))
		}
	}
	return out, nil
}

func healthCheckPort(g *tgRecord, port int32) string {
	if g.HealthCheck.Port == "traffic-port" {
		return strconv.Itoa(int(port))
	}
	return g.HealthCheck.Port
}

func health(state, reason, desc string) TargetHealth {
	h := TargetHealth{State: state}
	if reason != "" {
		h.Reason = str(reason)
	}
	if desc != "" {
		h.Description = str(desc)
	}
	return h
}

// healthOf is target t's health: draining while it drains, unhealthy when
// its instance cannot be found, unused while no load balancer forwards to
// its group, else what the data plane reports, and initial before the
// data plane has checked it.
func (a *API) healthOf(g *tgRecord, t *targetRecord, dp map[string]lb.TargetHealth, now time.Time) TargetHealth {
	if draining, _ := t.draining(now); draining {
		return health(lb.StateDraining, "Target.DeregistrationInProgress", "Target deregistration is in progress")
	}
	if g.TargetType == "instance" {
		if _, ok := a.resolve(t.ID); !ok {
			return health(lb.StateUnhealthy, "Target.InvalidState", "Target is in the stopped state")
		}
	}
	if g.LoadBalancerArn == "" {
		return health(lb.StateUnused, "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
	}
	// The data plane's draining and unused lag behind the records, which
	// decided those above.
	if h, ok := dp[t.key()]; ok && h.State != "" && h.State != lb.StateDraining && h.State != lb.StateUnused {
		return health(h.State, h.Reason, h.Description)
	}
	return health(lb.StateInitial, "Elb.InitialHealthChecking", "Initial health checks in progress")
}

// resolve returns the host of an instance target.
func (a *API) resolve(id string) (string, bool) {
	if a.cfg.ResolveInstance == nil {
		return "", false
	}
	return a.cfg.ResolveInstance(id)
}

// Sweep removes what has expired: targets whose deregistration delay has
// passed, targets of deleted target groups and listener port claims whose
// listener is gone. The leader calls it every second or so.
func (a *API) Sweep(ctx context.Context) error {
	now := a.now()
	// Targets before groups: a target is registered after its group is
	// created, so a group missing from the later list was deleted.
	targets := a.store.List(targetsPrefix)
	groups := map[string]bool{}
	for _, kv := range a.store.List(tgPrefix) {
		g, err := decode[tgRecord](kv)
		if err != nil {
			return err
		}
		groups[g.ID] = true
	}
	var doomed []store.Write
	for _, kv := range targets {
		tgID, _, _ := strings.Cut(strings.TrimPrefix(kv.Key, targetsPrefix), "/")
		t, err := decode[targetRecord](kv)
		if err != nil {
			return err
		}
		if _, expired := t.draining(now); expired || !groups[tgID] {
			doomed = append(doomed, store.Del(kv.Key, kv.ModRev))
		}
	}
	for _, kv := range a.store.List(portsPrefix) {
		port, err := strconv.Atoi(strings.TrimPrefix(kv.Key, portsPrefix))
		if err != nil || !a.claimLive(string(kv.Value), int32(port)) {
			doomed = append(doomed, store.Del(kv.Key, kv.ModRev))
		}
	}
	for len(doomed) > 0 {
		n := min(100, len(doomed))
		if _, err := a.store.Commit(ctx, doomed[:n]...); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		doomed = doomed[n:]
	}
	return nil
}
