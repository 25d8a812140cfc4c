package elbv2

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

var conditionFields = []string{"http-header", "http-request-method", "host-header", "path-pattern", "query-string", "source-ip"}

// AWS's limits on a rule's conditions.
const (
	maxConditionValues = 5
	maxWildcards       = 5
)

var (
	hostValueRE   = regexp.MustCompile(`^[A-Za-z0-9\-.*?]+$`)
	pathValueRE   = regexp.MustCompile(`^[A-Za-z0-9_\-.$/~"'@:+&*?]+$`)
	headerNameRE  = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
	methodValueRE = regexp.MustCompile(`^[A-Z_-]+$`)
)

// checkConditions validates a rule's conditions and returns them
// normalized as AWS reports them: the field, its *Config and, for
// host-header and path-pattern, Values too.
func checkConditions(conds []RuleCondition) ([]RuleCondition, error) {
	if conds == nil {
		return nil, missing("conditions")
	}
	if len(conds) == 0 {
		return nil, invalid("A rule must have at least one condition")
	}
	out := make([]RuleCondition, 0, len(conds))
	once := map[string]bool{}
	values, wildcards := 0, 0
	for i, c := range conds {
		n, vals, err := checkCondition(c, fmt.Sprintf("conditions.%d.member.", i+1))
		if err != nil {
			return nil, err
		}
		f := *n.Field
		if f != "http-header" && f != "query-string" {
			if once[f] {
				return nil, invalid("A rule can only have one '%s' condition", f)
			}
			once[f] = true
		}
		values += len(vals)
		if f != "source-ip" && f != "http-request-method" {
			for _, v := range vals {
				wildcards += strings.Count(v, "*") + strings.Count(v, "?")
			}
		}
		out = append(out, n)
	}
	if values > maxConditionValues {
		return nil, invalid("A rule can only have '%d' condition values", maxConditionValues)
	}
	if wildcards > maxWildcards {
		return nil, invalid("A rule can only have '%d' wildcards", maxWildcards)
	}
	return out, nil
}

// checkCondition validates one condition; vals are the values it counts
// against the rule's limits.
func checkCondition(c RuleCondition, m string) (RuleCondition, []string, error) {
	if c.Field == nil {
		return c, nil, invalid("A condition field must be specified")
	}
	if err := checkLen(c.Field, m+"field", 0, 64); err != nil {
		return c, nil, err
	}
	f := *c.Field
	configs := map[string]bool{
		"host-header": c.HostHeaderConfig != nil, "path-pattern": c.PathPatternConfig != nil,
		"http-header": c.HttpHeaderConfig != nil, "http-request-method": c.HttpRequestMethodConfig != nil,
		"query-string": c.QueryStringConfig != nil, "source-ip": c.SourceIpConfig != nil,
	}
	names := map[string]string{
		"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig", "http-header": "HttpHeaderConfig",
		"http-request-method": "HttpRequestMethodConfig", "query-string": "QueryStringConfig", "source-ip": "SourceIpConfig",
	}
	if _, ok := names[f]; !ok {
		return c, nil, invalid("Condition field '%s' must be one of '[%s]'", f, strings.Join(conditionFields, ","))
	}
	for _, other := range conditionFields {
		if other != f && configs[other] {
			return c, nil, invalid("A '%s' cannot be specified with '%s'", names[other], f)
		}
	}
	n := RuleCondition{Field: c.Field}
	switch f {
	case "host-header", "path-pattern":
		cfg := c.HostHeaderConfig
		re := hostValueRE
		if f == "path-pattern" {
			cfg, re = c.PathPatternConfig, pathValueRE
		}
		var vals []string
		switch {
		case c.Values != nil && cfg != nil:
			return c, nil, invalid("You cannot provide both Values and '%s' for a condition of type '%s'", names[f], f)
		case c.Values != nil:
			if len(c.Values) > 1 {
				return c, nil, invalid("The '%s' field contains too many values; the limit is '1'", f)
			}
			vals = c.Values
		case cfg != nil:
			vals = cfg.Values
		}
		if len(vals) == 0 {
			return c, nil, invalid("A condition value must be specified")
		}
		for _, v := range vals {
			if len(v) > 128 {
				return c, nil, invalid("The '%s' value is too long; the limit is '128'", f)
			}
			if !re.MatchString(v) {
				return c, nil, invalid("The '%s' value '%s' contains characters that are not allowed", f, v)
			}
		}
		n.Values = vals
		if f == "host-header" {
			n.HostHeaderConfig = &ValuesConfig{Values: vals}
		} else {
			n.PathPatternConfig = &ValuesConfig{Values: vals}
		}
		return n, vals, nil
	}
	if c.Values != nil {
		return c, nil, invalid("The 'Values' field is not compatible with '%s'", f)
	}
	if !configs[f] {
		return c, nil, invalid("A '%s' must be specified with '%s'", names[f], f)
	}
	switch f {
	case "http-header":
		h := c.HttpHeaderConfig
		if h.HttpHeaderName == nil || *h.HttpHeaderName == "" {
			return c, nil, invalid("A 'HttpHeaderName' must be specified in 'HttpHeaderConfig'")
		}
		if len(*h.HttpHeaderName) > 40 {
			return c, nil, invalid("The 'HttpHeaderName' value is too long; the limit is '40'")
		}
		if !headerNameRE.MatchString(*h.HttpHeaderName) {
			return c, nil, invalid("The 'HttpHeaderName' value '%s' is not a valid header name", *h.HttpHeaderName)
		}
		if len(h.Values) == 0 {
			return c, nil, invalid("A condition value must be specified")
		}
		for _, v := range h.Values {
			if len(v) > 128 {
				return c, nil, invalid("The 'http-header' value is too long; the limit is '128'")
			}
		}
		n.HttpHeaderConfig = &HttpHeaderConditionConfig{HttpHeaderName: h.HttpHeaderName, Values: h.Values}
		return n, h.Values, nil
	case "http-request-method":
		vals := c.HttpRequestMethodConfig.Values
		if len(vals) == 0 {
			return c, nil, invalid("A condition value must be specified")
		}
		for _, v := range vals {
			if len(v) > 40 {
				return c, nil, invalid("The 'http-request-method' value is too long; the limit is '40'")
			}
			if !methodValueRE.MatchString(v) {
				return c, nil, invalid("The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore")
			}
		}
		n.HttpRequestMethodConfig = &ValuesConfig{Values: vals}
		return n, vals, nil
	case "query-string":
		pairs := c.QueryStringConfig.Values
		if len(pairs) == 0 {
			return c, nil, invalid("A condition value must be specified")
		}
		var vals []string
		for _, p := range pairs {
			if p.Value == nil || *p.Value == "" {
				return c, nil, invalid("A 'Value' must be specified in 'QueryStringKeyValuePair'")
			}
			if len(deref(p.Key)) > 128 {
				return c, nil, invalid("The 'Key' value is too long; the limit is '128'")
			}
			if len(*p.Value) > 128 {
				return c, nil, invalid("The 'Value' value is too long; the limit is '128'")
			}
			vals = append(vals, deref(p.Key)+*p.Value)
		}
		n.QueryStringConfig = &QueryStringConditionConfig{Values: pairs}
		return n, vals, nil
	}
	// source-ip
	vals := c.SourceIpConfig.Values
	if len(vals) == 0 {
		return c, nil, invalid("A 'source-ip' value must be specified")
	}
	for _, v := range vals {
		if _, err := netip.ParsePrefix(v); err != nil {
			return c, nil, invalid("The 'source-ip' value '%s' is not a valid CIDR block", v)
		}
	}
	n.SourceIpConfig = &ValuesConfig{Values: vals}
	return n, vals, nil
}
