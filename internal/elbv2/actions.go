package elbv2

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var actionTypes = []string{"forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response", "jwt-validation"}

var (
	fixedStatusRE    = regexp.MustCompile(`^(2|4|5)\d\d$`)
	redirectProtoRE  = regexp.MustCompile(`^(HTTPS?|#\{protocol\})$`)
	fixedContentType = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
)

// Redirect components' defaults: the request's own values.
const (
	defProtocol = "#{protocol}"
	defHost     = "#{host}"
	defPort     = "#{port}"
	defPath     = "/#{path}"
	defQuery    = "#{query}"
)

// checkActions validates the actions of a listener (member
// "defaultActions") or rule ("actions") and returns them normalized as
// AWS reports them: a forward action has both its TargetGroupArn (when it
// has one group) and its ForwardConfig with weights, a redirect all its
// components. Tide has no authentication actions, so a rule has exactly
// one action.
func checkActions(actions []Action, member string) ([]Action, error) {
	if actions == nil {
		return nil, missing(member)
	}
	if len(actions) == 0 {
		return nil, invalid("At least one action must be specified")
	}
	orders := map[int32]bool{}
	for i, act := range actions {
		m := fmt.Sprintf("%s.%d.member.", member, i+1)
		if act.Type == nil {
			return nil, missing(m + "type")
		}
		if err := checkEnum(act.Type, m+"type", actionTypes...); err != nil {
			return nil, err
		}
		if err := checkRange(act.Order, m+"order", 1, 50000); err != nil {
			return nil, err
		}
		if act.Order != nil {
			if orders[*act.Order] {
				return nil, invalid("The action order '%d' is used more than once", *act.Order)
			}
			orders[*act.Order] = true
		}
		switch *act.Type {
		case "forward", "redirect", "fixed-response":
		default:
			return nil, clientErr("InvalidLoadBalancerAction", "Tide does not support actions of type '%s'", *act.Type)
		}
	}
	if len(actions) > 1 {
		return nil, clientErr("InvalidLoadBalancerAction", "A rule must have exactly one forward, redirect or fixed-response action (Tide supports no authentication actions to precede it)")
	}
	act, err := checkAction(actions[0], member+".1.member.")
	if err != nil {
		return nil, err
	}
	if act.Order == nil {
		act.Order = i32(1)
	}
	return []Action{act}, nil
}

func checkAction(act Action, m string) (Action, error) {
	t := *act.Type
	others := map[string]bool{
		"ForwardConfig": act.ForwardConfig != nil, "TargetGroupArn": act.TargetGroupArn != nil,
		"RedirectConfig": act.RedirectConfig != nil, "FixedResponseConfig": act.FixedResponseConfig != nil,
	}
	allowed := map[string][]string{"forward": {"ForwardConfig", "TargetGroupArn"}, "redirect": {"RedirectConfig"}, "fixed-response": {"FixedResponseConfig"}}[t]
	for _, name := range []string{"TargetGroupArn", "ForwardConfig", "RedirectConfig", "FixedResponseConfig"} {
		if others[name] && !slices.Contains(allowed, name) {
			return act, clientErr("InvalidLoadBalancerAction", "An action of type '%s' cannot have a %s", t, name)
		}
	}
	switch t {
	case "forward":
		return checkForward(act, m)
	case "redirect":
		return checkRedirect(act, m)
	}
	return checkFixed(act, m)
}

func checkForward(act Action, m string) (Action, error) {
	var tuples []TargetGroupTuple
	var sticky *TargetGroupStickinessConfig
	if fc := act.ForwardConfig; fc != nil {
		tuples, sticky = fc.TargetGroups, fc.TargetGroupStickinessConfig
	}
	if len(tuples) == 0 {
		if act.TargetGroupArn == nil {
			return act, invalid("A target group ARN must be specified for actions of type 'forward'")
		}
		tuples = []TargetGroupTuple{{TargetGroupArn: act.TargetGroupArn}}
	} else if act.TargetGroupArn != nil && (len(tuples) != 1 || deref(tuples[0].TargetGroupArn) != *act.TargetGroupArn) {
		return act, invalid("You cannot specify a target group ARN and a forward configuration with other target groups in the same action")
	}
	if len(tuples) > 5 {
		return act, invalid("A forward action can have at most '5' target groups")
	}
	seen := map[string]bool{}
	out := make([]TargetGroupTuple, len(tuples))
	for i, tu := range tuples {
		tm := fmt.Sprintf("%sforwardConfig.targetGroups.%d.member.", m, i+1)
		if tu.TargetGroupArn == nil {
			return act, missing(tm + "targetGroupArn")
		}
		if err := checkRange(tu.Weight, tm+"weight", 0, 999); err != nil {
			return act, err
		}
		if seen[*tu.TargetGroupArn] {
			return act, invalid("Target group '%s' is specified more than once in the same action", *tu.TargetGroupArn)
		}
		seen[*tu.TargetGroupArn] = true
		out[i] = TargetGroupTuple{TargetGroupArn: tu.TargetGroupArn, Weight: i32(derefInt(tu.Weight, 1))}
	}
	st := &TargetGroupStickinessConfig{Enabled: new(bool)}
	if sticky != nil {
		sm := m + "forwardConfig.targetGroupStickinessConfig.durationSeconds"
		if err := checkRange(sticky.DurationSeconds, sm, 1, 604800); err != nil {
			return act, err
		}
		if sticky.Enabled != nil && *sticky.Enabled {
			if sticky.DurationSeconds == nil {
				return act, invalid("A duration must be specified when target group stickiness is enabled")
			}
			*st.Enabled = true
		}
		st.DurationSeconds = sticky.DurationSeconds
	}
	n := Action{Type: act.Type, Order: act.Order, ForwardConfig: &ForwardActionConfig{TargetGroups: out, TargetGroupStickinessConfig: st}}
	if len(out) == 1 {
		n.TargetGroupArn = out[0].TargetGroupArn
	}
	return n, nil
}

func checkRedirect(act Action, m string) (Action, error) {
	rc := act.RedirectConfig
	if rc == nil {
		return act, invalid("A redirect configuration must be specified for actions of type 'redirect'")
	}
	rm := m + "redirectConfig."
	if rc.StatusCode == nil {
		return act, missing(rm + "statusCode")
	}
	if err := checkEnum(rc.StatusCode, rm+"statusCode", "HTTP_301", "HTTP_302"); err != nil {
		return act, err
	}
	if rc.Protocol != nil && !redirectProtoRE.MatchString(*rc.Protocol) {
		return act, constraint(*rc.Protocol, rm+"protocol", "Member must satisfy regular expression pattern: ^(HTTPS?|#\\{protocol\\})$")
	}
	if err := checkLen(rc.Host, rm+"host", 1, 128); err != nil {
		return act, err
	}
	if err := checkLen(rc.Path, rm+"path", 1, 128); err != nil {
		return act, err
	}
	if err := checkLen(rc.Query, rm+"query", 0, 128); err != nil {
		return act, err
	}
	if rc.Port != nil && *rc.Port != defPort {
		if n, err := strconv.Atoi(*rc.Port); err != nil || n < 1 || n > 65535 {
			return act, invalid("The redirect port '%s' must be '#{port}' or a port between '1-65535' inclusive", *rc.Port)
		}
	}
	if rc.Path != nil && !strings.HasPrefix(*rc.Path, "/") {
		return act, invalid("The redirect path '%s' must begin with '/'", *rc.Path)
	}
	if rc.Query != nil && strings.HasPrefix(*rc.Query, "?") {
		return act, invalid("The redirect query '%s' must not begin with '?'", *rc.Query)
	}
	n := &RedirectActionConfig{
		Protocol: str(or(deref(rc.Protocol), defProtocol)), Port: str(or(deref(rc.Port), defPort)),
		Host: str(or(deref(rc.Host), defHost)), Path: str(or(deref(rc.Path), defPath)),
		Query: str(defQuery), StatusCode: rc.StatusCode,
	}
	if rc.Query != nil {
		n.Query = str(*rc.Query)
	}
	if *n.Protocol == defProtocol && *n.Port == defPort && *n.Host == defHost && *n.Path == defPath && *n.Query == defQuery {
		return act, clientErr("InvalidLoadBalancerAction", "The redirect must change at least one of the protocol, host, port, path or query; otherwise it redirects to itself")
	}
	return Action{Type: act.Type, Order: act.Order, RedirectConfig: n}, nil
}

func checkFixed(act Action, m string) (Action, error) {
	fc := act.FixedResponseConfig
	if fc == nil {
		return act, invalid("A fixed-response configuration must be specified for actions of type 'fixed-response'")
	}
	fm := m + "fixedResponseConfig."
	if fc.StatusCode == nil {
		return act, missing(fm + "statusCode")
	}
	if !fixedStatusRE.MatchString(*fc.StatusCode) {
		return act, constraint(*fc.StatusCode, fm+"statusCode", "Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$")
	}
	if err := checkLen(fc.ContentType, fm+"contentType", 0, 32); err != nil {
		return act, err
	}
	if err := checkLen(fc.MessageBody, fm+"messageBody", 0, 1024); err != nil {
		return act, err
	}
	if fc.ContentType != nil && !slices.Contains(fixedContentType, *fc.ContentType) {
		return act, clientErr("InvalidLoadBalancerAction", "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', 'text/css', 'text/plain'")
	}
	return Action{Type: act.Type, Order: act.Order, FixedResponseConfig: &FixedResponseActionConfig{
		StatusCode: fc.StatusCode, ContentType: fc.ContentType, MessageBody: fc.MessageBody,
	}}, nil
}
