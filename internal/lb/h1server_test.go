package lb

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoBackend answers every request with what it received: method, URI,
// the headers it got and the body.
func echoBackend(t *testing.T) (*httptest.Server, *atomic.Int64) {
	conns := &atomic.Int64{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-URI", r.RequestURI)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Len", strconv.FormatInt(r.ContentLength, 10))
		w.Header().Set("X-TE", strings.Join(r.TransferEncoding, ","))
		for k, v := range r.Header {
			w.Header()["X-Got-"+k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns
}

// rawBackend is a target that answers each request with the bytes answer
// returns, then closes the connection if closeAfter says so.
func rawBackend(t *testing.T, answer func(r *http.Request) (resp string, closeAfter bool)) Target {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					resp, closeAfter := answer(r)
					if _, err := io.WriteString(c, resp); err != nil || closeAfter {
						return
					}
				}
			}()
		}
	}()
	return Target{ID: "raw", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
}

// lbTo starts a data plane whose one listener forwards everything to tgt
// (health checks off the request path) and returns its port.
func lbTo(t *testing.T, tgt Target, idle time.Duration, extra ...Rule) int {
	t.Helper()
	port := freePort(t)
	dp := newDP(t)
	rules := append(extra, Rule{IsDefault: true, Actions: forward("tg")})
	err := dp.Apply(&Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb", IdleTimeout: idle, Listeners: []Listener{{ARN: "l", Port: port, Protocol: "HTTP", Rules: rules}}}},
		TargetGroups:  []TargetGroup{{ARN: "tg", HealthCheck: HealthCheck{Path: "/", Interval: time.Hour}, Targets: []Target{tgt}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func httpTarget(srv *httptest.Server) Target {
	return Target{ID: "t", Host: "127.0.0.1", Port: srv.Listener.Addr().(*net.TCPAddr).Port}
}

type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialLB(t *testing.T, port int) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawClient) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// read reads one response (to a request with method), body included.
func (rc *rawClient) read(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp, string(body)
}

// closed reports whether the load balancer closed the connection.
func (rc *rawClient) closed() bool {
	rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := rc.br.ReadByte()
	return err == io.EOF
}

func TestLoopRequests(t *testing.T) {
	srv, _ := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 0)
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	for _, tc := range []struct {
		name, req, method string
		check             func(t *testing.T, resp *http.Response, body string)
	}{
		{"get", "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n", "GET", func(t *testing.T, resp *http.Response, body string) {
			h := resp.Header
			if h.Get("X-URI") != "/a/b?c=d" || h.Get("X-Host") != "example.com" || h.Get("X-Got-X-Forwarded-For") != "10.0.0.1, 127.0.0.1" ||
				h.Get("X-Got-X-Forwarded-Proto") != "http" || h.Get("X-Got-X-Forwarded-Port") != strconv.Itoa(port) || !strings.HasPrefix(h.Get("X-Got-X-Amzn-Trace-Id"), "Root=1-") {
				t.Errorf("forwarded %v", h)
			}
		}},
		{"post", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", "POST", func(t *testing.T, resp *http.Response, body string) {
			if body != "hello" || resp.Header.Get("X-Len") != "5" {
				t.Errorf("body %q, length %s", body, resp.Header.Get("X-Len"))
			}
		}},
		{"post empty", "POST /p HTTP/1.1\r\nHost: h\r\n\r\n", "POST", func(t *testing.T, resp *http.Response, body string) {
			if body != "" || resp.Header.Get("X-Len") != "0" {
				t.Errorf("body %q, length %s", body, resp.Header.Get("X-Len"))
			}
		}},
		{"large body", "PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: " + strconv.Itoa(len(big)) + "\r\n\r\n" + big, "PUT", func(t *testing.T, resp *http.Response, body string) {
			if body != big {
				t.Errorf("body of %d bytes came back as %d", len(big), len(body))
			}
		}},
		{"head", "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD", func(t *testing.T, resp *http.Response, body string) {
			if resp.StatusCode != 200 || body != "" || resp.Header.Get("X-Method") != "HEAD" {
				t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
			}
		}},
		{"hop-by-hop", "GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Private\r\nX-Private: secret\r\nTE: trailers\r\nKeep-Alive: 5\r\nX-Public: ok\r\n\r\n", "GET", func(t *testing.T, resp *http.Response, body string) {
			h := resp.Header
			if h.Get("X-Got-X-Private") != "" || h.Get("X-Got-Te") != "" || h.Get("X-Got-Keep-Alive") != "" || h.Get("X-Got-Connection") != "" || h.Get("X-Got-X-Public") != "ok" {
				t.Errorf("forwarded %v", h)
			}
		}},
		{"escaped path", "GET /a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n", "GET", func(t *testing.T, resp *http.Response, body string) {
			if resp.Header.Get("X-URI") != "/a%2Fb" {
				t.Errorf("URI %q", resp.Header.Get("X-URI"))
			}
		}},
		// Handed over to net/http:
		{"chunked request", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "POST", func(t *testing.T, resp *http.Response, body string) {
			if body != "hello world" {
				t.Errorf("body %q", body)
			}
		}},
		{"large head", "GET /l HTTP/1.1\r\nHost: h\r\nCookie: " + strings.Repeat("c", 20<<10) + "\r\n\r\n", "GET", func(t *testing.T, resp *http.Response, body string) {
			if len(resp.Header.Get("X-Got-Cookie")) != 20<<10 {
				t.Errorf("cookie of %d bytes", len(resp.Header.Get("X-Got-Cookie")))
			}
		}},
		{"bare LF", "GET /lf HTTP/1.1\nHost: h\n\n", "GET", func(t *testing.T, resp *http.Response, body string) {
			if resp.StatusCode != 200 || resp.Header.Get("X-URI") != "/lf" {
				t.Errorf("%d %v", resp.StatusCode, resp.Header)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialLB(t, port)
			// Twice on one connection: the first answer must leave it usable.
			for range 2 {
				rc.send(tc.req)
				resp, body := rc.read(tc.method)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				tc.check(t, resp, body)
			}
		})
	}
}

func TestLoopPipelining(t *testing.T) {
	srv, _ := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 0)
	rc := dialLB(t, port)
	var all strings.Builder
	for i := range 20 {
		fmt.Fprintf(&all, "POST /%d HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%d", i, len(strconv.Itoa(i)), i)
	}
	rc.send(all.String())
	for i := range 20 {
		resp, body := rc.read("POST")
		if resp.Header.Get("X-URI") != "/"+strconv.Itoa(i) || body != strconv.Itoa(i) {
			t.Fatalf("answer %d: %s %q", i, resp.Header.Get("X-URI"), body)
		}
	}
}

func TestLoopConnectionHandling(t *testing.T) {
	srv, _ := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 0)
	t.Run("close", func(t *testing.T) {
		rc := dialLB(t, port)
		rc.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
		if resp, _ := rc.read("GET"); !resp.Close {
			t.Errorf("no Connection: close in the answer")
		}
		if !rc.closed() {
			t.Errorf("connection left open")
		}
	})
	t.Run("http/1.0", func(t *testing.T) {
		rc := dialLB(t, port)
		rc.send("GET /old HTTP/1.0\r\n\r\n")
		if resp, _ := rc.read("GET"); resp.StatusCode != 200 || resp.Header.Get("X-URI") != "/old" {
			t.Errorf("%d %v", resp.StatusCode, resp.Header)
		}
		if !rc.closed() {
			t.Errorf("connection left open")
		}
	})
	t.Run("expect continue", func(t *testing.T) {
		rc := dialLB(t, port)
		rc.send("PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
		if resp, _ := rc.read("PUT"); resp.StatusCode != 100 {
			t.Fatalf("status %d, want 100 Continue", resp.StatusCode)
		}
		rc.send("data")
		if resp, body := rc.read("PUT"); resp.StatusCode != 200 || body != "data" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("smuggling", func(t *testing.T) {
		rc := dialLB(t, port)
		rc.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp, _ := rc.read("POST"); resp.StatusCode != 400 {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
		if !rc.closed() {
			t.Errorf("connection left open")
		}
	})
	t.Run("invalid header", func(t *testing.T) {
		rc := dialLB(t, port)
		rc.send("GET / HTTP/1.1\r\nHost: h\r\nX-Bad: a\x00b\r\n\r\n")
		if resp, _ := rc.read("GET"); resp.StatusCode != 400 {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("missing host", func(t *testing.T) {
		rc := dialLB(t, port)
		rc.send("GET / HTTP/1.1\r\n\r\n")
		if resp, _ := rc.read("GET"); resp.StatusCode != 400 {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

// TestLoopResponseFraming: whatever framing the target uses, the client
// gets the same body in HTTP/1.1 framing, and the target connection is
// reused only when the response ended cleanly.
func TestLoopResponseFraming(t *testing.T) {
	tgt := rawBackend(t, func(r *http.Request) (string, bool) {
		switch r.URL.Path {
		case "/chunked":
			return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5\r\nhello\r\n7;ext=x\r\n, world\r\n0\r\nX-T: 1\r\n\r\n", false
		case "/eof":
			return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true
		case "/http10":
			return "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nold ok", true
		case "/nocontent":
			return "HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n", false
		case "/continue":
			return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false
		case "/badheader":
			return "HTTP/1.1 200 OK\r\nX Bad: y\r\nContent-Length: 2\r\n\r\nok", true
		case "/garbage":
			return "SSH-2.0\r\n\r\n", true
		case "/truncated":
			return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true
		case "/hop":
			return "HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-Keep: 1\r\nContent-Length: 2\r\n\r\nok", false
		}
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false
	})
	port := lbTo(t, tgt, 0)
	for _, tc := range []struct {
		path       string
		status     int
		body       string
		clientGone bool // the client connection ends (the answer was cut)
	}{
		{path: "/chunked", status: 200, body: "hello, world"},
		{path: "/eof", status: 200, body: "until the end"},
		{path: "/http10", status: 200, body: "old ok"},
		{path: "/nocontent", status: 204},
		{path: "/continue", status: 201, body: "ok"},
		{path: "/hop", status: 200, body: "ok"},
		{path: "/badheader", status: 502, body: elbErrorBody(502)},
		{path: "/garbage", status: 502, body: elbErrorBody(502)},
		{path: "/truncated", clientGone: true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rc := dialLB(t, port)
			rc.send("GET " + tc.path + " HTTP/1.1\r\nHost: h\r\n\r\n")
			if tc.clientGone {
				resp, err := http.ReadResponse(rc.br, nil)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
				}
				if err == nil {
					t.Fatalf("a cut answer arrived whole")
				}
				return
			}
			resp, body := rc.read("GET")
			if resp.StatusCode != tc.status || body != tc.body {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
			if tc.path == "/hop" && (resp.Header.Get("X-Hop") != "" || resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("X-Keep") != "1") {
				t.Errorf("hop-by-hop headers forwarded: %v", resp.Header)
			}
			// The client connection stays usable.
			rc.send("GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
			if resp, body := rc.read("GET"); resp.StatusCode != 200 || body != "ok" {
				t.Errorf("next request: %d %q", resp.StatusCode, body)
			}
		})
	}
}

// TestLoopReuseAndRetry: one client connection's requests share a target
// connection; when the target closes it while idle, a bodyless request is
// retried on a new one.
func TestLoopReuseAndRetry(t *testing.T) {
	srv, conns := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 0)
	rc := dialLB(t, port)
	for range 50 {
		rc.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		rc.read("GET")
	}
	if n := conns.Load(); n > 2 { // one for the health check
		t.Errorf("%d target connections for 50 sequential requests", n)
	}
	var served atomic.Int64
	tgt := rawBackend(t, func(*http.Request) (string, bool) {
		served.Add(1)
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true // closes without saying so
	})
	port = lbTo(t, tgt, 0)
	rc = dialLB(t, port)
	for i := range 5 {
		rc.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		if resp, body := rc.read("GET"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(10 * time.Millisecond) // let the close arrive
	}
}

func TestLoopFixedResponseWithBody(t *testing.T) {
	srv, _ := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 0, Rule{Priority: 1, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/fixed"}}},
		Actions: []Action{{Type: "fixed-response", FixedResponse: &FixedResponse{StatusCode: 200, Body: "<html>fixed</html>"}}}})
	rc := dialLB(t, port)
	rc.send("POST /fixed HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
	resp, body := rc.read("POST")
	if resp.StatusCode != 200 || body != "<html>fixed</html>" || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Server") != "awselb/2.0" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	rc.send("GET /after HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := rc.read("GET"); resp.Header.Get("X-URI") != "/after" {
		t.Errorf("next request: %v", resp.Header)
	}

	// Too large a body to read through: the answer says the connection
	// closes, and arrives whole while the client is still sending.
	rc = dialLB(t, port)
	const size = 8 << 20
	go func() {
		io.WriteString(rc.c, "POST /fixed HTTP/1.1\r\nHost: h\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
		rc.c.Write(make([]byte, size))
	}()
	if resp, body := rc.read("POST"); resp.StatusCode != 200 || !resp.Close || body != "<html>fixed</html>" {
		t.Errorf("large body: %d close=%v %q", resp.StatusCode, resp.Close, body)
	}
}

// TestLoopIdleTimeout: a client connection idle for the load balancer's
// idle timeout is closed.
func TestLoopIdleTimeout(t *testing.T) {
	srv, _ := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 200*time.Millisecond)
	rc := dialLB(t, port)
	rc.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	rc.read("GET")
	start := time.Now()
	if !rc.closed() {
		t.Fatal("idle connection left open")
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("closed after %v, want about 200ms", d)
	}
	// A head that never completes is cut at the same timeout.
	rc = dialLB(t, port)
	rc.send("GET / HTTP/1.1\r\nHost: h\r\n")
	if !rc.closed() {
		t.Fatal("half-sent request left open")
	}
}

// TestLoopUnbind: removing a listener closes its idle connections and lets
// a request in flight finish.
func TestLoopUnbind(t *testing.T) {
	b := newBackend(t, "b")
	port := freePort(t)
	dp := newDP(t)
	cfg := func(listeners ...Listener) *Config {
		return &Config{LoadBalancers: []LoadBalancer{{ARN: "lb", Listeners: listeners}},
			TargetGroups: []TargetGroup{{ARN: "tg", HealthCheck: fastHC, Targets: []Target{b.target("i-b")}}}}
	}
	if err := dp.Apply(cfg(Listener{ARN: "l", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}})); err != nil {
		t.Fatal(err)
	}
	idle, busy := dialLB(t, port), dialLB(t, port)
	idle.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	idle.read("GET")
	b.delay.Store(int64(300 * time.Millisecond))
	busy.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(100 * time.Millisecond)
	if err := dp.Apply(cfg()); err != nil {
		t.Fatal(err)
	}
	if !idle.closed() {
		t.Error("idle connection left open")
	}
	if resp, body := busy.read("GET"); resp.StatusCode != 200 || !strings.HasPrefix(body, "b /slow") {
		t.Errorf("in-flight request: %d %q", resp.StatusCode, body)
	}
	if !busy.closed() {
		t.Error("connection left open after its last answer")
	}
	if _, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		t.Error("listener still accepting")
	}
}

// TestLoopRedirectAndHead: the loop's own answers honour HEAD.
func TestLoopRedirectAndHead(t *testing.T) {
	srv, _ := echoBackend(t)
	port := lbTo(t, httpTarget(srv), 0, Rule{Priority: 1, Conditions: []Condition{{Field: "path-pattern", Values: []string{"/old/*"}}},
		Actions: []Action{{Type: "redirect", Redirect: &Redirect{Protocol: "HTTPS", Port: "443", Path: "/new/#{path}", StatusCode: 301}}}})
	rc := dialLB(t, port)
	rc.send("HEAD /old/x?y=1 HTTP/1.1\r\nHost: shop.example.com:8080\r\n\r\n")
	resp, body := rc.read("HEAD")
	if resp.StatusCode != 301 || body != "" || resp.Header.Get("Location") != "https://shop.example.com/new/old/x?y=1" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	rc.send("GET /old/z HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp, _ := rc.read("GET"); resp.Header.Get("Location") != "https://h/new/old/z" || !bytes.Equal([]byte(resp.Header.Get("Content-Length")), []byte("0")) {
		t.Errorf("%v", resp.Header)
	}
}

// TestLoopDrainDeadline: when a draining target's deadline passes, the
// request still in flight to it ends with a 504.
func TestLoopDrainDeadline(t *testing.T) {
	b := newBackend(t, "b")
	port := freePort(t)
	dp := newDP(t)
	mk := func(deadline time.Time) *Config {
		tgt := b.target("i-b")
		tgt.Draining, tgt.DrainDeadline = !deadline.IsZero(), deadline
		return &Config{
			LoadBalancers: []LoadBalancer{{ARN: "lb", Listeners: []Listener{{ARN: "l", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}}}}},
			TargetGroups:  []TargetGroup{{ARN: "tg", HealthCheck: fastHC, Targets: []Target{tgt}}},
		}
	}
	if err := dp.Apply(mk(time.Time{})); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg", 1)
	b.delay.Store(int64(1500 * time.Millisecond))
	rc := dialLB(t, port)
	rc.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := dp.Apply(mk(start.Add(200 * time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	resp, _ := rc.read("GET")
	if d := time.Since(start); resp.StatusCode != 504 || d > time.Second {
		t.Errorf("in-flight request ended with %d after %v, want 504 at the deadline", resp.StatusCode, d)
	}
	if h := dp.TargetHealth("tg")["i-b:"+strconv.Itoa(b.target("").Port)]; h.State != StateDraining {
		t.Errorf("state %+v", h)
	}
}
