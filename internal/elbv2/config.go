package elbv2

import (
	"strconv"
	"strings"
	"time"

	"tide/internal/lb"
)

// Config builds the data plane's whole configuration from the store: every
// load balancer with its listeners and rules (by priority, the default rule
// last) and every target group with its targets, draining ones marked with
// their deadline. Instance targets are resolved to their host; those that
// do not resolve are left out. Records that do not decode are skipped and
// logged.
//
// The configuration changes only when the store does: the server rebuilds
// it whenever store.Revision() has moved since the last build (and at
// least every few seconds, so that instance addresses that change without
// an ELBv2 write are picked up).
func (a *API) Config() *lb.Config {
	now := a.now()
	cfg := &lb.Config{LoadBalancers: []lb.LoadBalancer{}, TargetGroups: []lb.TargetGroup{}}
	for _, kv := range a.store.List(lbPrefix) {
		r, err := decode[lbRecord](kv)
		if err != nil {
			a.log.Warn("skipping load balancer record", "err", err)
			continue
		}
		cfg.LoadBalancers = append(cfg.LoadBalancers, a.lbLoadBalancer(r))
	}
	for _, kv := range a.store.List(tgPrefix) {
		g, err := decode[tgRecord](kv)
		if err != nil {
			a.log.Warn("skipping target group record", "err", err)
			continue
		}
		tg, err := a.lbTargetGroup(g, now)
		if err != nil {
			a.log.Warn("skipping target group", "name", g.Name, "err", err)
			continue
		}
		cfg.TargetGroups = append(cfg.TargetGroups, tg)
	}
	return cfg
}

func seconds(v string) time.Duration {
	n, _ := strconv.Atoi(v)
	return time.Duration(n) * time.Second
}

func (a *API) lbLoadBalancer(r *lbRecord) lb.LoadBalancer {
	out := lb.LoadBalancer{
		ARN: a.lbARN(r), Name: r.Name,
		IdleTimeout: seconds(attrValue(lbAttrs, r.Attributes, "idle_timeout.timeout_seconds")),
		Listeners:   []lb.Listener{},
	}
	for _, l := range r.Listeners {
		ll := lb.Listener{ARN: a.listenerARN(r, l), Port: int(l.Port), Protocol: l.Protocol, Rules: []lb.Rule{}}
		if l.Protocol == "HTTPS" && len(l.Certificates) > 0 {
			// Checked when set; a file gone since fails the data plane's
			// bind of this listener, which it reports.
			ll.CertFile, ll.KeyFile = certPaths(l.Certificates[0])
		}
		for _, rule := range l.Rules {
			ll.Rules = append(ll.Rules, lb.Rule{
				ARN: a.ruleARN(r, l, rule.ID), Priority: int(rule.Priority),
				Conditions: lbConditions(rule.Conditions), Actions: lbActions(rule.Actions),
			})
		}
		ll.Rules = append(ll.Rules, lb.Rule{ARN: a.ruleARN(r, l, l.DefaultRuleID), IsDefault: true, Conditions: []lb.Condition{}, Actions: lbActions(l.DefaultActions)})
		out.Listeners = append(out.Listeners, ll)
	}
	return out
}

// certPaths splits a certificate "ARN" into its files without loading them.
func certPaths(arn string) (string, string) {
	parts := strings.Split(arn, ",")
	first := strings.TrimPrefix(strings.TrimSpace(parts[0]), "file://")
	last := strings.TrimPrefix(strings.TrimSpace(parts[len(parts)-1]), "file://")
	return first, last
}

func lbConditions(conds []RuleCondition) []lb.Condition {
	out := []lb.Condition{}
	for _, c := range conds {
		lc := lb.Condition{Field: deref(c.Field)}
		switch {
		case c.HostHeaderConfig != nil:
			lc.Values = c.HostHeaderConfig.Values
		case c.PathPatternConfig != nil:
			lc.Values = c.PathPatternConfig.Values
		case c.HttpHeaderConfig != nil:
			lc.HeaderName, lc.Values = deref(c.HttpHeaderConfig.HttpHeaderName), c.HttpHeaderConfig.Values
		case c.HttpRequestMethodConfig != nil:
			lc.Values = c.HttpRequestMethodConfig.Values
		case c.SourceIpConfig != nil:
			lc.Values = c.SourceIpConfig.Values
		case c.QueryStringConfig != nil:
			for _, p := range c.QueryStringConfig.Values {
				lc.Query = append(lc.Query, lb.KeyValue{Key: deref(p.Key), Value: deref(p.Value)})
			}
		}
		out = append(out, lc)
	}
	return out
}

func lbActions(actions []Action) []lb.Action {
	out := []lb.Action{}
	for _, act := range actions {
		la := lb.Action{Type: deref(act.Type)}
		switch {
		case act.ForwardConfig != nil:
			for _, t := range act.ForwardConfig.TargetGroups {
				la.TargetGroups = append(la.TargetGroups, lb.WeightedGroup{ARN: deref(t.TargetGroupArn), Weight: int(derefInt(t.Weight, 1))})
			}
			if st := act.ForwardConfig.TargetGroupStickinessConfig; st != nil && st.Enabled != nil && *st.Enabled {
				la.GroupStickiness = time.Duration(derefInt(st.DurationSeconds, 0)) * time.Second
			}
		case act.RedirectConfig != nil:
			rc := act.RedirectConfig
			code := 301
			if deref(rc.StatusCode) == "HTTP_302" {
				code = 302
			}
			la.Redirect = &lb.Redirect{Protocol: deref(rc.Protocol), Host: deref(rc.Host), Port: deref(rc.Port), Path: deref(rc.Path), Query: deref(rc.Query), StatusCode: code}
		case act.FixedResponseConfig != nil:
			fc := act.FixedResponseConfig
			code, _ := strconv.Atoi(deref(fc.StatusCode))
			la.FixedResponse = &lb.FixedResponse{StatusCode: code, ContentType: deref(fc.ContentType), Body: deref(fc.MessageBody)}
		}
		out = append(out, la)
	}
	return out
}

// lbTargetGroup is g as the data plane sees it, at now.
func (a *API) lbTargetGroup(g *tgRecord, now time.Time) (lb.TargetGroup, error) {
	attr := func(k string) string { return attrValue(tgAttrs, g.Attributes, k) }
	hc := g.HealthCheck
	port := 0
	if hc.Port != "traffic-port" {
		port, _ = strconv.Atoi(hc.Port)
	}
	st := lb.Stickiness{Enabled: attr("stickiness.enabled") == "true", Type: attr("stickiness.type")}
	if st.Type == "app_cookie" {
		st.Duration, st.CookieName = seconds(attr("stickiness.app_cookie.duration_seconds")), attr("stickiness.app_cookie.cookie_name")
	} else {
		st.Duration = seconds(attr("stickiness.lb_cookie.duration_seconds"))
	}
	out := lb.TargetGroup{
		ARN: a.tgARN(g), Name: g.Name, Protocol: g.Protocol, Port: int(g.Port), TargetType: g.TargetType,
		HealthCheck: lb.HealthCheck{
			Enabled: hc.Enabled, Path: hc.Path, Port: port,
			Interval: time.Duration(hc.Interval) * time.Second, Timeout: time.Duration(hc.Timeout) * time.Second,
			HealthyThreshold: int(hc.Healthy), UnhealthyThreshold: int(hc.Unhealthy), Matcher: hc.Matcher,
		},
		Algorithm:           attr("load_balancing.algorithm.type"),
		DeregistrationDelay: seconds(attr("deregistration_delay.timeout_seconds")),
		SlowStart:           seconds(attr("slow_start.duration_seconds")),
		Stickiness:          st,
		Targets:             []lb.Target{},
	}
	ts, _, err := a.targets(g.ID)
	if err != nil {
		return out, err
	}
	for _, t := range ts {
		draining, expired := t.draining(now)
		if expired {
			continue
		}
		host := t.ID
		if g.TargetType == "instance" {
			var ok bool
			if host, ok = a.resolve(t.ID); !ok {
				continue
			}
		}
		lt := lb.Target{ID: t.ID, Host: host, Port: int(t.Port), AZ: t.AZ, Draining: draining, RegisteredAt: t.Registered}
		if draining {
			lt.DrainDeadline = *t.DrainUntil
		}
		out.Targets = append(out.Targets, lt)
	}
	return out, nil
}
