package lb

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		fold   bool
		want   bool
	}{
		{"/api/*", "/api/users", false, true},
		{"/api/*", "/api", false, false},
		{"/api*", "/api", false, true},
		{"*.example.com", "www.example.com", true, true},
		{"*.example.com", "example.com", true, false},
		{"/img/?.png", "/img/a.png", false, true},
		{"/img/?.png", "/img/ab.png", false, false},
		{"*", "", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"/API/*", "/api/x", false, false},
		{"WWW.example.COM", "www.EXAMPLE.com", true, true},
	} {
		p := newPattern(tc.pat, tc.fold)
		if got := p.match(tc.s); got != tc.want {
			t.Errorf("%q ~ %q (fold %v) = %v, want %v", tc.pat, tc.s, tc.fold, got, tc.want)
		}
	}
}

func TestRuleConditions(t *testing.T) {
	req := httptest.NewRequest("POST", "http://shop.example.com:8080/api/v1/cart?version=2&debug", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 Mobile")
	src := netip.MustParseAddr("10.1.2.3")
	for _, tc := range []struct {
		name string
		c    Condition
		want bool
	}{
		{"path", Condition{Field: "path-pattern", Values: []string{"/other", "/api/*"}}, true},
		{"path miss", Condition{Field: "path-pattern", Values: []string{"/web/*"}}, false},
		{"host with port", Condition{Field: "host-header", Values: []string{"*.EXAMPLE.com"}}, true},
		{"header", Condition{Field: "http-header", HeaderName: "user-agent", Values: []string{"*mobile*"}}, true},
		{"header absent", Condition{Field: "http-header", HeaderName: "X-None", Values: []string{"*"}}, false},
		{"method", Condition{Field: "http-request-method", Values: []string{"GET", "POST"}}, true},
		{"method miss", Condition{Field: "http-request-method", Values: []string{"GET"}}, false},
		{"query", Condition{Field: "query-string", Query: []KeyValue{{Key: "version", Value: "2"}}}, true},
		{"query any key", Condition{Field: "query-string", Query: []KeyValue{{Value: "2"}}}, true},
		{"query miss", Condition{Field: "query-string", Query: []KeyValue{{Key: "version", Value: "3"}}}, false},
		{"source ip", Condition{Field: "source-ip", Values: []string{"192.168.0.0/16", "10.0.0.0/8"}}, true},
		{"source ip miss", Condition{Field: "source-ip", Values: []string{"192.168.0.0/16"}}, false},
	} {
		m := compileRule(Rule{Conditions: []Condition{tc.c}})
		v := viewOf(req)
		v.src = src
		if got := m.match(&v); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestMatchAllocatesNothing: the routing hot path allocates no memory.
func TestMatchAllocatesNothing(t *testing.T) {
	m := compileRule(Rule{Conditions: []Condition{
		{Field: "path-pattern", Values: []string{"/api/*"}},
		{Field: "host-header", Values: []string{"*.example.com"}},
		{Field: "http-header", HeaderName: "X-Env", Values: []string{"prod*"}},
	}})
	req := httptest.NewRequest("GET", "http://a.example.com/api/x", nil)
	req.Header.Set("X-Env", "production")
	v := viewOf(req)
	if n := testing.AllocsPerRun(1000, func() { m.match(&v) }); n != 0 {
		t.Fatalf("%v allocations per match", n)
	}
}

// BenchmarkRoute100Rules: the cost of routing through 100 rules to the last.
func BenchmarkRoute100Rules(b *testing.B) {
	var rules []compiledRule
	for i := range 100 {
		rules = append(rules, compiledRule{matcher: compileRule(Rule{Conditions: []Condition{
			{Field: "path-pattern", Values: []string{"/svc" + strings.Repeat("x", i%7) + "/" + string(rune('a'+i%26)) + "*"}},
			{Field: "host-header", Values: []string{"*.example.com"}},
		}})})
	}
	rules = append(rules, compiledRule{matcher: compileRule(Rule{IsDefault: true})})
	req := httptest.NewRequest("GET", "http://a.example.com/nomatch/path", nil)
	v := viewOf(req)
	b.ReportAllocs()
	for b.Loop() {
		for i := range rules {
			if rules[i].match(&v) {
				break
			}
		}
	}
}

// FuzzWildcard checks the matcher against a regular expression.
func FuzzWildcard(f *testing.F) {
	f.Add("/api/*", "/api/x", false)
	f.Add("a*?b", "axxb", true)
	f.Add("**?*", "", false)
	f.Fuzz(func(t *testing.T, pat, s string, fold bool) {
		if len(pat) > 64 || len(s) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString("(?s)^")
		if fold {
			re.WriteString("(?i)")
		}
		for i := 0; i < len(pat); i++ {
			switch pat[i] {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(pat[i])))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		// Byte-wise matching: '?' is one byte, and case folding is ASCII only.
		if !isASCII(pat) || !isASCII(s) {
			return
		}
		if got := newPattern(pat, fold).match(s); got != want {
			t.Fatalf("%q ~ %q fold=%v: %v, regexp says %v", pat, s, fold, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var _ http.Handler = http.HandlerFunc(nil)
