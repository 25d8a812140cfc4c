package lb

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// target is the data plane's live view of one registered target. It
// outlives Config swaps (keyed by group and target), so that health,
// outstanding requests, slow start and idle connections carry over a
// configuration change.
type target struct {
	key  string // "id:port"
	addr string // host:port to dial
	az   string

	outstanding atomic.Int64
	gen         *atomic.Uint64 // the data plane's health generation, bumped on every state change
	conns       backendPool

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

func newTarget(key, addr, az string, now time.Time, gen *atomic.Uint64) *target {
	return &target{key: key, addr: addr, az: az, registeredAt: now, gen: gen,
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
	gen     *atomic.Uint64 // the data plane's health generation
	cands   atomic.Pointer[candidates]
}

// candidates are the targets a group picks from, as of one health
// generation: rebuilt when some target's state changes, so that picking
// takes no lock and reads no other target's state.
type candidates struct {
	gen       uint64
	list      []*target   // the healthy targets, or every non-draining one when none is (ALB fails open)
	since     []time.Time // when each became healthy (slow start)
	rampUntil time.Time   // slow start is over for every target
}

func (g *group) candidates() *candidates {
	gen := g.gen.Load()
	if c := g.cands.Load(); c != nil && c.gen == gen {
		return c
	}
	c := &candidates{gen: gen}
	var all []*target
	for _, t := range g.targets {
		h, since, draining := t.snapshot()
		if draining {
			continue
		}
		all = append(all, t)
		if h.State == StateHealthy {
			c.list = append(c.list, t)
			c.since = append(c.since, since)
		}
	}
	if len(c.list) == 0 {
		c.list, c.since = all, make([]time.Time, len(all))
	}
	if g.cfg.SlowStart > 0 {
		c.rampUntil = slowStarts(c.since, g.cfg.SlowStart)
	}
	g.cands.Store(c)
	return c
}

// slowStarts decides which targets are in slow start, as ALB does: a
// target enters it when it becomes healthy only if another healthy target
// is not in slow start at that moment (so the first target of an empty
// group, and targets that turn healthy together in it, take their full
// share at once). It zeroes since for the targets not in slow start and
// returns when the last ramp ends.
func slowStarts(since []time.Time, window time.Duration) (rampUntil time.Time) {
	order := make([]int, len(since))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return since[a].Compare(since[b]) })
	ramps := make([]bool, len(since))
	for k, i := range order {
		for _, j := range order[:k] {
			if since[j].Before(since[i]) && (!ramps[j] || !since[j].Add(window).After(since[i])) {
				ramps[i] = true
				break
			}
		}
	}
	for i, r := range ramps {
		if !r {
			since[i] = time.Time{}
			continue
		}
		if end := since[i].Add(window); end.After(rampUntil) {
			rampUntil = end
		}
	}
	return rampUntil
}

// pick chooses a target for a new request: among healthy targets, or all
// non-draining ones when none is healthy (ALB fails open), by the group's
// algorithm, with slow start. sticky, when it names an eligible target,
// wins. It returns nil when the group has no target to send to.
func (g *group) pick(now time.Time, sticky string) *target {
	c := g.candidates()
	cands := c.list
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
	if g.cfg.Algorithm == "least_outstanding_requests" {
		start := int(g.rr.Add(1) % uint64(len(cands)))
		best := cands[start]
		for i := 1; i < len(cands) && best.outstanding.Load() > 0; i++ {
			if t := cands[(start+i)%len(cands)]; t.outstanding.Load() < best.outstanding.Load() {
				best = t
			}
		}
		return best
	}
	if now.Before(c.rampUntil) {
		return c.pickRamping(now, g.cfg.SlowStart)
	}
	if g.cfg.Algorithm == "weighted_random" {
		return cands[rand.IntN(len(cands))]
	}
	return cands[(g.rr.Add(1)-1)%uint64(len(cands))]
}

// pickRamping picks at random, each target weighted by its slow start: a
// share that grows linearly from 0 to 1 over the window.
func (c *candidates) pickRamping(now time.Time, window time.Duration) *target {
	weight := func(i int) float64 {
		if since := c.since[i]; !since.IsZero() {
			if el := now.Sub(since); el < window {
				return max(float64(el)/float64(window), 0.01)
			}
		}
		return 1
	}
	total := 0.0
	for i := range c.list {
		total += weight(i)
	}
	x := rand.Float64() * total
	for i := range c.list {
		w := weight(i)
		if x < w {
			return c.list[i]
		}
		x -= w
	}
	return c.list[len(c.list)-1]
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
