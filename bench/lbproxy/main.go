// Command lbproxy is the load-balancer benchmark's helper: it runs a tiny
// HTTP backend, or Tide's ALB data plane (package lb) in front of backends,
// so that bench/lb.sh can measure the data plane beside HAProxy and nginx
// on the same backends.
//
//	lbproxy backend -listen 127.0.0.1:9001
//	lbproxy tide -port 9103 -backends 127.0.0.1:9001,127.0.0.1:9002 [-rules 100]
package main

import (
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
		log.Fatal("usage: lbproxy backend|tide [flags]")
	}
	switch os.Args[1] {
	case "backend":
		fs := flag.NewFlagSet("backend", flag.ExitOnError)
		listen := fs.String("listen", "127.0.0.1:9001", "address")
		fs.Parse(os.Args[2:])
		body := []byte("ok\n")
		log.Fatal(http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(body)
		})))
	case "tide":
		fs := flag.NewFlagSet("tide", flag.ExitOnError)
		port := fs.Int("port", 9103, "listener port")
		backends := fs.String("backends", "127.0.0.1:9001,127.0.0.1:9002", "comma-separated backends")
		rules := fs.Int("rules", 0, "path-pattern rules before the default (none matches)")
		cpuprof := fs.String("cpuprofile", "", "write a CPU profile here until stopped")
		fs.Parse(os.Args[2:])
		if *cpuprof != "" {
			f, err := os.Create(*cpuprof)
			if err != nil {
				log.Fatal(err)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		var targets []lb.Target
		for i, b := range strings.Split(*backends, ",") {
			host, p, err := net.SplitHostPort(b)
			if err != nil {
				log.Fatal(err)
			}
			n, _ := strconv.Atoi(p)
			targets = append(targets, lb.Target{ID: fmt.Sprintf("i-%d", i), Host: host, Port: n})
		}
		var rs []lb.Rule
		for i := range *rules {
			rs = append(rs, lb.Rule{Priority: i + 1, Conditions: []lb.Condition{{Field: "path-pattern", Values: []string{fmt.Sprintf("/svc%d/*", i)}}},
				Actions: []lb.Action{{Type: "fixed-response", FixedResponse: &lb.FixedResponse{StatusCode: 404}}}})
		}
		rs = append(rs, lb.Rule{IsDefault: true, Actions: []lb.Action{{Type: "forward", TargetGroups: []lb.WeightedGroup{{ARN: "tg", Weight: 1}}}}})
		dp := lb.New(lb.Options{})
		err := dp.Apply(&lb.Config{
			LoadBalancers: []lb.LoadBalancer{{ARN: "lb", Listeners: []lb.Listener{{ARN: "l", Port: *port, Protocol: "HTTP", Rules: rs}}}},
			TargetGroups: []lb.TargetGroup{{ARN: "tg", Targets: targets,
				HealthCheck: lb.HealthCheck{Interval: time.Second, Timeout: 500 * time.Millisecond, HealthyThreshold: 2, UnhealthyThreshold: 2}}},
		})
		if err != nil {
			log.Fatal(err)
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		dp.Close()
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}
