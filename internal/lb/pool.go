package lb

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// target is the data plane's live view of one registered target. It
// outlives Config swaps (keyed by group and target), so that health,
// outstanding requests and slow start carry over a configuration change.
type target struct {
	key  string // "id:port"
	addr string // host:port to dial
	az   string

	outstanding atomic.Int64

	mu           sync.Mutex
	health       TargetHealth
	healthySince time.Time
	okRun, bad   int // consecutive health check results
	registeredAt time.Time
	draining     bool
	drainTimer   *time.Timer
	// drainCtx ends when the drain deadline passes (or the target goes):
	// the requests in flight to it end with it.
	drainCtx    context.Context
	drainCancel context.CancelFunc
}

func newTarget(key, addr, az string, now time.Time) *target {
	return &target{key: key, addr: addr, az: az, registeredAt: now,
		health: TargetHealth{State: StateInitial, Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress"}}
}

func (t *target) snapshot() (TargetHealth, time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.health, t.healthySince, t.draining
}

// group is a compiled target group: its settings and its live targets.
type group struct {
	cfg     TargetGroup
	targets []*target
	rr      atomic.Uint64
	used    bool // some listener rule forwards to it
	stats   *tgStats
}

// pick chooses a target for a new request: among healthy targets, or all
// non-draining ones when none is healthy (ALB fails open), by the group's
// algorithm, with slow start. sticky, when it names an eligible target,
// wins. It returns nil when the group has no target to send to.
func (g *group) pick(now time.Time, sticky string) *target {
	var buf [64]*target
	cands := buf[:0]
	var weights [64]float64
	var abuf [64]*target
	all := abuf[:0]
	for _, t := range g.targets {
		h, _, draining := t.snapshot()
		if draining {
			continue
		}
		all = append(all, t)
		if h.State == StateHealthy {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		cands = append(cands, all...) // fail open
	}
	if len(cands) == 0 {
		return nil
	}
	if sticky != "" {
		for _, t := range cands {
			if t.key == sticky {
				return t
			}
		}
	}
	if len(cands) == 1 {
		return cands[0]
	}
	switch g.cfg.Algorithm {
	case "least_outstanding_requests":
		start := int(g.rr.Add(1))
		best := cands[start%len(cands)]
		for i := 1; i < len(cands); i++ {
			t := cands[(start+i)%len(cands)]
			if t.outstanding.Load() < best.outstanding.Load() {
				best = t
			}
		}
		return best
	}
	// Slow start (and weighted_random) weigh each target; a target in slow
	// start gets a share that grows linearly from 0 to 1 over the window.
	ramping := false
	ws := weights[:0]
	if len(cands) > len(weights) {
		ws = make([]float64, 0, len(cands))
	}
	total := 0.0
	for _, t := range cands {
		w := 1.0
		if g.cfg.SlowStart > 0 {
			_, since, _ := t.snapshot()
			if !since.IsZero() {
				if el := now.Sub(since); el < g.cfg.SlowStart {
					w = max(float64(el)/float64(g.cfg.SlowStart), 0.01)
					ramping = true
				}
			}
		}
		ws = append(ws, w)
		total += w
	}
	if !ramping && g.cfg.Algorithm != "weighted_random" {
		return cands[int(g.rr.Add(1)-1)%len(cands)]
	}
	x := rand.Float64() * total
	for i, w := range ws {
		if x < w {
			return cands[i]
		}
		x -= w
	}
	return cands[len(cands)-1]
}

// pickGroup chooses one group of a weighted forward action.
func pickGroup(gs []WeightedGroup) string {
	if len(gs) == 1 {
		return gs[0].ARN
	}
	total := 0
	for _, g := range gs {
		total += g.Weight
	}
	if total <= 0 {
		return gs[0].ARN
	}
	x := rand.IntN(total)
	for _, g := range gs {
		if x < g.Weight {
			return g.ARN
		}
		x -= g.Weight
	}
	return gs[len(gs)-1].ARN
}
