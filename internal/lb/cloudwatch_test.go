package lb

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"tide/internal/metrics"
)

func TestLatencyBuckets(t *testing.T) {
	prev := -1
	for us := int64(0); us < 1<<33; us = us*9/8 + 1 {
		d := time.Duration(us) * time.Microsecond
		i := LatencyBucket(d)
		if i < prev {
			t.Fatalf("bucket of %v is %d, below the bucket %d of a shorter time", d, i, prev)
		}
		prev = i
		if us >= 4 && us < 1<<32 {
			mid := LatencyBucketValue(i)
			if err := float64(mid-d) / float64(d); err > 0.125 || err < -0.125 {
				t.Errorf("%v lands in bucket %d whose middle %v is %.0f%% off", d, i, mid, 100*err)
			}
		}
	}
	if LatencyBucket(-time.Second) != 0 || LatencyBucket(1000*time.Hour) != LatencyBuckets-1 {
		t.Error("out-of-range times are not clamped to the end buckets")
	}
}

func TestDatums(t *testing.T) {
	const lbARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
	const tgARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/73e2d6bc24d8a067"
	at := time.Date(2026, 11, 22, 10, 0, 5, 0, time.UTC)
	var prev, cur Counters
	prev.LoadBalancers = map[string]LBCounters{lbARN: {RequestCount: 10}}
	prev.TargetGroups = map[string]TGCounters{tgARN: {RequestCount: 8, Target2XX: 8, LoadBalancerARN: lbARN}}
	tc := TGCounters{RequestCount: 14, Target2XX: 13, Target5XX: 1, HealthyHostCount: 2, UnHealthyHostCount: 1, RegisteredHostCount: 3, LoadBalancerARN: lbARN}
	tc.TargetResponseTimes[LatencyBucket(2*time.Millisecond)] = 6
	cur.TargetGroups = map[string]TGCounters{tgARN: tc}
	cur.LoadBalancers = map[string]LBCounters{lbARN: {RequestCount: 17, ELB503: 1, ActiveConnectionCount: 4}}

	got := map[string]float64{}
	var latency metrics.Datum
	for _, d := range Datums(prev, cur, at, true) {
		if !d.Time.Equal(at) || !d.HighResolution || d.Namespace != "AWS/ApplicationELB" {
			t.Errorf("datum %+v", d)
		}
		key := d.MetricName
		for _, dim := range d.Dimensions {
			key += " " + dim.Name + "=" + dim.Value
		}
		if d.MetricName == "TargetResponseTime" {
			latency = d
			got[key] = float64(len(d.Values))
			continue
		}
		got[key] = d.Value
	}
	lb, tg := " LoadBalancer=app/web/50dc6c495c0c9188", " TargetGroup=targetgroup/web/73e2d6bc24d8a067"
	want := map[string]float64{
		"RequestCount" + lb: 7, "HTTPCode_ELB_503_Count" + lb: 1, "HTTPCode_ELB_5XX_Count" + lb: 1, "ActiveConnectionCount" + lb: 4,
		"HTTPCode_Target_2XX_Count" + lb: 5, "HTTPCode_Target_5XX_Count" + lb: 1, "TargetResponseTime" + lb: 1,
	}
	for _, dims := range []string{tg + lb, tg} {
		want["RequestCount"+dims] = 6
		want["RequestCountPerTarget"+dims] = 3 // 6 requests, 2 healthy targets
		want["HTTPCode_Target_2XX_Count"+dims] = 5
		want["HTTPCode_Target_5XX_Count"+dims] = 1
		want["TargetResponseTime"+dims] = 1
		want["HealthyHostCount"+dims] = 2
		want["UnHealthyHostCount"+dims] = 1
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("datums (-want +got):\n%s", diff)
	}
	if len(latency.Counts) != 1 || latency.Counts[0] != 6 || latency.Values[0] < 0.0019 || latency.Values[0] > 0.0021 || latency.Unit != "Seconds" {
		t.Errorf("TargetResponseTime %+v", latency)
	}
}

// TestActiveConnections: ActiveConnectionCount counts the client
// connections open to a load balancer's listeners, whichever server (the
// fast loop or net/http) serves them.
func TestActiveConnections(t *testing.T) {
	b := newBackend(t, "b")
	port := freePort(t)
	dp := newDP(t)
	if err := dp.Apply(&Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb1", Listeners: []Listener{{ARN: "l1", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}}}}},
		TargetGroups:  []TargetGroup{{ARN: "tg", HealthCheck: fastHC, Targets: []Target{b.target("i-b")}}},
	}); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg", 1)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var conns []net.Conn
	for i := range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
		if i == 2 { // a request the fast loop hands to net/http
			req = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
		}
		c.Write([]byte(req))
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	waitActive := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := dp.Counters().LoadBalancers["lb1"].ActiveConnectionCount
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("ActiveConnectionCount %d, want %d", got, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitActive(3)
	for _, c := range conns {
		c.Close()
	}
	waitActive(0)
}
