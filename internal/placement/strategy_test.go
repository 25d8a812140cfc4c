package placement

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlaceStrategies(t *testing.T) {
	grouped := func(in Instance, n int) Instance {
		return with(in, func(i *Instance) { i.TaskGroups = map[string]int{"service:web": n, "service:other": 5} })
	}
	rack := func(in Instance, v string) Instance {
		return with(in, func(i *Instance) { i.Attributes = map[string]string{"rack": v} })
	}
	tests := []struct {
		name string
		ins  []Instance
		r    Request
		want []string
	}{
		{"binpack cpu takes the least CPU that fits",
			[]Instance{node("a", "z", 1000, 9000), node("b", "z", 600, 9000), node("c", "z", 2000, 9000)},
			Request{Count: 4, CPU: 500, Strategies: []Strategy{{Type: StrategyBinpack, Field: "cpu"}}},
			[]string{"b", "a", "a", "c"}},
		{"binpack memory takes the least memory that fits",
			[]Instance{node("a", "z", 9000, 1000), node("b", "z", 9000, 600), node("c", "z", 9000, 400)},
			Request{Count: 3, Memory: 500, Strategies: []Strategy{{Type: StrategyBinpack, Field: "memory"}}},
			[]string{"b", "a", "a"}},
		{"spread instanceId counts the group only",
			[]Instance{grouped(node("a", "z", 9000, 9000), 2), node("b", "z", 9000, 9000), grouped(node("c", "z", 9000, 9000), 1)},
			Request{Count: 4, Group: "service:web", Strategies: []Strategy{{Type: StrategySpread, Field: "instanceId"}}},
			[]string{"b", "b", "c", "a"}},
		{"spread host is spread instanceId",
			[]Instance{grouped(node("a", "z", 9000, 9000), 1), node("b", "z", 9000, 9000)},
			Request{Count: 2, Group: "service:web", Strategies: []Strategy{{Type: StrategySpread, Field: "host"}}},
			[]string{"b", "a"}},
		{"service default balances zones then instances",
			[]Instance{
				node("a1", "us-east-1a", 9000, 9000), node("a2", "us-east-1a", 9000, 9000), node("b1", "us-east-1b", 9000, 9000),
				node("c1", "us-east-1c", 9000, 9000), node("c2", "us-east-1c", 9000, 9000), node("c3", "us-east-1c", 9000, 9000),
			},
			Request{Count: 6, Group: "service:web", Strategies: ServiceDefault()},
			[]string{"a1", "b1", "c1", "a2", "c2", "b1"}},
		{"spread counts tasks on instances that cannot take more",
			[]Instance{grouped(node("a", "us-east-1a", 0, 0), 3), node("b", "us-east-1a", 9000, 9000), node("c", "us-east-1b", 9000, 9000)},
			Request{Count: 3, CPU: 1, Group: "service:web", Strategies: []Strategy{{Type: StrategySpread, Field: "attribute:ecs.availability-zone"}}},
			[]string{"c", "c", "c"}},
		{"instances without the attribute share a value",
			[]Instance{grouped(rack(node("a", "z", 9000, 9000), "r1"), 1), node("b", "z", 9000, 9000), node("c", "z", 9000, 9000)},
			Request{Count: 3, Group: "service:web", Strategies: []Strategy{{Type: StrategySpread, Field: "attribute:rack"}}},
			[]string{"b", "a", "b"}},
		{"spread then binpack within the zone",
			[]Instance{node("a1", "us-east-1a", 9000, 3000), node("a2", "us-east-1a", 9000, 1000), node("b1", "us-east-1b", 9000, 2000)},
			Request{Count: 4, Memory: 500, Group: "service:web", Strategies: []Strategy{{Type: StrategySpread, Field: "attribute:ecs.availability-zone"}, {Type: StrategyBinpack, Field: "memory"}}},
			[]string{"a2", "b1", "a2", "b1"}},
		{"strategies after random have no effect",
			[]Instance{node("a", "z", 9000, 9000), node("b", "z", 9000, 100)},
			Request{Count: 2, Strategies: []Strategy{{Type: StrategyRandom}, {Type: StrategyBinpack, Field: "memory"}}},
			[]string{"a", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place(tt.ins, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Result{Placements: arns(tt.want...)}, got); diff != "" {
				t.Errorf("Place (-want +got):\n%s", diff)
			}
		})
	}
}

// cluster returns n connected instances spread over three zones.
func cluster(n int, cpu, mem int32) []Instance {
	ins := make([]Instance, n)
	for k := range ins {
		ins[k] = node(fmt.Sprintf("%04d", k), fmt.Sprintf("us-east-1%c", 'a'+k%3), cpu, mem)
	}
	return ins
}

func TestPlaceRandomIsSeeded(t *testing.T) {
	ins := cluster(5, 9000, 9000)
	place := func(seed uint64, strategies []Strategy) []string {
		t.Helper()
		res, err := Place(ins, Request{Count: 20, Group: "family:job", Strategies: strategies, Rand: rand.New(rand.NewPCG(seed, 0))})
		if err != nil || len(res.Placements) != 20 {
			t.Fatalf("Place = %v, %v; want 20 placements", res, err)
		}
		return res.Placements
	}
	tests := []struct {
		name       string
		strategies []Strategy
	}{
		{"random", []Strategy{{Type: StrategyRandom}}},
		{"no strategy", nil},
		{"ties of spread", []Strategy{{Type: StrategySpread, Field: "instanceId"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := place(1, tt.strategies)
			if diff := cmp.Diff(first, place(1, tt.strategies)); diff != "" {
				t.Errorf("same seed, different placements (-first +second):\n%s", diff)
			}
			if cmp.Equal(first, place(2, tt.strategies)) {
				t.Errorf("seeds 1 and 2 placed 20 tasks identically: %v", first)
			}
		})
	}
}

func TestPlaceSpreadWithRandomTies(t *testing.T) {
	ins := cluster(6, 9000, 9000)
	res, err := Place(ins, Request{Count: 60, Group: "service:web", Strategies: ServiceDefault(), Rand: rand.New(rand.NewPCG(7, 7))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range res.Placements {
		got[a]++
	}
	want := map[string]int{}
	for _, in := range ins {
		want[in.Arn] = 10
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tasks per instance (-want +got):\n%s", diff)
	}
}

// TestPlaceBatches checks that placing tasks a few at a time, recording each
// batch as the service scheduler does, places them as one call would.
func TestPlaceBatches(t *testing.T) {
	tests := []struct {
		name string
		r    Request
	}{
		{"service default", Request{Count: 30, CPU: 256, Memory: 512, Group: "service:web", Strategies: ServiceDefault()}},
		{"spread and binpack", Request{Count: 30, CPU: 256, Memory: 700, Group: "service:web",
			Strategies: []Strategy{{Type: StrategySpread, Field: "attribute:ecs.availability-zone"}, {Type: StrategyBinpack, Field: "memory"}}}},
		{"distinct with ports", Request{Count: 12, TCPPorts: []int32{80}, Group: "service:web",
			Constraints: []Constraint{{Type: ConstraintDistinctInstance}, {Type: ConstraintMemberOf, Expression: "runningTasksCount < 5"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ins := cluster(9, 2048, 4096)
			whole, err := Place(ins, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			var batched Result
			for left := tt.r.Count; left > 0; left -= 4 {
				r := tt.r
				r.Count = min(4, left)
				res, err := Place(ins, r)
				if err != nil {
					t.Fatal(err)
				}
				batched.Placements = append(batched.Placements, res.Placements...)
				batched.Failures = append(batched.Failures, res.Failures...)
				ins = apply(ins, r, res)
			}
			if diff := cmp.Diff(whole, batched); diff != "" {
				t.Errorf("one call vs batches of 4 (-one +batches):\n%s", diff)
			}
		})
	}
}

// benchCluster returns n instances over three zones, each with room for 16
// tasks of benchRequest, and their own maps so record may change them.
func benchCluster(n int) []Instance {
	ins := cluster(n, 4096, 16384)
	for k := range ins {
		ins[k].TCPPorts = map[int32]bool{22: true}
		ins[k].TaskGroups = map[string]int{"service:other": k % 4}
		ins[k].RunningTasksCount = k % 4
	}
	return ins
}

// benchRequest is a service's task: spread over zones, then over instances,
// then binpacked on memory, on Linux instances only.
func benchRequest(count int, seed uint64) Request {
	return Request{
		Count: count, CPU: 256, Memory: 1024, Group: "service:web",
		Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "attribute:ecs.os-type == linux"}},
		Strategies: []Strategy{
			{Type: StrategySpread, Field: "attribute:ecs.availability-zone"},
			{Type: StrategySpread, Field: "instanceId"},
			{Type: StrategyBinpack, Field: "memory"},
		},
		Rand: rand.New(rand.NewPCG(seed, seed)),
	}
}

// record makes the placements of res on ins in place, as the service
// scheduler commits them before its next call.
func record(ins []Instance, index map[string]int, r Request, res Result) {
	for _, a := range res.Placements {
		in := &ins[index[a]]
		in.CPU -= r.CPU
		in.Memory -= r.Memory
		in.TaskGroups[r.Group]++
		in.RunningTasksCount++
	}
}

// BenchmarkPlace places 10,000 tasks onto 1,000 instances, in batches as the
// service scheduler does and in one call, and reports placements per second.
//
//	go test ./internal/placement -run '^$' -bench BenchmarkPlace -benchtime 5x
func BenchmarkPlace(b *testing.B) {
	const instances, tasks = 1000, 10000
	for _, batch := range []int{10, 100, tasks} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			placed := 0
			for n := 0; b.Loop(); n++ {
				b.StopTimer()
				ins := benchCluster(instances)
				index := make(map[string]int, len(ins))
				for i := range ins {
					index[ins[i].Arn] = i
				}
				b.StartTimer()
				for left := tasks; left > 0; left -= batch {
					r := benchRequest(min(batch, left), uint64(n))
					res, err := Place(ins, r)
					if err != nil || len(res.Failures) > 0 {
						b.Fatalf("Place: %v, %d failures", err, len(res.Failures))
					}
					record(ins, index, r, res)
					placed += len(res.Placements)
				}
			}
			b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
		})
	}
}
