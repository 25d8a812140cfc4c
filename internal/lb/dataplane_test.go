package lb

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backend is a real HTTP server on loopback that names itself in replies.
type backend struct {
	name   string
	srv    *httptest.Server
	hits   atomic.Int64
	status atomic.Int32 // health check answer; 200 by default
	delay  atomic.Int64 // nanoseconds to wait before answering /slow
}

func newBackend(t *testing.T, name string) *backend {
	b := &backend{name: name}
	b.status.Store(200)
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			w.WriteHeader(int(b.status.Load()))
			return
		}
		b.hits.Add(1)
		if r.URL.Path == "/slow" {
			time.Sleep(time.Duration(b.delay.Load()))
		}
		fmt.Fprintf(w, "%s %s xff=%s proto=%s port=%s trace=%v host=%s", b.name, r.URL.Path,
			r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Port"),
			strings.HasPrefix(r.Header.Get("X-Amzn-Trace-Id"), "Root=1-"), r.Host)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) target(id string) Target {
	host, port, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return Target{ID: id, Host: host, Port: p}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var fastHC = HealthCheck{Path: "/health", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond, HealthyThreshold: 2, UnhealthyThreshold: 2}

func forward(tg string) []Action {
	return []Action{{Type: "forward", TargetGroups: []WeightedGroup{{ARN: tg, Weight: 1}}}}
}

func newDP(t *testing.T) *DataPlane {
	dp := New(Options{})
	t.Cleanup(dp.Close)
	return dp
}

func get(t *testing.T, url string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// waitHealthy waits until every target of tg is healthy.
func waitHealthy(t *testing.T, dp *DataPlane, tg string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		healthy := 0
		for _, h := range dp.TargetHealth(tg) {
			if h.State == StateHealthy {
				healthy++
			}
		}
		if healthy == n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("targets of %s not healthy: %v", tg, dp.TargetHealth(tg))
}

func TestRoutingAndActions(t *testing.T) {
	api, web := newBackend(t, "api"), newBackend(t, "web")
	dp := newDP(t)
	port := freePort(t)
	cfg := &Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb1", Listeners: []Listener{{ARN: "l1", Port: port, Protocol: "HTTP", Rules: []Rule{
			{Priority: 10, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/api/*"}}}, Actions: forward("tg-api")},
			{Priority: 20, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/teapot"}}}, Actions: []Action{{Type: "fixed-response", FixedResponse: &FixedResponse{StatusCode: 418, ContentType: "text/plain", Body: "short and stout"}}}},
			{Priority: 30, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/old/*"}}}, Actions: []Action{{Type: "redirect", Redirect: &Redirect{Path: "/new/#{path}", StatusCode: 301}}}},
			{IsDefault: true, Actions: forward("tg-web")},
		}}}}},
		TargetGroups: []TargetGroup{
			{ARN: "tg-api", HealthCheck: fastHC, Targets: []Target{api.target("i-api")}},
			{ARN: "tg-web", HealthCheck: fastHC, Targets: []Target{web.target("i-web")}},
		},
	}
	if err := dp.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg-api", 1)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for _, tc := range []struct{ path, want string }{{"/api/users", "api /api/users"}, {"/", "web /"}, {"/apix", "web /apix"}} {
		code, body, _ := get(t, base+tc.path)
		if code != 200 || !strings.HasPrefix(body, tc.want) {
			t.Errorf("GET %s: %d %q, want %q", tc.path, code, body, tc.want)
		}
	}
	code, body, _ := get(t, base+"/api/x")
	if !strings.Contains(body, "xff=127.0.0.1") || !strings.Contains(body, "proto=http") || !strings.Contains(body, "port="+strconv.Itoa(port)) || !strings.Contains(body, "trace=true") || !strings.Contains(body, "host=127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("forwarded headers: %d %q", code, body)
	}
	if code, body, _ := get(t, base+"/teapot"); code != 418 || body != "short and stout" {
		t.Errorf("fixed response: %d %q", code, body)
	}
	if code, _, h := get(t, base+"/old/a/b?x=1"); code != 301 || h.Get("Location") != "http://127.0.0.1:"+strconv.Itoa(port)+"/new/old/a/b?x=1" {
		t.Errorf("redirect: %d %q", code, h.Get("Location"))
	}
}

func TestELBErrors(t *testing.T) {
	b := newBackend(t, "b")
	dead := b.target("i-dead")
	dead.Port = freePort(t) // nothing listens
	port := freePort(t)
	dp := newDP(t)
	cfg := &Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb1", IdleTimeout: 300 * time.Millisecond, Listeners: []Listener{{ARN: "l1", Port: port, Rules: []Rule{
			{Priority: 1, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/empty"}}}, Actions: forward("tg-empty")},
			{Priority: 2, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/dead"}}}, Actions: forward("tg-dead")},
			{IsDefault: true, Actions: forward("tg-b")},
		}}}}},
		TargetGroups: []TargetGroup{
			{ARN: "tg-empty", HealthCheck: fastHC},
			{ARN: "tg-dead", HealthCheck: fastHC, Targets: []Target{dead}},
			{ARN: "tg-b", HealthCheck: fastHC, Targets: []Target{b.target("i-b")}},
		},
	}
	if err := dp.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if code, _, _ := get(t, base+"/empty"); code != 503 {
		t.Errorf("no targets: %d, want 503", code)
	}
	if code, _, _ := get(t, base+"/dead"); code != 502 { // unhealthy and refusing: fail open, then 502
		t.Errorf("dead target: %d, want 502", code)
	}
	b.delay.Store(int64(time.Second))
	if code, _, _ := get(t, base+"/slow"); code != 504 {
		t.Errorf("slow target: %d, want 504", code)
	}
	c := dp.Counters().LoadBalancers["lb1"]
	if c.ELB502 != 1 || c.ELB503 != 1 || c.ELB504 != 1 || c.RequestCount != 3 {
		t.Errorf("counters %+v", c)
	}
}

// TestHealthAndFailover: a target that fails its checks stops receiving
// requests within the unhealthy threshold; when all fail, ALB fails open.
func TestHealthAndFailover(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	port := freePort(t)
	dp := newDP(t)
	cfg := &Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb1", Listeners: []Listener{{ARN: "l1", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}}}}},
		TargetGroups:  []TargetGroup{{ARN: "tg", HealthCheck: fastHC, Targets: []Target{a.target("i-a"), b.target("i-b")}}},
	}
	if err := dp.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg", 2)
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/x"
	for range 10 {
		get(t, base)
	}
	if a.hits.Load() != 5 || b.hits.Load() != 5 {
		t.Errorf("round robin: a %d b %d", a.hits.Load(), b.hits.Load())
	}
	a.status.Store(500)
	waitHealthy(t, dp, "tg", 1)
	if h := dp.TargetHealth("tg")["i-a:"+strconv.Itoa(a.target("").Port)]; h.State != StateUnhealthy || h.Reason != "Target.ResponseCodeMismatch" {
		t.Errorf("a's health %+v", h)
	}
	a.hits.Store(0)
	for range 10 {
		get(t, base)
	}
	if a.hits.Load() != 0 {
		t.Errorf("unhealthy target got %d requests", a.hits.Load())
	}
	b.status.Store(500)
	waitHealthy(t, dp, "tg", 0)
	time.Sleep(150 * time.Millisecond)
	a.hits.Store(0)
	b.hits.Store(0)
	for range 10 {
		if code, _, _ := get(t, base); code != 200 {
			t.Fatalf("fail open: %d", code)
		}
	}
	if a.hits.Load() == 0 || b.hits.Load() == 0 {
		t.Errorf("fail open: a %d b %d", a.hits.Load(), b.hits.Load())
	}
}

// TestDraining: a deregistered target gets no new request, and one in
// flight completes within the delay.
func TestDraining(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	port := freePort(t)
	dp := newDP(t)
	mk := func(drainA bool) *Config {
		ta := a.target("i-a")
		if drainA {
			ta.Draining, ta.DrainDeadline = true, time.Now().Add(2*time.Second)
		}
		return &Config{
			LoadBalancers: []LoadBalancer{{ARN: "lb1", Listeners: []Listener{{ARN: "l1", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}}}}},
			TargetGroups:  []TargetGroup{{ARN: "tg", HealthCheck: fastHC, Algorithm: "least_outstanding_requests", Targets: []Target{ta, b.target("i-b")}}},
		}
	}
	if err := dp.Apply(mk(false)); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg", 2)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	a.delay.Store(int64(500 * time.Millisecond))
	b.delay.Store(int64(500 * time.Millisecond))
	// Two slow requests in flight: least outstanding puts one on each.
	var wg sync.WaitGroup
	results := make(chan string, 2)
	for range 2 {
		wg.Go(func() {
			code, body, _ := get(t, base+"/slow")
			results <- fmt.Sprint(code, " ", strings.Fields(body)[0])
		})
	}
	time.Sleep(150 * time.Millisecond)
	if err := dp.Apply(mk(true)); err != nil {
		t.Fatal(err)
	}
	a.hits.Store(0)
	a.delay.Store(0)
	b.delay.Store(0)
	for range 5 {
		get(t, base+"/fast")
	}
	if a.hits.Load() != 0 {
		t.Errorf("draining target got %d new requests", a.hits.Load())
	}
	wg.Wait()
	close(results)
	got := map[string]bool{}
	for r := range results {
		got[r] = true
	}
	if !got["200 a"] || !got["200 b"] {
		t.Errorf("in-flight requests: %v, want both to complete, one on each target", got)
	}
	if h := dp.TargetHealth("tg")["i-a:"+strconv.Itoa(a.target("").Port)]; h.State != StateDraining {
		t.Errorf("a's state %+v", h)
	}
}

func TestStickiness(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	port := freePort(t)
	dp := newDP(t)
	cfg := &Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb1", Listeners: []Listener{{ARN: "l1", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}}}}},
		TargetGroups: []TargetGroup{{ARN: "tg", HealthCheck: fastHC, Stickiness: Stickiness{Enabled: true, Type: "lb_cookie", Duration: time.Hour},
			Targets: []Target{a.target("i-a"), b.target("i-b")}}},
	}
	if err := dp.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg", 2)
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/x"
	_, body, h := get(t, base)
	first := strings.Fields(body)[0]
	var cookie string
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(c, "AWSALB=") {
			cookie = strings.SplitN(strings.TrimPrefix(c, "AWSALB="), ";", 2)[0]
		}
	}
	if cookie == "" {
		t.Fatalf("no AWSALB cookie: %v", h.Values("Set-Cookie"))
	}
	for range 6 {
		_, body, _ := get(t, base, "Cookie", "AWSALB="+cookie)
		if got := strings.Fields(body)[0]; got != first {
			t.Fatalf("sticky request went to %s, not %s", got, first)
		}
	}
}
