// Command lbproxy is the load-balancer benchmark's helper (bench/lb.sh): it
// runs a tiny HTTP backend, or Tide's ALB data plane (package lb) in front
// of backends, so that the data plane is measured beside HAProxy and nginx
// on the same backends; it holds idle keep-alive connections open, and
// parses and summarises the runs.
//
//	lbproxy backend -listen 127.0.0.1:9001 [-ports 501]
//	lbproxy tide -port 9103 -backends 127.0.0.1:9001,127.0.0.1:9002 [-rules 100] [-cpuprofile F]
//	lbproxy tide -port 9104 -backends 127.0.0.1:9002-9501,127.0.0.1:9503-10002 -rules 100 -hc-interval 5s
//	lbproxy idle -n 10000 -url http://127.0.0.1:9103/
//	lbproxy freeport [-n 501]
//	lbproxy wrkparse FILE
//	lbproxy rss PID...
//	lbproxy summary -in results.txt
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tide/internal/lb"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: lbproxy backend|tide|idle|freeport|wrkparse|rss|summary [flags]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "backend":
		err = backend(ctx, args)
	case "tide":
		err = tide(ctx, args)
	case "idle":
		err = idle(ctx, args)
	case "freeport":
		err = freeport(args)
	case "wrkparse":
		err = wrkparse(args)
	case "rss":
		err = rss(args)
	case "summary":
		err = summary(args)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

// backend answers "ok\n" to every request, on -ports consecutive ports
// from -listen's.
func backend(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backend", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:9001", "address (the first port)")
	ports := fs.Int("ports", 1, "listen on this many consecutive ports")
	fs.Parse(args)
	host, p, err := net.SplitHostPort(*listen)
	if err != nil {
		return err
	}
	first, _ := strconv.Atoi(p)
	body := []byte("ok\n")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})}
	errc := make(chan error, *ports)
	for port := first; port < first+*ports; port++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case <-ctx.Done():
		return srv.Close()
	case err := <-errc:
		return err
	}
}

// tide runs the data plane: one listener, -rules path-pattern rules that
// the benchmark's requests do not match, then the default rule forwarding
// to one target group of every backend (ranges of ports allowed: one
// target each).
func tide(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tide", flag.ExitOnError)
	port := fs.Int("port", 9103, "listener port")
	backends := fs.String("backends", "127.0.0.1:9001,127.0.0.1:9002", "comma-separated backends; host:first-last for a range of ports")
	rules := fs.Int("rules", 0, "path-pattern rules before the default (none matches)")
	interval := fs.Duration("hc-interval", time.Second, "health check interval")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile here until stopped")
	fs.Parse(args)
	targets, err := parseBackends(*backends)
	if err != nil {
		return err
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var rs []lb.Rule
	for i := range *rules {
		rs = append(rs, lb.Rule{Priority: i + 1, Conditions: []lb.Condition{{Field: "path-pattern", Values: []string{fmt.Sprintf("/svc%d/*", i)}}},
			Actions: []lb.Action{{Type: "fixed-response", FixedResponse: &lb.FixedResponse{StatusCode: 404}}}})
	}
	rs = append(rs, lb.Rule{IsDefault: true, Actions: []lb.Action{{Type: "forward", TargetGroups: []lb.WeightedGroup{{ARN: "tg", Weight: 1}}}}})
	dp := lb.New(lb.Options{})
	defer dp.Close()
	err = dp.Apply(&lb.Config{
		LoadBalancers: []lb.LoadBalancer{{ARN: "lb", Listeners: []lb.Listener{{ARN: "l", Port: *port, Protocol: "HTTP", Rules: rs}}}},
		TargetGroups: []lb.TargetGroup{{ARN: "tg", Targets: targets,
			HealthCheck: lb.HealthCheck{Interval: *interval, Timeout: min(*interval/2, 5*time.Second), HealthyThreshold: 2, UnhealthyThreshold: 2}}},
	})
	if err != nil {
		return err
	}
	reportHealthy(ctx, dp, len(targets))
	<-ctx.Done()
	return nil
}

// reportHealthy logs once every target is healthy (bench/lb.sh waits for it).
func reportHealthy(ctx context.Context, dp *lb.DataPlane, n int) {
	start := time.Now()
	for ctx.Err() == nil {
		healthy := 0
		for _, h := range dp.TargetHealth("tg") {
			if h.State == lb.StateHealthy {
				healthy++
			}
		}
		if healthy == n {
			log.Printf("%d/%d targets healthy after %v", healthy, n, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func parseBackends(s string) ([]lb.Target, error) {
	var ts []lb.Target
	for _, b := range strings.Split(s, ",") {
		host, p, err := net.SplitHostPort(b)
		if err != nil {
			return nil, err
		}
		lo, hi, isRange := strings.Cut(p, "-")
		first, err1 := strconv.Atoi(lo)
		last := first
		var err2 error
		if isRange {
			last, err2 = strconv.Atoi(hi)
		}
		if err := errors.Join(err1, err2); err != nil || last < first {
			return nil, fmt.Errorf("backend %q: bad port or range", b)
		}
		for port := first; port <= last; port++ {
			ts = append(ts, lb.Target{ID: fmt.Sprintf("i-%d", len(ts)), Host: host, Port: port})
		}
	}
	return ts, nil
}

// freeport prints a port p such that p..p+n-1 were all free a moment ago.
func freeport(args []string) error {
	fs := flag.NewFlagSet("freeport", flag.ExitOnError)
	n := fs.Int("n", 1, "consecutive ports")
	fs.Parse(args)
	for try := 0; try < 200; try++ {
		base := 20000 + (os.Getpid()*7919+try*104729)%(30000-*n)
		var lns []net.Listener
		ok := true
		for p := base; p < base+*n && ok; p++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if ok = err == nil; ok {
				lns = append(lns, ln)
			}
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			fmt.Println(base)
			return nil
		}
	}
	return errors.New("no free port range found")
}
