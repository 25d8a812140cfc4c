package lifecycle

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ECR checks a policy text against a JSON schema before it applies its own
// rules. decode walks the generic JSON tree with that schema's constraints and
// reports violations in the words of the JSON schema validator ECR uses
// ("object has missing required properties ([\"rules\"])", "instance failed to
// match exactly one schema (matched 0 out of 2)", ...), as seen in real ECR
// answers.

// unmappable is ECR's message for text that is not a JSON object it can map.
const unmappable = "Could not map policyString into LifecyclePolicy."

// oneOfCount is the message for a selection whose countType, countUnit pair
// fits neither the imageCountMoreThan nor the sinceImagePushed shape.
const oneOfCount = "instance failed to match exactly one schema (matched 0 out of 2)"

// failure returns a *ValidationError carrying ECR's lifecycle policy
// validation failure message for detail.
func failure(format string, args ...any) *ValidationError {
	detail := format
	if len(args) > 0 {
		detail = fmt.Sprintf(format, args...)
	}
	return &ValidationError{Message: "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: " +
		"'Lifecycle policy validation failure: " + detail + "'"}
}

// lengthError is ECR's message for a policy text of the wrong length.
func lengthError(relation string, limit int) *ValidationError {
	return &ValidationError{Message: fmt.Sprintf("Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: "+
		"'Member must have length %s %d'", relation, limit)}
}

// textLength is the length of s in characters, as the API's length
// constraint counts it.
func textLength(s string) int { return utf8.RuneCountInString(s) }

func countWildcards(pattern string) int { return strings.Count(pattern, "*") }

// decode parses text as JSON and checks it against the policy schema.
func decode(text string) (*Policy, *ValidationError) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, failure(unmappable)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, failure(unmappable)
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, failure(unmappable)
	}
	if verr := checkProperties(top, []string{"rules"}, nil); verr != nil {
		return nil, verr
	}
	items, verr := array(top["rules"])
	if verr != nil {
		return nil, verr
	}
	p := &Policy{Rules: make([]Rule, 0, len(items))}
	for _, item := range items {
		r, verr := decodeRule(item)
		if verr != nil {
			return nil, verr
		}
		p.Rules = append(p.Rules, r)
	}
	return p, nil
}

func decodeRule(v any) (Rule, *ValidationError) {
	var r Rule
	m, verr := object(v, []string{"action", "rulePriority", "selection"}, []string{"description"})
	if verr != nil {
		return r, verr
	}
	if r.RulePriority, verr = positiveInt(m["rulePriority"]); verr != nil {
		return r, verr
	}
	if d, ok := m["description"]; ok {
		if r.Description, verr = str(d); verr != nil {
			return r, verr
		}
	}
	if r.Selection, verr = decodeSelection(m["selection"]); verr != nil {
		return r, verr
	}
	a, verr := object(m["action"], []string{"type"}, nil)
	if verr != nil {
		return r, verr
	}
	r.Action.Type, verr = enum(a["type"], ActionExpire)
	return r, verr
}

func decodeSelection(v any) (Selection, *ValidationError) {
	var s Selection
	m, verr := object(v, []string{"countNumber", "countType", "tagStatus"},
		[]string{"countUnit", "tagPatternList", "tagPrefixList"})
	if verr != nil {
		return s, verr
	}
	if s.TagStatus, verr = enum(m["tagStatus"], TagStatusTagged, TagStatusUntagged, TagStatusAny); verr != nil {
		return s, verr
	}
	if l, ok := m["tagPrefixList"]; ok {
		if s.TagPrefixList, verr = stringList(l); verr != nil {
			return s, verr
		}
	}
	if l, ok := m["tagPatternList"]; ok {
		if s.TagPatternList, verr = stringList(l); verr != nil {
			return s, verr
		}
	}
	// countType and countUnit form a oneOf: imageCountMoreThan without a
	// countUnit, or sinceImagePushed with countUnit "days".
	countType, _ := m["countType"].(string)
	unit, hasUnit := m["countUnit"]
	switch {
	case countType == CountTypeImageCountMoreThan && !hasUnit:
	case countType == CountTypeSinceImagePushed && hasUnit && unit == CountUnitDays:
		s.CountUnit = CountUnitDays
	default:
		return s, failure(oneOfCount)
	}
	s.CountType = countType
	s.CountNumber, verr = positiveInt(m["countNumber"])
	return s, verr
}

// object checks that v is a JSON object with every required property and no
// property outside required and optional.
func object(v any, required, optional []string) (map[string]any, *ValidationError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, typeError(v, "object")
	}
	return m, checkProperties(m, required, optional)
}

func checkProperties(m map[string]any, required, optional []string) *ValidationError {
	var missing, extra []string
	for _, name := range required {
		if _, ok := m[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return failure("object has missing required properties (%s)", jsonList(missing))
	}
	for name := range m {
		if !slices.Contains(required, name) && !slices.Contains(optional, name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return failure("object instance has properties which are not allowed by the schema: %s", jsonList(extra))
	}
	return nil
}

// array checks that v is a non-empty JSON array.
func array(v any) ([]any, *ValidationError) {
	a, ok := v.([]any)
	if !ok {
		return nil, typeError(v, "array")
	}
	if len(a) == 0 {
		return nil, failure("array is too short: must have at least 1 elements but instance has 0 elements")
	}
	return a, nil
}

// stringList checks that v is a non-empty array of non-empty strings.
func stringList(v any) ([]string, *ValidationError) {
	items, verr := array(v)
	if verr != nil {
		return nil, verr
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		s, verr := str(item)
		if verr != nil {
			return nil, verr
		}
		if s == "" {
			return nil, failure(`string "" is too short (length: 0, required minimum: 1)`)
		}
		out = append(out, s)
	}
	return out, nil
}

func str(v any) (string, *ValidationError) {
	s, ok := v.(string)
	if !ok {
		return "", typeError(v, "string")
	}
	return s, nil
}

// enum checks that v is a string and one of values.
func enum(v any, values ...string) (string, *ValidationError) {
	s, verr := str(v)
	if verr != nil {
		return "", verr
	}
	if !slices.Contains(values, s) {
		return "", failure("instance value (%s) not found in enum (possible values: %s)", jsonText(s), jsonList(values))
	}
	return s, nil
}

// positiveInt checks that v is an integer of at least 1. An integer too large
// for ECR's 32-bit fields cannot be mapped at all.
func positiveInt(v any) (int, *ValidationError) {
	if jsonType(v) != "integer" {
		return 0, typeError(v, "integer")
	}
	n, err := strconv.ParseInt(string(v.(json.Number)), 10, 32)
	if err != nil {
		return 0, failure(unmappable)
	}
	if n < 1 {
		return 0, failure("numeric instance is lower than the required minimum (minimum: 1, found: %d)", n)
	}
	return int(n), nil
}

func typeError(v any, want string) *ValidationError {
	return failure("instance type (%s) does not match any allowed primitive type (allowed: [%q])", jsonType(v), want)
}

// jsonType names the JSON schema type of a value decoded with UseNumber.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "number"
		}
		return "integer"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// jsonText renders v as compact JSON without HTML escaping.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings and string slices always encode
	return strings.TrimSuffix(b.String(), "\n")
}

func jsonList(names []string) string { return jsonText(names) }
