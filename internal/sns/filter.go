package sns

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// filterPolicy is a subscription's FilterPolicy, decoded: keys to arrays
// of conditions, nested objects (MessageBody scope) and "$or".
type filterPolicy map[string]any

// maxFilterPolicy is AWS's limit on a filter policy's size.
const maxFilterPolicy = 256 * 1024

// parseFilterPolicy decodes and validates a filter policy.
func parseFilterPolicy(s string) (filterPolicy, error) {
	if len(s) > maxFilterPolicy {
		return nil, invalid("FilterPolicy: Filter policy is too large")
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(s), &p); err != nil || p == nil {
		return nil, invalid("FilterPolicy: failed to parse JSON")
	}
	if err := checkFilterObject(p); err != nil {
		return nil, invalid("FilterPolicy: %v", err)
	}
	return p, nil
}

func checkFilterObject(p map[string]any) error {
	if len(p) == 0 {
		return fmt.Errorf("a filter policy must not be empty")
	}
	for k, v := range p {
		if _, isArr := v.([]any); k == "$or" && !isArr {
			return fmt.Errorf("$or must be an array of filter policies")
		}
		switch v := v.(type) {
		case map[string]any:
			if err := checkFilterObject(v); err != nil {
				return err
			}
		case []any:
			if len(v) == 0 {
				return fmt.Errorf("empty arrays are not allowed in the filter policy (key %s)", k)
			}
			for _, c := range v {
				if err := checkCondition(k, c); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("%s: filter policy values must be arrays or objects", k)
		}
	}
	return nil
}

func checkCondition(key string, c any) error {
	if key == "$or" {
		m, ok := c.(map[string]any)
		if !ok {
			return fmt.Errorf("$or must hold filter policy objects")
		}
		return checkFilterObject(m)
	}
	m, ok := c.(map[string]any)
	if !ok {
		if _, isArr := c.([]any); isArr {
			return fmt.Errorf("%s: nested arrays are not allowed", key)
		}
		return nil // a string, number, boolean or null to equal
	}
	if len(m) != 1 {
		return fmt.Errorf("%s: an operator object must have exactly one operator", key)
	}
	for op, arg := range m {
		if err := checkOperator(op, arg); err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
	}
	return nil
}

func checkOperator(op string, arg any) error {
	switch op {
	case "exists":
		if _, ok := arg.(bool); !ok {
			return fmt.Errorf("exists match pattern must be either true or false")
		}
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
		if _, ok := arg.(string); !ok {
			return fmt.Errorf("%s match pattern must be a string", op)
		}
	case "cidr":
		s, _ := arg.(string)
		if _, err := netip.ParsePrefix(s); err != nil {
			return fmt.Errorf("malformed CIDR %q", s)
		}
	case "anything-but":
		switch v := arg.(type) {
		case string, float64:
		case []any:
			for _, x := range v {
				switch x.(type) {
				case string, float64:
				default:
					return fmt.Errorf("anything-but list must hold strings or numbers")
				}
			}
		case map[string]any:
			if len(v) != 1 {
				return fmt.Errorf("anything-but takes one operator")
			}
			for inner, s := range v {
				if _, ok := s.(string); !ok || (inner != "prefix" && inner != "suffix") {
					return fmt.Errorf("anything-but takes prefix or suffix")
				}
			}
		default:
			return fmt.Errorf("anything-but takes a value, a list or prefix/suffix")
		}
	case "numeric":
		return checkNumeric(arg)
	default:
		return fmt.Errorf("unrecognized match type %s", op)
	}
	return nil
}

func checkNumeric(arg any) error {
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return fmt.Errorf("numeric takes one or two comparisons")
	}
	for i := 0; i < len(list); i += 2 {
		op, _ := list[i].(string)
		_, num := list[i+1].(float64)
		if !num || (op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=") {
			return fmt.Errorf("numeric comparisons are an operator (=, <, <=, >, >=) and a number")
		}
		if len(list) == 4 && (op == "=" || (i == 0 && op[0] != '>') || (i == 2 && op[0] != '<')) {
			return fmt.Errorf("a numeric range is a lower bound (> or >=) then an upper bound (< or <=)")
		}
	}
	return nil
}

// matches reports whether doc (message attributes or a JSON body) passes
// the policy: every key's conditions, any of each "$or".
func (p filterPolicy) matches(doc map[string]any) bool {
	for k, cond := range p {
		if k == "$or" {
			if !anyPolicy(cond.([]any), doc) {
				return false
			}
			continue
		}
		v, present := doc[k]
		switch cond := cond.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !filterPolicy(cond).matches(sub) {
				return false
			}
		case []any:
			if !anyCondition(cond, v, present) {
				return false
			}
		}
	}
	return true
}

func anyPolicy(alts []any, doc map[string]any) bool {
	for _, alt := range alts {
		if filterPolicy(alt.(map[string]any)).matches(doc) {
			return true
		}
	}
	return false
}

func anyCondition(conds []any, v any, present bool) bool {
	for _, c := range conds {
		if matchCondition(c, v, present) {
			return true
		}
	}
	return false
}

// matchCondition matches one condition against a value; an array value
// matches when one of its elements does.
func matchCondition(c, v any, present bool) bool {
	if m, ok := c.(map[string]any); ok {
		if e, ok := m["exists"]; ok {
			return present == e.(bool)
		}
	}
	if !present {
		return false
	}
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if matchCondition(c, x, true) {
				return true
			}
		}
		return false
	}
	m, ok := c.(map[string]any)
	if !ok {
		return c == v
	}
	for op, arg := range m {
		return matchOperator(op, arg, v)
	}
	return false
}

func matchOperator(op string, arg, v any) bool {
	s, isStr := v.(string)
	switch op {
	case "prefix":
		return isStr && strings.HasPrefix(s, arg.(string))
	case "suffix":
		return isStr && strings.HasSuffix(s, arg.(string))
	case "equals-ignore-case":
		return isStr && strings.EqualFold(s, arg.(string))
	case "wildcard":
		ok, _ := path.Match(strings.ReplaceAll(arg.(string), "?", `\?`), s)
		return isStr && ok
	case "cidr":
		ip, err := netip.ParseAddr(s)
		pfx, _ := netip.ParsePrefix(arg.(string))
		return isStr && err == nil && pfx.Contains(ip)
	case "numeric":
		n, ok := v.(float64)
		return ok && matchNumeric(arg.([]any), n)
	case "anything-but":
		return !anythingBut(arg, v)
	}
	return false
}

// anythingBut reports whether v is one of what anything-but excludes.
func anythingBut(arg, v any) bool {
	switch a := arg.(type) {
	case []any:
		for _, x := range a {
			if x == v {
				return true
			}
		}
		return false
	case map[string]any:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if p, ok := a["prefix"].(string); ok {
			return strings.HasPrefix(s, p)
		}
		return strings.HasSuffix(s, a["suffix"].(string))
	}
	return arg == v
}

func matchNumeric(list []any, n float64) bool {
	for i := 0; i < len(list); i += 2 {
		x := list[i+1].(float64)
		var ok bool
		switch list[i].(string) {
		case "=":
			ok = n == x
		case "<":
			ok = n < x
		case "<=":
			ok = n <= x
		case ">":
			ok = n > x
		case ">=":
			ok = n >= x
		}
		if !ok {
			return false
		}
	}
	return true
}
