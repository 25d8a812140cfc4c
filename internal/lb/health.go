package lb

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AWS's defaults for an HTTP target group's health check.
const (
	defaultHCInterval  = 30 * time.Second
	defaultHCTimeout   = 5 * time.Second
	defaultHealthy     = 5
	defaultUnhealthy   = 2
	defaultHCPath      = "/"
	defaultHCMatcher   = "200"
	healthCheckUA      = "ELB-HealthChecker/2.0"
	maxHealthBodyBytes = 64 << 10
)

// withDefaults fills a health check's zero values with AWS's defaults.
func (hc HealthCheck) withDefaults() HealthCheck {
	if hc.Interval <= 0 {
		hc.Interval = defaultHCInterval
	}
	if hc.Timeout <= 0 {
		hc.Timeout = defaultHCTimeout
	}
	if hc.HealthyThreshold <= 0 {
		hc.HealthyThreshold = defaultHealthy
	}
	if hc.UnhealthyThreshold <= 0 {
		hc.UnhealthyThreshold = defaultUnhealthy
	}
	if hc.Path == "" {
		hc.Path = defaultHCPath
	}
	if hc.Matcher == "" {
		hc.Matcher = defaultHCMatcher
	}
	return hc
}

// matchCode reports whether code satisfies an ALB matcher: "200",
// "200,302", "200-299".
func matchCode(matcher string, code int) bool {
	for part := range strings.SplitSeq(matcher, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if a <= code && code <= b {
			return true
		}
	}
	return false
}

// checker health checks one target of one group until its context ends.
type checker struct {
	t       *target
	hc      HealthCheck
	initial time.Duration // the interval while the target is initial; 0: hc.Interval
	client  *http.Client
	cancel  context.CancelFunc
	done    chan struct{}
}

// run checks at every interval, the first at once, and moves the target's
// state by AWS's rules: HealthyThreshold consecutive successes make it
// healthy, UnhealthyThreshold consecutive failures unhealthy.
func (c *checker) run(ctx context.Context) {
	defer close(c.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, reason, desc := c.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		c.record(ok, reason, desc, time.Now())
		t.Reset(c.interval())
	}
}

// interval is the time to the next check.
func (c *checker) interval() time.Duration {
	if c.initial > 0 && c.initial < c.hc.Interval {
		c.t.mu.Lock()
		initial := c.t.health.State == StateInitial
		c.t.mu.Unlock()
		if initial {
			return c.initial
		}
	}
	return c.hc.Interval
}

func (c *checker) probe(ctx context.Context) (ok bool, reason, desc string) {
	addr := c.t.addr
	if c.hc.Port > 0 {
		host, _, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort(host, strconv.Itoa(c.hc.Port))
	}
	pctx, cancel := context.WithTimeout(ctx, c.hc.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, "http://"+addr+c.hc.Path, nil)
	if err != nil {
		return false, "Target.FailedHealthChecks", err.Error()
	}
	req.Header.Set("User-Agent", healthCheckUA)
	resp, err := c.client.Do(req)
	if err != nil {
		if pctx.Err() != nil && ctx.Err() == nil {
			return false, "Target.Timeout", "Request timed out"
		}
		return false, "Target.FailedHealthChecks", "Health checks failed"
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxHealthBodyBytes))
	resp.Body.Close()
	if !matchCode(c.hc.Matcher, resp.StatusCode) {
		return false, "Target.ResponseCodeMismatch", fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)
	}
	return true, "", ""
}

// record applies one result to the target's state.
func (c *checker) record(ok bool, reason, desc string, now time.Time) {
	t := c.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.draining {
		return
	}
	before := t.health.State
	defer func() {
		if t.health.State != before {
			t.gen.Add(1)
		}
	}()
	if ok {
		t.okRun++
		t.bad = 0
		if t.health.State != StateHealthy && t.okRun >= c.hc.HealthyThreshold {
			t.health = TargetHealth{State: StateHealthy}
			t.healthySince = now
		}
		return
	}
	t.bad++
	t.okRun = 0
	switch {
	case t.health.State == StateHealthy && t.bad >= c.hc.UnhealthyThreshold,
		t.health.State == StateUnhealthy,
		t.health.State == StateInitial && t.bad >= c.hc.UnhealthyThreshold:
		t.health = TargetHealth{State: StateUnhealthy, Reason: reason, Description: desc}
		t.healthySince = time.Time{}
	}
}

// setInitial marks a target whose checks start now.
func (t *target) setInitial() {
	t.mu.Lock()
	if t.health.State == StateInitial || t.health.State == StateUnused {
		t.health = TargetHealth{State: StateInitial, Reason: "Elb.InitialHealthChecking", Description: "Initial health checks in progress"}
		t.okRun, t.bad = 0, 0
		t.gen.Add(1)
	}
	t.mu.Unlock()
}
