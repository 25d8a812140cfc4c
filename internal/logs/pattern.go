package logs

import (
	"strings"
)

// parsePattern compiles the part of CloudWatch Logs' filter pattern syntax
// for unstructured events that Tide supports:
//
//	ERROR                every term must occur in the message
//	"disk full"          a quoted phrase is one term, spaces and all
//	?ERROR ?WARN         at least one of the ?-terms must occur
//	ERROR -DEBUG         no -term may occur
//
// Matching is case-sensitive, on substrings, as AWS's is. An empty pattern
// (or none) matches every event. A term with punctuation matches as
// written even unquoted ("line-2"), where AWS asks for quotes. JSON
// ({ $.x = 1 }), space-delimited ([ip, user, ...]) and regular-expression
// (%...%) patterns are refused.
func parsePattern(p *string) (func(string) bool, error) {
	if p == nil || strings.TrimSpace(*p) == "" {
		return func(string) bool { return true }, nil
	}
	src := strings.TrimSpace(*p)
	if src[0] == '{' || src[0] == '[' || src[0] == '%' {
		return nil, invalid("Invalid filter pattern: Tide supports terms, quoted phrases, ?terms and -terms; JSON, space-delimited and regular-expression patterns are not supported.")
	}
	var all, anyOf, none []string
	for src != "" {
		op := byte(0)
		if src[0] == '?' || src[0] == '-' {
			op, src = src[0], src[1:]
		}
		var term string
		if strings.HasPrefix(src, `"`) {
			var ok bool
			if term, src, ok = quoted(src); !ok {
				return nil, invalid("Invalid filter pattern: unterminated quoted phrase.")
			}
		} else {
			end := strings.IndexAny(src, " \t")
			if end < 0 {
				end = len(src)
			}
			term, src = src[:end], src[end:]
		}
		src = strings.TrimLeft(src, " \t")
		if term == "" {
			if op != 0 {
				return nil, invalid("Invalid filter pattern: %c must be followed by a term.", op)
			}
			continue
		}
		switch op {
		case '?':
			anyOf = append(anyOf, term)
		case '-':
			none = append(none, term)
		default:
			all = append(all, term)
		}
	}
	return func(msg string) bool {
		for _, t := range all {
			if !strings.Contains(msg, t) {
				return false
			}
		}
		for _, t := range none {
			if strings.Contains(msg, t) {
				return false
			}
		}
		if len(anyOf) == 0 {
			return true
		}
		for _, t := range anyOf {
			if strings.Contains(msg, t) {
				return true
			}
		}
		return false
	}, nil
}

// quoted reads a double-quoted phrase at the start of s, with \" and \\
// escapes, and returns it and the rest of s.
func quoted(s string) (term, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}
