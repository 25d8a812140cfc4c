package elbv2

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

// attrSpec is one attribute: its key, its default and what values it takes.
type attrSpec struct {
	key   string
	def   string
	check func(key, v string) error
}

func boolAttr(key, v string) error {
	if v != "true" && v != "false" {
		return invalid("'%s' value '%s' must be one of [true, false]", key, v)
	}
	return nil
}

func intAttr(lo, hi int) func(key, v string) error {
	return func(key, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return invalid("'%s' value '%s' must be between '%d-%d' inclusive", key, v, lo, hi)
		}
		return nil
	}
}

func enumAttr(values ...string) func(key, v string) error {
	return func(key, v string) error {
		for _, e := range values {
			if v == e {
				return nil
			}
		}
		return invalid("'%s' value '%s' must be one of %s", key, v, bracket(values))
	}
}

func anyAttr(key, v string) error { return nil }

// offOrInt accepts "off" or a number in [lo, hi].
func offOrInt(lo, hi int) func(key, v string) error {
	return func(key, v string) error {
		if v == "off" {
			return nil
		}
		if n, err := strconv.Atoi(v); err != nil || n < lo || n > hi {
			return invalid("'%s' value '%s' must be 'off' or between '%d-%d' inclusive", key, v, lo, hi)
		}
		return nil
	}
}

// lbAttrs are an application load balancer's attributes in the order AWS
// lists them. Only idle_timeout.timeout_seconds and
// deletion_protection.enabled change what Tide does; the others are kept
// and reported.
var lbAttrs = []attrSpec{
	{"access_logs.s3.enabled", "false", boolAttr},
	{"access_logs.s3.bucket", "", anyAttr},
	{"access_logs.s3.prefix", "", anyAttr},
	{"client_keep_alive.seconds", "3600", intAttr(60, 604800)},
	{"connection_logs.s3.enabled", "false", boolAttr},
	{"connection_logs.s3.bucket", "", anyAttr},
	{"connection_logs.s3.prefix", "", anyAttr},
	{"deletion_protection.enabled", "false", boolAttr},
	{"health_check_logs.s3.enabled", "false", boolAttr},
	{"health_check_logs.s3.bucket", "", anyAttr},
	{"health_check_logs.s3.prefix", "", anyAttr},
	{"idle_timeout.timeout_seconds", "60", intAttr(1, 4000)},
	{"load_balancing.cross_zone.enabled", "true", enumAttr("true")},
	{"routing.http.desync_mitigation_mode", "defensive", enumAttr("monitor", "defensive", "strictest")},
	{"routing.http.drop_invalid_header_fields.enabled", "false", boolAttr},
	{"routing.http.preserve_host_header.enabled", "false", boolAttr},
	{"routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false", boolAttr},
	{"routing.http.xff_client_port.enabled", "false", boolAttr},
	{"routing.http.xff_header_processing.mode", "append", enumAttr("append", "preserve", "remove")},
	{"routing.http2.enabled", "true", boolAttr},
	{"waf.fail_open.enabled", "false", boolAttr},
	{"zonal_shift.config.enabled", "false", boolAttr},
}

// tgAttrs are an HTTP target group's attributes in the order AWS lists
// them. Tide's data plane honors deregistration delay, slow start, the
// algorithm and stickiness; the others are kept and reported.
var tgAttrs = []attrSpec{
	{"deregistration_delay.timeout_seconds", "300", intAttr(0, 3600)},
	{"stickiness.enabled", "false", boolAttr},
	{"stickiness.type", "lb_cookie", stickinessType},
	{"stickiness.lb_cookie.duration_seconds", "86400", intAttr(1, 604800)},
	{"stickiness.app_cookie.cookie_name", "", cookieName},
	{"stickiness.app_cookie.duration_seconds", "86400", intAttr(1, 604800)},
	{"slow_start.duration_seconds", "0", slowStart},
	{"load_balancing.algorithm.type", "round_robin", enumAttr("round_robin", "least_outstanding_requests", "weighted_random")},
	{"load_balancing.algorithm.anomaly_mitigation", "off", enumAttr("on", "off")},
	{"load_balancing.cross_zone.enabled", "use_load_balancer_configuration", enumAttr("true", "false", "use_load_balancer_configuration")},
	{"target_group_health.dns_failover.minimum_healthy_targets.count", "1", offOrInt(1, 1000)},
	{"target_group_health.dns_failover.minimum_healthy_targets.percentage", "off", offOrInt(1, 100)},
	{"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1", intAttr(1, 1000)},
	{"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off", offOrInt(1, 100)},
}

func stickinessType(key, v string) error {
	switch v {
	case "lb_cookie", "app_cookie":
		return nil
	case "source_ip", "source_ip_dest_ip", "source_ip_dest_ip_proto":
		return invalidConfig("Stickiness type '%s' is not supported for target groups with the HTTP protocol", v)
	}
	return invalid("'%s' value '%s' must be one of [lb_cookie, app_cookie, source_ip, source_ip_dest_ip, source_ip_dest_ip_proto]", key, v)
}

var cookieRE = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]*$")

func cookieName(key, v string) error {
	if !cookieRE.MatchString(v) {
		return invalid("'%s' value '%s' is not a valid cookie name", key, v)
	}
	for _, p := range []string{"AWSALB", "AWSALBAPP", "AWSALBTG"} {
		if strings.HasPrefix(strings.ToUpper(v), p) {
			return invalid("'%s' value '%s' is reserved: cookie names starting with AWSALB, AWSALBAPP and AWSALBTG are the load balancer's", key, v)
		}
	}
	return nil
}

func slowStart(key, v string) error {
	if v == "0" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 30 || n > 900 {
		return invalid("'%s' value '%s' must be between '30-900' inclusive, or 0 to disable slow start", key, v)
	}
	return nil
}

var attrKeyRE = regexp.MustCompile(`^[a-zA-Z0-9._]+$`)

// applyAttrs checks attrs against specs and sets them in cur (a copy is
// returned). kind names the resource in messages.
func applyAttrs(kind string, specs []attrSpec, cur map[string]string, attrs []Attribute) (map[string]string, error) {
	if attrs == nil {
		return nil, missing("attributes")
	}
	if len(attrs) > 20 {
		return nil, constraint(len(attrs), "attributes", "Member must have length less than or equal to 20")
	}
	out := map[string]string{}
	for k, v := range cur {
		out[k] = v
	}
	for i, at := range attrs {
		member := "attributes." + itoa(i+1) + ".member."
		if at.Key == nil {
			return nil, missing(member + "key")
		}
		key := *at.Key
		if err := checkLen(at.Key, member+"key", 0, 256); err != nil {
			return nil, err
		}
		if !attrKeyRE.MatchString(key) {
			return nil, constraint(key, member+"key", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9._]+$")
		}
		if err := checkLen(at.Value, member+"value", 0, 1024); err != nil {
			return nil, err
		}
		spec := findAttr(specs, key)
		if spec == nil {
			return nil, invalid("%s attribute key '%s' is not recognized", kind, key)
		}
		if err := spec.check(key, deref(at.Value)); err != nil {
			return nil, err
		}
		out[key] = deref(at.Value)
	}
	return out, nil
}

func findAttr(specs []attrSpec, key string) *attrSpec {
	for i := range specs {
		if specs[i].key == key {
			return &specs[i]
		}
	}
	return nil
}

// attrValue is attribute key of a resource whose set attributes are set.
func attrValue(specs []attrSpec, set map[string]string, key string) string {
	if v, ok := set[key]; ok {
		return v
	}
	if s := findAttr(specs, key); s != nil {
		return s.def
	}
	return ""
}

func attrList(specs []attrSpec, set map[string]string) []Attribute {
	out := make([]Attribute, 0, len(specs))
	for _, s := range specs {
		out = append(out, Attribute{Key: str(s.key), Value: str(attrValue(specs, set, s.key))})
	}
	return out
}

// checkTGAttrs checks what target group attributes require of each other.
func checkTGAttrs(set map[string]string) error {
	get := func(k string) string { return attrValue(tgAttrs, set, k) }
	algo := get("load_balancing.algorithm.type")
	if get("stickiness.enabled") == "true" && get("stickiness.type") == "app_cookie" && get("stickiness.app_cookie.cookie_name") == "" {
		return invalidConfig("You must set an application cookie name to enable stickiness of type 'app_cookie'")
	}
	if get("slow_start.duration_seconds") != "0" && algo == "weighted_random" {
		return invalidConfig("Slow start mode is not supported with the weighted_random load balancing algorithm")
	}
	if get("load_balancing.algorithm.anomaly_mitigation") == "on" && algo != "weighted_random" {
		return invalidConfig("Anomaly mitigation is supported only with the weighted_random load balancing algorithm")
	}
	return nil
}

// LoadBalancerArnInput is the request of the operations that take only a
// load balancer ARN.
type LoadBalancerArnInput struct {
	LoadBalancerArn *string
}

// AttributesOutput is the response of the attribute operations.
type AttributesOutput struct {
	Attributes []Attribute
}

func (a *API) describeLoadBalancerAttributes(ctx context.Context, in *LoadBalancerArnInput) (*AttributesOutput, error) {
	if in.LoadBalancerArn == nil {
		return nil, missing("loadBalancerArn")
	}
	r, _, err := a.lbByARN(*in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	return &AttributesOutput{Attributes: attrList(lbAttrs, r.Attributes)}, nil
}

// ModifyLoadBalancerAttributesInput is the ModifyLoadBalancerAttributes request.
type ModifyLoadBalancerAttributesInput struct {
	LoadBalancerArn *string
	Attributes      []Attribute
}

func (a *API) modifyLoadBalancerAttributes(ctx context.Context, in *ModifyLoadBalancerAttributesInput) (*AttributesOutput, error) {
	if in.LoadBalancerArn == nil {
		return nil, missing("loadBalancerArn")
	}
	name, id, err := a.parseLBARN(*in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	if _, err := applyAttrs("Load balancer", lbAttrs, nil, in.Attributes); err != nil {
		return nil, err
	}
	r, err := a.updateLB(ctx, name, id, func(r *lbRecord) error {
		attrs, err := applyAttrs("Load balancer", lbAttrs, r.Attributes, in.Attributes)
		r.Attributes = attrs
		return err
	})
	if err != nil {
		return nil, err
	}
	return &AttributesOutput{Attributes: attrList(lbAttrs, r.Attributes)}, nil
}

// TargetGroupArnInput is the request of the operations that take only a
// target group ARN.
type TargetGroupArnInput struct {
	TargetGroupArn *string
}

func (a *API) describeTargetGroupAttributes(ctx context.Context, in *TargetGroupArnInput) (*AttributesOutput, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	g, _, err := a.tgByARN(*in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	return &AttributesOutput{Attributes: attrList(tgAttrs, g.Attributes)}, nil
}

// ModifyTargetGroupAttributesInput is the ModifyTargetGroupAttributes request.
type ModifyTargetGroupAttributesInput struct {
	TargetGroupArn *string
	Attributes     []Attribute
}

func (a *API) modifyTargetGroupAttributes(ctx context.Context, in *ModifyTargetGroupAttributesInput) (*AttributesOutput, error) {
	if in.TargetGroupArn == nil {
		return nil, missing("targetGroupArn")
	}
	name, id, err := a.parseTGARN(*in.TargetGroupArn)
	if err != nil {
		return nil, err
	}
	if _, err := applyAttrs("Target group", tgAttrs, nil, in.Attributes); err != nil {
		return nil, err
	}
	var out map[string]string
	err = a.updateTG(ctx, name, id, func(g *tgRecord) error {
		attrs, err := applyAttrs("Target group", tgAttrs, g.Attributes, in.Attributes)
		if err != nil {
			return err
		}
		if err := checkTGAttrs(attrs); err != nil {
			return err
		}
		g.Attributes, out = attrs, attrs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &AttributesOutput{Attributes: attrList(tgAttrs, out)}, nil
}
