package lb

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// reqView is what rules read of a request: its method, host (without the
// port), decoded path, raw query, headers and source address. It is filled
// from net/http's Request or from the data plane's own HTTP/1.1 parser,
// whose strings point into the connection's read buffer.
type reqView struct {
	method, host, path, rawQuery string
	src                          netip.Addr
	std                          http.Header // headers when the request came through net/http
	raw                          []header    // otherwise
}

// viewOf returns the view of a request served by net/http.
func viewOf(r *http.Request) reqView {
	src, _ := netip.ParseAddrPort(r.RemoteAddr)
	return reqView{method: r.Method, host: stripPort(r.Host), path: r.URL.Path, rawQuery: r.URL.RawQuery, src: src.Addr().Unmap(), std: r.Header}
}

// stripPort removes a ":port" suffix from a Host header value.
func stripPort(host string) string {
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		return host[:i]
	}
	return host
}

// headerMatch reports whether some value of header name (canonical form)
// matches one of pats.
func (v *reqView) headerMatch(name string, pats []pattern) bool {
	if v.std != nil {
		for _, s := range v.std[name] {
			if anyMatch(pats, s) {
				return true
			}
		}
		return false
	}
	for i := range v.raw {
		if h := &v.raw[i]; strings.EqualFold(h.name, name) && anyMatch(pats, h.value) {
			return true
		}
	}
	return false
}

// A matcher decides whether a request satisfies one rule's conditions. Rules
// are compiled once per Config, so matching allocates nothing.
type matcher struct {
	conds []condMatcher
}

type condMatcher struct {
	field   string
	pats    []pattern      // path-pattern, host-header, http-header values
	header  string         // http-header name, canonical
	methods []string       // http-request-method
	query   []queryPattern // query-string
	nets    []netip.Prefix // source-ip
}

type queryPattern struct {
	key, value pattern
	anyKey     bool
}

// pattern is an ALB wildcard pattern: '*' matches any run of characters,
// '?' exactly one.
type pattern struct {
	s        string
	foldCase bool
	literal  bool // no wildcard: compare directly
}

func newPattern(s string, foldCase bool) pattern {
	if foldCase {
		s = strings.ToLower(s)
	}
	return pattern{s: s, foldCase: foldCase, literal: !strings.ContainsAny(s, "*?")}
}

// match reports whether v matches p.
func (p pattern) match(v string) bool {
	if p.literal {
		if p.foldCase {
			return strings.EqualFold(p.s, v)
		}
		return p.s == v
	}
	return wildcard(p.s, v, p.foldCase)
}

// wildcard matches s against pattern pat in linear time (the classic
// greedy algorithm with one backtrack point), without allocating.
func wildcard(pat, s string, fold bool) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(pat) && pat[pi] == '*' {
			star, mark = pi, si
			pi++
			continue
		}
		if pi < len(pat) && (pat[pi] == '?' || eqByte(pat[pi], s[si], fold)) {
			pi++
			si++
			continue
		}
		if star >= 0 {
			pi = star + 1
			mark++
			si = mark
			continue
		}
		return false
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}

func eqByte(p, c byte, fold bool) bool {
	if p == c {
		return true
	}
	if fold && 'A' <= c && c <= 'Z' {
		return p == c+('a'-'A')
	}
	return false
}

// compileRule builds the matcher of r's conditions.
func compileRule(r Rule) matcher {
	var m matcher
	for _, c := range r.Conditions {
		cm := condMatcher{field: c.Field}
		switch c.Field {
		case "path-pattern":
			for _, v := range c.Values {
				cm.pats = append(cm.pats, newPattern(v, false))
			}
		case "host-header":
			for _, v := range c.Values {
				cm.pats = append(cm.pats, newPattern(v, true))
			}
		case "http-header":
			cm.header = http.CanonicalHeaderKey(c.HeaderName)
			for _, v := range c.Values {
				cm.pats = append(cm.pats, newPattern(v, true))
			}
		case "http-request-method":
			cm.methods = c.Values
		case "query-string":
			for _, kv := range c.Query {
				cm.query = append(cm.query, queryPattern{key: newPattern(kv.Key, true), value: newPattern(kv.Value, true), anyKey: kv.Key == ""})
			}
		case "source-ip":
			for _, v := range c.Values {
				if p, err := netip.ParsePrefix(v); err == nil {
					cm.nets = append(cm.nets, p.Masked())
				}
			}
		}
		m.conds = append(m.conds, cm)
	}
	return m
}

// match reports whether req satisfies every condition.
func (m *matcher) match(req *reqView) bool {
	for i := range m.conds {
		if !m.conds[i].match(req) {
			return false
		}
	}
	return true
}

func (c *condMatcher) match(req *reqView) bool {
	switch c.field {
	case "path-pattern":
		return anyMatch(c.pats, req.path)
	case "host-header":
		return anyMatch(c.pats, req.host)
	case "http-header":
		return req.headerMatch(c.header, c.pats)
	case "http-request-method":
		for _, m := range c.methods {
			if m == req.method {
				return true
			}
		}
		return false
	case "query-string":
		return c.matchQuery(req.rawQuery)
	case "source-ip":
		for _, p := range c.nets {
			if p.Contains(req.src) {
				return true
			}
		}
		return false
	}
	return false
}

func anyMatch(ps []pattern, v string) bool {
	for _, p := range ps {
		if p.match(v) {
			return true
		}
	}
	return false
}

// matchQuery: one of the key/value pairs must be in the query string.
func (c *condMatcher) matchQuery(raw string) bool {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") {
			k, _ = url.QueryUnescape(k)
		}
		if strings.ContainsAny(v, "%+") {
			v, _ = url.QueryUnescape(v)
		}
		for _, q := range c.query {
			if (q.anyKey || q.key.match(k)) && q.value.match(v) {
				return true
			}
		}
	}
	return false
}
