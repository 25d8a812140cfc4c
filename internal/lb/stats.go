package lb

import (
	"fmt"
	"io"
	"math/bits"
	"sort"
	"sync/atomic"
	"time"
)

// lbStats counts a load balancer's requests (AWS/ApplicationELB per
// LoadBalancer); counters only grow, consumers take differences.
type lbStats struct {
	requests atomic.Int64
	elb5xx   [4]atomic.Int64 // 502, 503, 504, other 5XX the load balancer answered
}

// countError counts an error the load balancer answered itself.
func (s *lbStats) countError(code int) {
	switch code {
	case 502:
		s.elb5xx[0].Add(1)
	case 503:
		s.elb5xx[1].Add(1)
	case 504:
		s.elb5xx[2].Add(1)
	}
}

// tgStats counts a target group's requests and its targets' answers.
type tgStats struct {
	requests  atomic.Int64
	codes     [4]atomic.Int64 // target 2XX, 3XX, 4XX, 5XX
	respNanos atomic.Int64    // sum of TargetResponseTime
	respCount atomic.Int64
	respHist  [LatencyBuckets]atomic.Int64 // TargetResponseTime by LatencyBucket
}

func (s *tgStats) observe(code int, d time.Duration) {
	if i := code/100 - 2; i >= 0 && i < 4 {
		s.codes[i].Add(1)
	}
	s.respNanos.Add(int64(d))
	s.respCount.Add(1)
	s.respHist[LatencyBucket(d)].Add(1)
}

// LatencyBuckets is the number of buckets of the response-time histogram:
// microseconds 0-3 exactly, then four buckets per power of two (each under
// 25% wide) up to 2^32 µs, about 72 minutes.
const LatencyBuckets = 4 + 30*4

// LatencyBucket returns the histogram bucket of d.
func LatencyBucket(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < 4 {
		return int(us)
	}
	e := bits.Len64(us) - 1 // 2 or more
	i := 4 + (e-2)*4 + int((us>>(e-2))&3)
	return min(i, LatencyBuckets-1)
}

// LatencyBucketValue returns the middle of bucket i.
func LatencyBucketValue(i int) time.Duration {
	if i < 4 {
		return time.Duration(i) * time.Microsecond
	}
	e, m := (i-4)/4+2, uint64((i-4)%4)
	lo, hi := (4+m)<<(e-2), (5+m)<<(e-2)
	return time.Duration(lo+hi) * time.Microsecond / 2
}

func (dp *DataPlane) lbStatsFor(arn string) *lbStats {
	s := dp.lbStats[arn]
	if s == nil {
		s = &lbStats{}
		dp.lbStats[arn] = s
	}
	return s
}

func (dp *DataPlane) tgStatsFor(arn string) *tgStats {
	s := dp.tgStats[arn]
	if s == nil {
		s = &tgStats{}
		dp.tgStats[arn] = s
	}
	return s
}

// Counters is a snapshot of the data plane's counters and gauges.
type Counters struct {
	LoadBalancers map[string]LBCounters
	TargetGroups  map[string]TGCounters
}

// LBCounters are one load balancer's totals since the server started.
type LBCounters struct {
	RequestCount                   int64
	ELB502, ELB503, ELB504, ELB5XX int64
	ActiveConnectionCount          int64
}

// TGCounters are one target group's totals and current gauges.
type TGCounters struct {
	RequestCount                               int64
	Target2XX, Target3XX, Target4XX, Target5XX int64
	TargetResponseTimeSum                      time.Duration
	TargetResponses                            int64
	TargetResponseTimes                        [LatencyBuckets]int64 // counts by LatencyBucket
	HealthyHostCount, UnHealthyHostCount       int
	RegisteredHostCount                        int // not draining
	LoadBalancerARN                            string
}

// Counters returns the current counters.
func (dp *DataPlane) Counters() Counters {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	c := Counters{LoadBalancers: map[string]LBCounters{}, TargetGroups: map[string]TGCounters{}}
	for arn, s := range dp.lbStats {
		c.LoadBalancers[arn] = LBCounters{RequestCount: s.requests.Load(), ELB502: s.elb5xx[0].Load(), ELB503: s.elb5xx[1].Load(), ELB504: s.elb5xx[2].Load(), ELB5XX: s.elb5xx[3].Load()}
	}
	tbl := dp.table.Load()
	lbOf := map[string]string{} // target group ARN -> the load balancer forwarding to it
	for _, l := range tbl.byPort {
		for _, r := range l.rules {
			for _, wg := range r.action.TargetGroups {
				lbOf[wg.ARN] = l.lbARN
			}
		}
	}
	for _, bl := range dp.listeners {
		if l := tbl.byPort[bl.port]; l != nil {
			lc := c.LoadBalancers[l.lbARN]
			lc.ActiveConnectionCount += bl.open.Load()
			c.LoadBalancers[l.lbARN] = lc
		}
	}
	for arn, s := range dp.tgStats {
		tc := TGCounters{RequestCount: s.requests.Load(), Target2XX: s.codes[0].Load(), Target3XX: s.codes[1].Load(), Target4XX: s.codes[2].Load(), Target5XX: s.codes[3].Load(),
			TargetResponseTimeSum: time.Duration(s.respNanos.Load()), TargetResponses: s.respCount.Load()}
		for i := range s.respHist {
			tc.TargetResponseTimes[i] = s.respHist[i].Load()
		}
		tc.LoadBalancerARN = lbOf[arn]
		if g := tbl.groups[arn]; g != nil {
			for _, t := range g.targets {
				h, _, _ := t.snapshot()
				switch h.State {
				case StateHealthy:
					tc.HealthyHostCount++
				case StateUnhealthy:
					tc.UnHealthyHostCount++
				}
				if h.State != StateDraining {
					tc.RegisteredHostCount++
				}
			}
		}
		c.TargetGroups[arn] = tc
	}
	return c
}

// WriteMetrics writes the counters in Prometheus' text format.
func (dp *DataPlane) WriteMetrics(w io.Writer) {
	c := dp.Counters()
	lbs := sortedKeys(c.LoadBalancers)
	fmt.Fprintln(w, "# TYPE tide_alb_request_count counter")
	for _, arn := range lbs {
		fmt.Fprintf(w, "tide_alb_request_count{load_balancer=%q} %d\n", arn, c.LoadBalancers[arn].RequestCount)
	}
	fmt.Fprintln(w, "# TYPE tide_alb_elb_5xx_count counter")
	for _, arn := range lbs {
		s := c.LoadBalancers[arn]
		for _, kv := range []struct {
			code string
			n    int64
		}{{"502", s.ELB502}, {"503", s.ELB503}, {"504", s.ELB504}} {
			fmt.Fprintf(w, "tide_alb_elb_5xx_count{load_balancer=%q,code=%q} %d\n", arn, kv.code, kv.n)
		}
	}
	tgs := sortedKeys(c.TargetGroups)
	fmt.Fprintln(w, "# TYPE tide_alb_target_request_count counter")
	for _, arn := range tgs {
		fmt.Fprintf(w, "tide_alb_target_request_count{target_group=%q} %d\n", arn, c.TargetGroups[arn].RequestCount)
	}
	fmt.Fprintln(w, "# TYPE tide_alb_target_response_count counter")
	for _, arn := range tgs {
		s := c.TargetGroups[arn]
		for i, n := range []int64{s.Target2XX, s.Target3XX, s.Target4XX, s.Target5XX} {
			fmt.Fprintf(w, "tide_alb_target_response_count{target_group=%q,class=\"%dXX\"} %d\n", arn, i+2, n)
		}
	}
	fmt.Fprintln(w, "# TYPE tide_alb_target_response_seconds_sum counter")
	for _, arn := range tgs {
		fmt.Fprintf(w, "tide_alb_target_response_seconds_sum{target_group=%q} %g\n", arn, c.TargetGroups[arn].TargetResponseTimeSum.Seconds())
	}
	fmt.Fprintln(w, "# TYPE tide_alb_healthy_host_count gauge")
	for _, arn := range tgs {
		fmt.Fprintf(w, "tide_alb_healthy_host_count{target_group=%q} %d\n", arn, c.TargetGroups[arn].HealthyHostCount)
		fmt.Fprintf(w, "tide_alb_unhealthy_host_count{target_group=%q} %d\n", arn, c.TargetGroups[arn].UnHealthyHostCount)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
