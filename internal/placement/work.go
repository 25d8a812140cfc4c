package placement

import (
	"maps"
	"slices"

	"tide/internal/cql"
)

// stage is a check an instance must pass to receive a task, in the order
// Place applies them; an instance that fails a later stage is closer to
// fitting than one that fails an earlier stage.
type stage uint8

const (
	stageAgent stage = iota
	stageCPU
	stageMemory
	stagePorts
	stagePortsUDP
	stageMemberOf
	stageDistinct
	stageFits // passed every check
)

// memberOf is a parsed memberOf constraint.
type memberOf struct {
	expr *cql.Expr
	text string
}

// slot is the working state of one instance during a call of Place.
type slot struct {
	cpu, mem   int32
	group      int            // tasks of the request's group
	tasks      int            // tasks on the instance
	tcp, udp   []int32        // host ports taken by this call's placements
	groups     map[string]int // TaskGroups with this call's tasks, once memberOf needs it
	failedExpr int            // index of the first memberOf expression it fails, or -1
}

// work is the state of one call of Place: the input, read only, and a
// working copy of what placements change.
type work struct {
	in       []Instance
	r        *Request
	members  []memberOf
	dynamic  bool // some memberOf expression reads task counts
	distinct bool
	scorers  []scorer
	slots    []slot
	cand     []int // instances that may still receive a task, in input order
	ties     []int
	keys     []int64
	best     []int64
}

// newWork sets up the working copy and evaluates the memberOf expressions
// once per instance.
func newWork(in []Instance, r *Request, members []memberOf, distinct bool, scorers []scorer) *work {
	w := &work{
		in: in, r: r, members: members, distinct: distinct, scorers: scorers,
		slots: make([]slot, len(in)),
		cand:  make([]int, 0, len(in)),
		keys:  make([]int64, len(scorers)),
		best:  make([]int64, len(scorers)),
	}
	for _, m := range members {
		w.dynamic = w.dynamic || m.expr.UsesTasks()
	}
	for i := range in {
		s := &w.slots[i]
		s.cpu, s.mem = in[i].CPU, in[i].Memory
		s.group, s.tasks = in[i].TaskGroups[r.Group], in[i].RunningTasksCount
		s.failedExpr = w.evalMembers(i)
		w.cand = append(w.cand, i)
	}
	for k := range w.scorers {
		w.scorers[k].init(in, r.Group)
	}
	return w
}

// evalMembers returns the index of the first memberOf expression instance i
// does not satisfy, or -1.
func (w *work) evalMembers(i int) int {
	if len(w.members) == 0 {
		return -1
	}
	s, in := &w.slots[i], &w.in[i]
	ci := cql.Instance{
		Attributes: in.Attributes, AgentConnected: in.AgentConnected, AgentVersion: in.AgentVersion,
		EC2InstanceID: in.ID, RegisteredAt: in.RegisteredAt, RunningTasksCount: s.tasks, TaskGroups: in.TaskGroups,
	}
	if s.groups != nil {
		ci.TaskGroups = s.groups
	}
	for k, m := range w.members {
		if !m.expr.Match(ci) {
			return k
		}
	}
	return -1
}

// stageOf returns the first check instance i fails, or stageFits.
func (w *work) stageOf(i int) stage {
	s, in, r := &w.slots[i], &w.in[i], w.r
	switch {
	case !in.AgentConnected:
		return stageAgent
	case s.cpu < r.CPU:
		return stageCPU
	case s.mem < r.Memory:
		return stageMemory
	case clashes(in.TCPPorts, s.tcp, r.TCPPorts) > 0:
		return stagePorts
	case clashes(in.UDPPorts, s.udp, r.UDPPorts) > 0:
		return stagePortsUDP
	case s.failedExpr >= 0:
		return stageMemberOf
	case w.distinct && s.group > 0:
		return stageDistinct
	}
	return stageFits
}

// clashes counts the wanted ports that are in use or taken.
func clashes(used map[int32]bool, taken, want []int32) int {
	n := 0
	for _, p := range want {
		if used[p] || slices.Contains(taken, p) {
			n++
		}
	}
	return n
}

// choose returns the instance the next task goes to, or false when none
// fits. An instance that fails a check never passes it again in this call
// (resources only shrink, ports and group counts only grow, and memberOf
// changes only on instances that receive tasks), so choose drops it.
func (w *work) choose() (int, bool) {
	keep, ties := w.cand[:0], w.ties[:0]
	for _, i := range w.cand {
		if w.stageOf(i) != stageFits {
			continue
		}
		keep = append(keep, i)
		for k := range w.scorers {
			w.keys[k] = w.scorers[k].key(w, i)
		}
		switch d := slices.Compare(w.keys, w.best); {
		case len(ties) == 0 || d < 0:
			copy(w.best, w.keys)
			ties = append(ties[:0], i)
		case d == 0:
			ties = append(ties, i)
		}
	}
	w.cand, w.ties = keep, ties
	switch {
	case len(ties) == 0:
		return 0, false
	case w.r.Rand == nil || len(ties) == 1:
		return ties[0], true
	}
	return ties[w.r.Rand.IntN(len(ties))], true
}

// place records a task of the request on instance i.
func (w *work) place(i int) {
	s, r := &w.slots[i], w.r
	s.cpu -= r.CPU
	s.mem -= r.Memory
	s.tcp = append(s.tcp, r.TCPPorts...)
	s.udp = append(s.udp, r.UDPPorts...)
	s.group++
	s.tasks++
	for k := range w.scorers {
		w.scorers[k].placed(i)
	}
	if w.dynamic {
		if s.groups == nil {
			s.groups = make(map[string]int, len(w.in[i].TaskGroups)+1)
			maps.Copy(s.groups, w.in[i].TaskGroups)
		}
		s.groups[r.Group]++
		s.failedExpr = w.evalMembers(i)
	}
}
