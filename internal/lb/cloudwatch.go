package lb

import (
	"strings"
	"time"

	"tide/internal/metrics"
)

// Datums turns the change of the counters from prev to cur into
// AWS/ApplicationELB datums stamped at, as Elastic Load Balancing reports
// them: request and response counts only when non-zero ("if there are no
// requests flowing through the load balancer, the metric is not
// reported"), host counts always, per load balancer (LoadBalancer), per
// target group (TargetGroup, LoadBalancer) and per target group alone
// (TargetGroup). RequestCountPerTarget is a target group's requests divided
// by its healthy targets, or its registered ones when none is healthy.
// TargetResponseTime carries the histogram of the period's response times,
// so its percentiles can be queried. hires stores them at one second.
func Datums(prev, cur Counters, at time.Time, hires bool) []metrics.Datum {
	var out []metrics.Datum
	add := func(name, unit string, v float64, dims ...metrics.Dimension) {
		out = append(out, metrics.Datum{Namespace: "AWS/ApplicationELB", MetricName: name, Dimensions: dims, Time: at, Value: v, Unit: unit, HighResolution: hires})
	}
	addCount := func(name string, n int64, dims ...metrics.Dimension) {
		if n > 0 {
			add(name, "Count", float64(n), dims...)
		}
	}
	type lbSums struct {
		codes [4]int64
		hist  [LatencyBuckets]int64
	}
	sums := map[string]*lbSums{}
	for _, arn := range sortedKeys(cur.TargetGroups) {
		c, p := cur.TargetGroups[arn], prev.TargetGroups[arn]
		if c.LoadBalancerARN == "" {
			continue
		}
		lbDim := metrics.Dimension{Name: "LoadBalancer", Value: lbDimension(c.LoadBalancerARN)}
		tgDim := metrics.Dimension{Name: "TargetGroup", Value: tgDimension(arn)}
		s := sums[c.LoadBalancerARN]
		if s == nil {
			s = &lbSums{}
			sums[c.LoadBalancerARN] = s
		}
		codes := [4]int64{c.Target2XX - p.Target2XX, c.Target3XX - p.Target3XX, c.Target4XX - p.Target4XX, c.Target5XX - p.Target5XX}
		var hist [LatencyBuckets]int64
		for i := range hist {
			hist[i] = c.TargetResponseTimes[i] - p.TargetResponseTimes[i]
			s.hist[i] += hist[i]
		}
		for _, dims := range [][]metrics.Dimension{{tgDim, lbDim}, {tgDim}} {
			requests := c.RequestCount - p.RequestCount
			addCount("RequestCount", requests, dims...)
			if requests > 0 {
				per := max(c.HealthyHostCount, 0)
				if per == 0 {
					per = c.RegisteredHostCount
				}
				add("RequestCountPerTarget", "Count", float64(requests)/float64(max(per, 1)), dims...)
			}
			for i, n := range codes {
				addCount("HTTPCode_Target_"+string(rune('2'+i))+"XX_Count", n, dims...)
			}
			if d, ok := latencyDatum(hist, at, hires, dims); ok {
				out = append(out, d)
			}
			add("HealthyHostCount", "Count", float64(c.HealthyHostCount), dims...)
			add("UnHealthyHostCount", "Count", float64(c.UnHealthyHostCount), dims...)
		}
		for i, n := range codes {
			s.codes[i] += n
		}
	}
	for _, arn := range sortedKeys(cur.LoadBalancers) {
		c, p := cur.LoadBalancers[arn], prev.LoadBalancers[arn]
		dim := metrics.Dimension{Name: "LoadBalancer", Value: lbDimension(arn)}
		addCount("RequestCount", c.RequestCount-p.RequestCount, dim)
		e502, e503, e504 := c.ELB502-p.ELB502, c.ELB503-p.ELB503, c.ELB504-p.ELB504
		addCount("HTTPCode_ELB_502_Count", e502, dim)
		addCount("HTTPCode_ELB_503_Count", e503, dim)
		addCount("HTTPCode_ELB_504_Count", e504, dim)
		addCount("HTTPCode_ELB_5XX_Count", e502+e503+e504+c.ELB5XX-p.ELB5XX, dim)
		addCount("ActiveConnectionCount", c.ActiveConnectionCount, dim)
		if s := sums[arn]; s != nil {
			for i, n := range s.codes {
				addCount("HTTPCode_Target_"+string(rune('2'+i))+"XX_Count", n, dim)
			}
			if d, ok := latencyDatum(s.hist, at, hires, []metrics.Dimension{dim}); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

// latencyDatum is a TargetResponseTime datum from a histogram of response
// times: each bucket's middle value, in seconds, with its count.
func latencyDatum(hist [LatencyBuckets]int64, at time.Time, hires bool, dims []metrics.Dimension) (metrics.Datum, bool) {
	d := metrics.Datum{Namespace: "AWS/ApplicationELB", MetricName: "TargetResponseTime", Dimensions: dims, Time: at, Unit: "Seconds", HighResolution: hires}
	for i, n := range hist {
		if n > 0 {
			d.Values = append(d.Values, LatencyBucketValue(i).Seconds())
			d.Counts = append(d.Counts, float64(n))
		}
	}
	return d, len(d.Values) > 0
}

// lbDimension is a load balancer's LoadBalancer dimension value:
// "app/NAME/ID", the end of its ARN.
func lbDimension(arn string) string {
	_, v, _ := strings.Cut(arn, ":loadbalancer/")
	return v
}

// tgDimension is a target group's TargetGroup dimension value:
// "targetgroup/NAME/ID".
func tgDimension(arn string) string {
	if i := strings.LastIndex(arn, ":targetgroup/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
