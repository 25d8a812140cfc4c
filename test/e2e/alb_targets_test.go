package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// startWebapp runs the webapp binary as a host process answering its name
// on /env/WHO, and returns its port and the process.
func startWebapp(t *testing.T, bin, name string) (int32, *exec.Cmd) {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "WHO="+name)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	poll(t, 10*time.Second, 20*time.Millisecond, name+" listening", func() (bool, string) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", port))
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return true, ""
	})
	return int32(port), cmd
}

// register registers 127.0.0.1:port in the ip target group tg.
func register(t *testing.T, s *tideServer, tg string, port int32) {
	t.Helper()
	must[*elb.RegisterTargetsOutput](t)(albClient(s).RegisterTargets(context.Background(), &elb.RegisterTargetsInput{
		TargetGroupArn: aws.String(tg), Targets: []elbtypes.TargetDescription{{Id: aws.String("127.0.0.1"), Port: aws.Int32(port)}},
	}))
}

// who asks the load balancer n times who answers and counts the answers;
// statuses other than 200 count under their code.
func who(url string, n int) map[string]int {
	got := map[string]int{}
	hc := &http.Client{Timeout: 5 * time.Second}
	for range n {
		resp, err := hc.Get(url + "/env/WHO")
		if err != nil {
			got["error"]++
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			got[strconv.Itoa(resp.StatusCode)]++
			continue
		}
		got[strings.TrimSpace(string(b))]++
	}
	return got
}

// TestALBSlowStartRamps: a target that joins a group with slow start gets a
// share of the requests that grows from almost none to an equal share over
// the slow-start duration (30 s, AWS's shortest).
func TestALBSlowStartRamps(t *testing.T) {
	bin := buildWebapp(t)
	s := startServer(t, t.TempDir())
	tg, url := albSetup(t, s, 1)
	must[*elb.ModifyTargetGroupAttributesOutput](t)(albClient(s).ModifyTargetGroupAttributes(context.Background(), &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(tg), Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("slow_start.duration_seconds"), Value: aws.String("30")}},
	}))
	oldPort, _ := startWebapp(t, bin, "old")
	newPort, _ := startWebapp(t, bin, "new")
	register(t, s, tg, oldPort)
	poll(t, 30*time.Second, 100*time.Millisecond, "the first target healthy", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 1, st
	})
	register(t, s, tg, newPort)
	poll(t, 30*time.Second, 50*time.Millisecond, "the second target healthy", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 2, st
	})
	healthy := time.Now()
	share := func() float64 {
		got := who(url, 400)
		if got["old"]+got["new"] != 400 {
			t.Fatalf("answers %v", got)
		}
		return float64(got["new"]) / 400
	}
	first := share()
	time.Sleep(time.Until(healthy.Add(15 * time.Second)))
	middle := share()
	time.Sleep(time.Until(healthy.Add(31 * time.Second)))
	last := share()
	t.Logf("the new target's share: %.2f at the start, %.2f at 15 s, %.2f after the 30 s ramp", first, middle, last)
	// Linear ramp of the new target's weight w = t/30 against the old one's 1:
	// a share of w/(1+w): about 0.03 in the first second, 0.33 at 15 s, 0.5 after.
	if first > 0.15 {
		t.Errorf("share at the start %.2f, want a small one", first)
	}
	if middle < 0.2 || middle > 0.45 {
		t.Errorf("share at 15 s %.2f, want about 0.33", middle)
	}
	if last < 0.4 || last > 0.6 {
		t.Errorf("share after the ramp %.2f, want about 0.5", last)
	}
}

// TestALBKilledBackendStopsReceiving: a backend process killed under load
// costs at most the requests sent to it until its health checks fail
// (interval 5 s × 2 failures, AWS's shortest settings); after that every
// request reaches the survivor.
func TestALBKilledBackendStopsReceiving(t *testing.T) {
	bin := buildWebapp(t)
	s := startServer(t, t.TempDir())
	tg, url := albSetup(t, s, 1)
	aPort, a := startWebapp(t, bin, "a")
	bPort, _ := startWebapp(t, bin, "b")
	register(t, s, tg, aPort)
	register(t, s, tg, bPort)
	poll(t, 30*time.Second, 100*time.Millisecond, "both targets healthy", func() (bool, string) {
		n, st := healthyTargets(t, s, tg)
		return n == 2, st
	})
	if got := who(url, 20); got["a"] == 0 || got["b"] == 0 {
		t.Fatalf("before the kill: %v, want both targets answering", got)
	}
	a.Process.Kill()
	a.Wait()
	killed := time.Now()
	var lastFailure time.Time
	failures := 0
	for time.Since(killed) < 20*time.Second {
		got := who(url, 10)
		if n := got["502"] + got["error"]; n > 0 {
			failures += n
			lastFailure = time.Now()
		}
		if got["a"] > 0 {
			t.Fatalf("the killed target answered: %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, st := healthyTargets(t, s, tg)
	if !strings.Contains(st, fmt.Sprintf(":%d=unhealthy", aPort)) {
		t.Errorf("target health after the kill: %s, want the killed one unhealthy", st)
	}
	window := time.Duration(0)
	if failures > 0 {
		window = lastFailure.Sub(killed)
	}
	t.Logf("%d requests failed in the %v after the kill", failures, window.Round(time.Millisecond))
	// Two failed checks 5 s apart, each up to the 2 s timeout, and one
	// interval for the first check to come round: 12 s at most.
	if window > 12*time.Second {
		t.Errorf("requests still failed %v after the kill, beyond the health check thresholds", window)
	}
	if got := who(url, 50); got["b"] != 50 {
		t.Errorf("after the kill: %v, want every request answered by the survivor", got)
	}
}
