package lb

import (
	"testing"
	"time"
)

// TestInitialCheckInterval: with InitialCheckInterval (the fast timing
// profile), a new target is checked at that interval until it is healthy,
// then at its group's.
func TestInitialCheckInterval(t *testing.T) {
	b := newBackend(t, "b")
	port := freePort(t)
	dp := New(Options{InitialCheckInterval: 50 * time.Millisecond})
	t.Cleanup(dp.Close)
	hc := HealthCheck{Path: "/health", Interval: 5 * time.Second, Timeout: 2 * time.Second, HealthyThreshold: 3, UnhealthyThreshold: 2}
	start := time.Now()
	if err := dp.Apply(&Config{
		LoadBalancers: []LoadBalancer{{ARN: "lb1", Listeners: []Listener{{ARN: "l1", Port: port, Rules: []Rule{{IsDefault: true, Actions: forward("tg")}}}}}},
		TargetGroups:  []TargetGroup{{ARN: "tg", HealthCheck: hc, Targets: []Target{b.target("i-b")}}},
	}); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, dp, "tg", 1)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("healthy after %v; three checks 50 ms apart should take about 100 ms", d)
	}
}
