package lb

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// The whole request path, measured through real loopback connections: a
// client that writes one fixed request and reads the fixed-size answer,
// and a target that answers every request head with the same bytes. Both
// allocate nothing, so allocs/op is the data plane's own.

const benchAnswer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"

// tinyTarget serves benchAnswer to every request (heads only, no bodies).
func tinyTarget(tb testing.TB) Target {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 16<<10)
				answer := []byte(benchAnswer)
				n := 0
				for {
					m, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += m
					for {
						i := bytes.Index(buf[:n], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if _, err := c.Write(answer); err != nil {
							return
						}
						n = copy(buf, buf[i+4:n])
					}
				}
			}()
		}
	}()
	return Target{ID: "tiny", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
}

// benchRules is n path-pattern rules that the benchmark's request does not
// match, before the default forward.
func benchRules(n int) []Rule {
	var rs []Rule
	for i := range n {
		rs = append(rs, Rule{Priority: i + 1, Conditions: []Condition{{Field: "path-pattern", Values: []string{fmt.Sprintf("/svc%d/*", i)}}},
			Actions: []Action{{Type: "fixed-response", FixedResponse: &FixedResponse{StatusCode: 404}}}})
	}
	return rs
}

// benchLB starts a data plane with rules rules and targets targets (the
// first is tiny, the rest copies of it under other IDs), health checks
// off the path, and returns a connected client's round trip.
func benchLB(tb testing.TB, rules, targets int) func() {
	tgt := tinyTarget(tb)
	var ts []Target
	for i := range targets {
		t := tgt
		t.ID = "i-" + strconv.Itoa(i)
		ts = append(ts, t)
	}
	port := freePortTB(tb)
	dp := New(Options{})
	tb.Cleanup(dp.Close)
	err := dp.Apply(&Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb", Listeners: []Listener{{ARN: "l", Port: port, Protocol: "HTTP",
			Rules: append(benchRules(rules), Rule{IsDefault: true, Actions: forward("tg")})}}}},
		TargetGroups: []TargetGroup{{ARN: "tg", HealthCheck: HealthCheck{Interval: time.Hour}, Targets: ts}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	req := []byte("GET /api/users?id=7 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	buf := make([]byte, 4096)
	return func() {
		if _, err := c.Write(req); err != nil {
			tb.Fatal(err)
		}
		n := 0
		for !bytes.HasSuffix(buf[:n], []byte("\r\n\r\nok\n")) {
			m, err := c.Read(buf[n:])
			if err != nil {
				tb.Fatal(err)
			}
			n += m
		}
	}
}

func freePortTB(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// BenchmarkProxyRequest: one request through the data plane, end to end,
// on one client connection.
func BenchmarkProxyRequest(b *testing.B) {
	for _, tc := range []struct{ rules, targets int }{{0, 2}, {100, 2}, {0, 1000}, {100, 1000}} {
		b.Run(fmt.Sprintf("rules=%d/targets=%d", tc.rules, tc.targets), func(b *testing.B) {
			roundTrip := benchLB(b, tc.rules, tc.targets)
			for range 2 * tc.targets { // every target connection dialled
				roundTrip()
			}
			b.ReportAllocs()
			for b.Loop() {
				roundTrip()
			}
		})
	}
}

// TestProxyRequestAllocs: forwarding a plain request allocates nothing in
// steady state, with 100 rules and 1,000 targets.
func TestProxyRequestAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("dials 1,000 target connections")
	}
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items on purpose")
	}
	roundTrip := benchLB(t, 100, 1000)
	for range 2000 {
		roundTrip()
	}
	if n := testing.AllocsPerRun(2000, roundTrip); n > 0.05 {
		t.Fatalf("%v allocations per request", n)
	}
}
