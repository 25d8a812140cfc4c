package elbv2

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tide/internal/store"
)

var protocols = []string{"HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE", "QUIC", "TCP_QUIC"}

// CreateTargetGroupInput is the CreateTargetGroup request.
type CreateTargetGroupInput struct {
	Name                       *string
	Protocol                   *string
	ProtocolVersion            *string
	Port                       *int32
	VpcId                      *string
	HealthCheckProtocol        *string
	HealthCheckPort            *string
	HealthCheckEnabled         *bool
	HealthCheckPath            *string
	HealthCheckIntervalSeconds *int32
	HealthCheckTimeoutSeconds  *int32
	HealthyThresholdCount      *int32
	UnhealthyThresholdCount    *int32
	Matcher                    *Matcher
	TargetType                 *string
	Tags                       []Tag
	IpAddressType              *string
}

// TargetGroupsOutput is the response of CreateTargetGroup and ModifyTargetGroup.
type TargetGroupsOutput struct {
	TargetGroups []TargetGroup
}

// hcInput is the health check settings of CreateTargetGroup and
// ModifyTargetGroup.
type hcInput struct {
	Protocol, Port, Path                  *string
	Enabled                               *bool
	Interval, Timeout, Healthy, Unhealthy *int32
	Matcher                               *Matcher
}

// defaultHealthCheck is AWS's health check of an HTTP(S) target group.
func defaultHealthCheck(protocol string) healthCheck {
	return healthCheck{Enabled: true, Protocol: protocol, Port: "traffic-port", Path: "/", Interval: 30, Timeout: 5, Healthy: 5, Unhealthy: 2, Matcher: "200"}
}

var matcherRE = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

// applyHealthCheck returns hc with in's settings, checked as AWS checks
// them for an application load balancer's target group.
func applyHealthCheck(hc healthCheck, in hcInput, tg *tgRecord) (healthCheck, error) {
	if err := checkEnum(in.Protocol, "healthCheckProtocol", protocols...); err != nil {
		return hc, err
	}
	for _, c := range []struct {
		v      *int32
		member string
		lo, hi int32
	}{
		{in.Interval, "healthCheckIntervalSeconds", 5, 300},
		{in.Timeout, "healthCheckTimeoutSeconds", 2, 120},
		{in.Healthy, "healthyThresholdCount", 2, 10},
		{in.Unhealthy, "unhealthyThresholdCount", 2, 10},
	} {
		if err := checkRange(c.v, c.member, c.lo, c.hi); err != nil {
			return hc, err
		}
	}
	if err := checkLen(in.Path, "healthCheckPath", 1, 1024); err != nil {
		return hc, err
	}
	if p := deref(in.Protocol); p != "" && p != "HTTP" && p != "HTTPS" {
		return hc, invalidConfig("Health check protocol '%s' is not supported for target groups with the %s protocol", p, tg.Protocol)
	}
	if in.Enabled != nil && !*in.Enabled {
		return hc, invalidConfig("Health checks cannot be disabled for target groups with target type '%s'", tg.TargetType)
	}
	if in.Port != nil && *in.Port != "traffic-port" {
		n, err := strconv.Atoi(*in.Port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != *in.Port {
			return hc, invalid("Health check port '%s' must be 'traffic-port' or a port between '1-65535' inclusive", *in.Port)
		}
	}
	if in.Path != nil && (!strings.HasPrefix(*in.Path, "/") || strings.ContainsAny(*in.Path, " \t\r\n#")) {
		return hc, invalid("Health check path '%s' must begin with '/' and contain no spaces or '#'", *in.Path)
	}
	if m := in.Matcher; m != nil {
		if m.GrpcCode != nil {
			return hc, invalid("A gRPC code matcher can only be specified for target groups with the GRPC protocol version")
		}
		if m.HttpCode != nil {
			if err := checkMatcher(*m.HttpCode); err != nil {
				return hc, err
			}
			hc.Matcher = *m.HttpCode
		}
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	seti := func(dst *int32, v *int32) {
		if v != nil {
			*dst = *v
		}
	}
	set(&hc.Protocol, in.Protocol)
	set(&hc.Port, in.Port)
	set(&hc.Path, in.Path)
	seti(&hc.Interval, in.Interval)
	seti(&hc.Timeout, in.Timeout)
	seti(&hc.Healthy, in.Healthy)
	seti(&hc.Unhealthy, in.Unhealthy)
	// AWS refuses a timeout above the interval, and one equal to it when
	// both are given (interval 5 with the default timeout 5 passes).
	if hc.Timeout > hc.Interval || hc.Timeout == hc.Interval && in.Timeout != nil && in.Interval != nil {
		return hc, invalid("Health check timeout '%d' must be smaller than the interval '%d'", hc.Timeout, hc.Interval)
	}
	return hc, nil
}

// checkMatcher checks an HTTP code matcher: codes from 200 to 499, single,
// comma-separated or as ranges.
func checkMatcher(m string) error {
	if !matcherRE.MatchString(m) {
		return invalid("Health check matcher HTTP code '%s' is not valid: give a code (200), codes (200,202) or a range (200-299)", m)
	}
	for part := range strings.SplitSeq(m, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, _ := strconv.Atoi(lo)
		b := a
		if isRange {
			b, _ = strconv.Atoi(hi)
		}
		if a < 200 || b > 499 || a > b {
			return invalid("Health check matcher HTTP code '%s' must be within '200-499' inclusive", m)
		}
	}
	return nil
}

// createTargetGroup creates an HTTP or HTTPS target group of instance or
// ip targets. Creating one that exists with the same settings returns it.
func (a *API) createTargetGroup(ctx context.Context, in *CreateTargetGroupInput) (*TargetGroupsOutput, error) {
	if in.Name == nil {
		return nil, missing("name")
	}
	if err := checkName("Target group", *in.Name); err != nil {
		return nil, err
	}
	if err := checkEnum(in.Protocol, "protocol", protocols...); err != nil {
		return nil, err
	}
	if err := checkEnum(in.TargetType, "targetType", "instance", "ip", "lambda", "alb"); err != nil {
		return nil, err
	}
	if err := checkEnum(in.IpAddressType, "ipAddressType", "ipv4", "ipv6"); err != nil {
		return nil, err
	}
	if err := checkRange(in.Port, "port", 1, 65535); err != nil {
		return nil, err
	}
	tt := or(deref(in.TargetType), "instance")
	if tt != "instance" && tt != "ip" {
		return nil, invalid("Tide supports target groups of target type 'instance' and 'ip' only, not '%s'", tt)
	}
	switch {
	case in.Protocol == nil:
		return nil, invalid("A protocol must be specified")
	case *in.Protocol != "HTTP" && *in.Protocol != "HTTPS":
		return nil, invalid("Tide supports target groups with the HTTP and HTTPS protocols only, not '%s'", *in.Protocol)
	case in.Port == nil:
		return nil, invalid("A port must be specified")
	}
	pv := or(deref(in.ProtocolVersion), "HTTP1")
	switch strings.ToUpper(pv) {
	case "HTTP1", "HTTP2":
		pv = strings.ToUpper(pv)
	case "GRPC":
		return nil, invalid("Tide does not support target groups with the GRPC protocol version")
	default:
		return nil, invalid("Protocol version '%s' is not valid: use HTTP1, HTTP2 or GRPC", pv)
	}
	g := &tgRecord{
		Name: *in.Name, ID: newID(), Protocol: *in.Protocol, ProtocolVersion: pv, Port: *in.Port, VpcID: deref(in.VpcId),
		TargetType: tt, IPAddressType: or(deref(in.IpAddressType), "ipv4"), Created: a.now().UTC(),
	}
	hc, err := applyHealthCheck(defaultHealthCheck(g.Protocol), hcInput{
		Protocol: in.HealthCheckProtocol, Port: in.HealthCheckPort, Path: in.HealthCheckPath, Enabled: in.HealthCheckEnabled,
		Interval: in.HealthCheckIntervalSeconds, Timeout: in.HealthCheckTimeoutSeconds,
		Healthy: in.HealthyThresholdCount, Unhealthy: in.UnhealthyThresholdCount, Matcher: in.Matcher,
	}, g)
	if err != nil {
		return nil, err
	}
	g.HealthCheck = hc
	if g.Tags, err = checkTags(in.Tags); err != nil {
		return nil, err
	}
	_, err = a.store.Create(ctx, tgKey(g.Name), mustJSON(g))
	if errors.Is(err, store.ErrExists) {
		kv, ok := a.store.Get(tgKey(g.Name))
		if !ok {
			return nil, conflictErr()
		}
		cur, err := decode[tgRecord](kv)
		if err != nil {
			return nil, err
		}
		if cur.Protocol != g.Protocol || cur.ProtocolVersion != g.ProtocolVersion || cur.Port != g.Port || cur.VpcID != g.VpcID ||
			cur.TargetType != g.TargetType || cur.IPAddressType != g.IPAddressType || cur.HealthCheck != g.HealthCheck {
			return nil, clientErr("DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", g.Name)
		}
		g = cur
	} else if err != nil {
		return nil, storeErr(err)
	}
	return &TargetGroupsOutput{TargetGroups: []TargetGroup{a.describeTG(g)}}, nil
}

// describeTG is g as AWS describes it.
func (a *API) describeTG(g *tgRecord) TargetGroup {
	lbs := []string{}
	if g.LoadBalancerArn != "" {
		lbs = append(lbs, g.LoadBalancerArn)
	}
	var vpc *string
	if g.VpcID != "" {
		vpc = str(g.VpcID)
	}
	hc := g.HealthCheck
	return TargetGroup{
		TargetGroupArn: a.tgARN(g), TargetGroupName: g.Name, Protocol: g.Protocol, ProtocolVersion: g.ProtocolVersion,
		Port: g.Port, VpcId: vpc, HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port, HealthCheckEnabled: hc.Enabled,
		HealthCheckIntervalSeconds: hc.Interval, HealthCheckTimeoutSeconds: hc.Timeout, HealthyThresholdCount: hc.Healthy,
		UnhealthyThresholdCount: hc.Unhealthy, HealthCheckPath: hc.Path, Matcher: Matcher{HttpCode: str(hc.Matcher)},
		LoadBalancerArns: lbs, TargetType: g.TargetType, IpAddressType: g.IPAddressType,
	}
}

// DescribeTargetGroupsInput is the DescribeTargetGroups request.
type DescribeTargetGroupsInput struct {
	LoadBalancerArn *string
	TargetGroupArns []string
	Names           []string
	Marker          *string
	PageSize        *int32
}

// DescribeTargetGroupsOutput is the DescribeTargetGroups response.
type DescribeTargetGroupsOutput struct {
	TargetGroups []TargetGroup
	NextMarker   *string
}

// describeTargetGroups lists target groups in name order: all, those
// named, or those a load balancer forwards to.
func (a *API) describeTargetGroups(ctx context.Context, in *DescribeTargetGroupsInput) (*DescribeTargetGroupsOutput, error) {
	if err := checkRange(in.PageSize, "pageSize", 1, 400); err != nil {
		return nil, err
	}
	n := 0
	for _, given := range []bool{in.LoadBalancerArn != nil, in.TargetGroupArns != nil, in.Names != nil} {
		if given {
			n++
		}
	}
	if n > 1 {
		return nil, invalid("Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time")
	}
	var recs []*tgRecord
	var notFound []string
	switch {
	case in.LoadBalancerArn != nil:
		r, _, err := a.lbByARN(*in.LoadBalancerArn)
		if err != nil {
			return nil, err
		}
		all, err := a.allTGs()
		if err != nil {
			return nil, err
		}
		arn := a.lbARN(r)
		for _, g := range all {
			if g.LoadBalancerArn == arn {
				recs = append(recs, g)
			}
		}
	case in.TargetGroupArns != nil:
		for _, arn := range in.TargetGroupArns {
			g, _, err := a.tgByARN(arn)
			if isCode(err, "TargetGroupNotFound") {
				notFound = append(notFound, arn)
				continue
			}
			if err != nil {
				return nil, err
			}
			recs = append(recs, g)
		}
	case in.Names != nil:
		for _, name := range in.Names {
			kv, ok := a.store.Get(tgKey(name))
			if !ok {
				notFound = append(notFound, name)
				continue
			}
			g, err := decode[tgRecord](kv)
			if err != nil {
				return nil, err
			}
			recs = append(recs, g)
		}
	default:
		var err error
		if recs, err = a.allTGs(); err != nil {
			return nil, err
		}
	}
	if notFound != nil {
		return nil, clientErr("TargetGroupNotFound", "Target groups '%s' not found", bracket(notFound))
	}
	slices.SortFunc(recs, func(x, y *tgRecord) int { return strings.Compare(x.Name, y.Name) })
	recs = slices.CompactFunc(recs, func(x, y *tgRecord) bool { return x.Name == y.Name })
	pg, next, err := page(recs, func(g *tgRecord) string { return g.Name }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &DescribeTargetGroupsOutput{TargetGroups: []TargetGroup{}, NextMarker: next}
	for _, g := range pg {
		out.TargetGroups = append(out.TargetGroups, a.describeTG(g))
	}
	return out, nil
}

// ModifyTargetGroupInput is the ModifyTargetGroup request.
type ModifyTargetGroupInput struct {
	TargetGroupArn             *string
	HealthCheckProtocol        *string
	HealthCheckPort            *string
	HealthCheckPath            *string
	HealthCheckEnabled         *bool
	HealthCheckIntervalSeconds *int32
	HealthCheckTimeoutSeconds  *int32
	HealthyThresholdCount      *int32
	UnhealthyThresholdCount    *int32
	Matcher                    *Matcher
}

// modifyTargetGroup changes a target group's health check.
func (a *API) modifyTargetGroup(ctx context.Context, in *ModifyTargetGroupInput) (*TargetGroupsOutput, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	name, id, err := a.parseTGARN(*in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	var out *tgRecord
	err = a.updateTG(ctx, name, id, func(g *tgRecord) error {
		hc, err := applyHealthCheck(g.HealthCheck, hcInput{
			Protocol: in.HealthCheckProtocol, Port: in.HealthCheckPort, Path: in.HealthCheckPath, Enabled: in.HealthCheckEnabled,
			Interval: in.HealthCheckIntervalSeconds, Timeout: in.HealthCheckTimeoutSeconds,
			Healthy: in.HealthyThresholdCount, Unhealthy: in.UnhealthyThresholdCount, Matcher: in.Matcher,
		}, g)
		g.HealthCheck, out = hc, g
		return err
	})
	if err != nil {
		return nil, err
	}
	return &TargetGroupsOutput{TargetGroups: []TargetGroup{a.describeTG(out)}}, nil
}

// updateTG runs a read-modify-write cycle on the target group (name, id).
func (a *API) updateTG(ctx context.Context, name, id string, fn func(g *tgRecord) error) error {
	_, err := a.store.Update(ctx, tgKey(name), func(cur store.KV) ([]byte, error) {
		g, err := decode[tgRecord](cur)
		if err != nil {
			return nil, err
		}
		if g.ID != id {
			return nil, tgNotFound()
		}
		if err := fn(g); err != nil {
			return nil, err
		}
		return mustJSON(g), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return tgNotFound()
	}
	return storeErr(err)
}

// deleteTargetGroup deletes a target group that no listener or rule
// forwards to, with its targets. Deleting one that does not exist
// succeeds, as in AWS.
func (a *API) deleteTargetGroup(ctx context.Context, in *TargetGroupArnInput) (*empty, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	arn := *in.TargetGroupArn
	name, id, err := a.parseTGARN(arn)
	if err != nil {
		return nil, err
	}
	for range maxAttempts {
		g, kv, err := a.tg(name, id)
		if isCode(err, "TargetGroupNotFound") {
			return &empty{}, nil
		}
		if err != nil {
			return nil, err
		}
		if g.LoadBalancerArn != "" {
			return nil, clientErr("ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", arn)
		}
		_, err = a.store.Commit(ctx, store.Del(kv.Key, kv.ModRev))
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		if err := a.deleteTargets(ctx, g.ID, func(*targetRecord) bool { return true }); err != nil {
			a.log.Warn("delete targets of deleted target group", "arn", arn, "err", err)
		}
		return &empty{}, nil
	}
	return nil, conflictErr()
}

// deleteTargets deletes the targets of group tgID that doomed picks, in
// batches (etcd bounds a transaction's operations). A target changed
// meanwhile is left for the next sweep.
func (a *API) deleteTargets(ctx context.Context, tgID string, doomed func(*targetRecord) bool) error {
	ts, kvs, err := a.targets(tgID)
	if err != nil {
		return err
	}
	var batch []store.Write
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := a.store.Commit(ctx, batch...)
		batch = batch[:0]
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return err
	}
	for i, t := range ts {
		if !doomed(t) {
			continue
		}
		if batch = append(batch, store.Del(kvs[i].Key, kvs[i].ModRev)); len(batch) == 100 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
