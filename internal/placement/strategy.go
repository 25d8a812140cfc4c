package placement

import (
	"fmt"
	"slices"
	"strings"
)

// scoreKind is what a strategy ranks instances by.
type scoreKind uint8

const (
	scoreRandom          scoreKind = iota // leaves the choice to the final random pick
	scoreBinpackCPU                       // least CPU remaining first
	scoreBinpackMemory                    // least memory remaining first
	scoreSpreadInstance                   // fewest tasks of the group on the instance first
	scoreSpreadAttribute                  // fewest tasks of the group with the same attribute value first
)

// scorer ranks instances for one strategy: the lower an instance's key, the
// better. A spread over an attribute keeps, for the call, the number of the
// group's tasks on the instances that share each value of the attribute.
type scorer struct {
	kind   scoreKind
	attr   string
	bucket []int // instance index → index of its attribute value in counts
	counts []int // tasks of the group per attribute value
}

// compileStrategies validates the strategies and turns them into scorers,
// dropping a random one and those after it, which the final random pick
// makes moot.
func compileStrategies(ss []Strategy) ([]scorer, error) {
	out := make([]scorer, 0, len(ss))
	for k, s := range ss {
		sc, err := newScorer(s)
		if err != nil {
			return nil, fmt.Errorf("placement strategy %d: %w", k+1, err)
		}
		out = append(out, sc)
	}
	if k := slices.IndexFunc(out, func(sc scorer) bool { return sc.kind == scoreRandom }); k >= 0 {
		out = out[:k]
	}
	return out, nil
}

// newScorer validates one strategy.
func newScorer(s Strategy) (scorer, error) {
	switch s.Type {
	case StrategyRandom:
		return scorer{kind: scoreRandom}, nil
	case StrategyBinpack:
		switch s.Field {
		case "cpu":
			return scorer{kind: scoreBinpackCPU}, nil
		case "memory":
			return scorer{kind: scoreBinpackMemory}, nil
		}
		return scorer{}, fmt.Errorf("binpack field %q, want cpu or memory", s.Field)
	case StrategySpread:
		switch {
		case s.Field == "instanceId" || s.Field == "host":
			return scorer{kind: scoreSpreadInstance}, nil
		case strings.HasPrefix(s.Field, "attribute:") && len(s.Field) > len("attribute:"):
			return scorer{kind: scoreSpreadAttribute, attr: strings.TrimPrefix(s.Field, "attribute:")}, nil
		}
		return scorer{}, fmt.Errorf("spread field %q, want instanceId, host or attribute:NAME", s.Field)
	}
	return scorer{}, fmt.Errorf("unknown type %q, want binpack, spread or random", s.Type)
}

// init prepares the scorer for a call. For a spread over an attribute, the
// instances that lack the attribute share one value of their own, and every
// instance counts, whether or not it can take a task: its tasks are part of
// the balance.
func (sc *scorer) init(in []Instance, group string) {
	if sc.kind != scoreSpreadAttribute {
		return
	}
	index := make(map[string]int)
	missing := -1
	sc.bucket = make([]int, len(in))
	for i := range in {
		v, ok := in[i].Attributes[sc.attr]
		b, seen := index[v]
		switch {
		case !ok && missing < 0:
			missing = sc.newBucket()
			b = missing
		case !ok:
			b = missing
		case !seen:
			b = sc.newBucket()
			index[v] = b
		}
		sc.bucket[i] = b
		sc.counts[b] += in[i].TaskGroups[group]
	}
}

// newBucket adds an attribute value with no tasks and returns its index.
func (sc *scorer) newBucket() int {
	sc.counts = append(sc.counts, 0)
	return len(sc.counts) - 1
}

// key returns instance i's rank under the strategy.
func (sc *scorer) key(w *work, i int) int64 {
	switch sc.kind {
	case scoreBinpackCPU:
		return int64(w.slots[i].cpu)
	case scoreBinpackMemory:
		return int64(w.slots[i].mem)
	case scoreSpreadInstance:
		return int64(w.slots[i].group)
	case scoreSpreadAttribute:
		return int64(sc.counts[sc.bucket[i]])
	}
	return 0
}

// placed records that instance i received a task.
func (sc *scorer) placed(i int) {
	if sc.kind == scoreSpreadAttribute {
		sc.counts[sc.bucket[i]]++
	}
}
