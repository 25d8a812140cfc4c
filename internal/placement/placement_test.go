package placement

import (
	"errors"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"tide/internal/cql"
)

// arn returns the container instance ARN of id in the default cluster.
func arn(id string) string {
	return "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + id
}

// node returns a connected instance in zone az with the given CPU and memory.
func node(id, az string, cpu, mem int32) Instance {
	return Instance{
		Arn: arn(id), ID: "i-" + id, CPU: cpu, Memory: mem, AgentConnected: true,
		Attributes: map[string]string{"ecs.availability-zone": az, "ecs.os-type": "linux"},
	}
}

// with returns in changed by f, so tables can vary one field of a node.
func with(in Instance, f func(*Instance)) Instance {
	f(&in)
	return in
}

// arns returns the ARNs of the ids, for a want list.
func arns(ids ...string) []string {
	out := make([]string, len(ids))
	for k, id := range ids {
		out[k] = arn(id)
	}
	return out
}

// fails returns n copies of a failure on instance id.
func fails(n int, reason, id, detail string) []Failure {
	return repeatFailure(Failure{Reason: reason, Closest: arn(id), Detail: detail}, n)
}

// apply returns a copy of the instances with the placements of res made, as
// the service scheduler records them before its next call of Place.
func apply(ins []Instance, r Request, res Result) []Instance {
	out := make([]Instance, len(ins))
	copy(out, ins)
	index := make(map[string]int, len(ins))
	for i := range ins {
		index[ins[i].Arn] = i
	}
	touched := make(map[int]bool)
	for _, a := range res.Placements {
		i := index[a]
		in := &out[i]
		if !touched[i] {
			touched[i] = true
			in.TCPPorts, in.UDPPorts = maps.Clone(in.TCPPorts), maps.Clone(in.UDPPorts)
			in.TaskGroups = maps.Clone(in.TaskGroups)
			if in.TaskGroups == nil {
				in.TaskGroups = map[string]int{}
			}
		}
		in.CPU -= r.CPU
		in.Memory -= r.Memory
		for _, p := range r.TCPPorts {
			in.TCPPorts = setPort(in.TCPPorts, p)
		}
		for _, p := range r.UDPPorts {
			in.UDPPorts = setPort(in.UDPPorts, p)
		}
		in.TaskGroups[r.Group]++
		in.RunningTasksCount++
	}
	return out
}

func setPort(m map[int32]bool, p int32) map[int32]bool {
	if m == nil {
		m = map[int32]bool{}
	}
	m[p] = true
	return m
}

func TestPlaceResources(t *testing.T) {
	a, b := node("a", "us-east-1a", 1024, 2048), node("b", "us-east-1b", 512, 4096)
	tests := []struct {
		name string
		ins  []Instance
		r    Request
		want Result
	}{
		{"nothing asked", []Instance{a}, Request{}, Result{}},
		{"no instances", nil, Request{Count: 2, CPU: 1},
			Result{Failures: repeatFailure(Failure{Reason: ReasonNoInstances}, 2)}},
		{"exact fit", []Instance{a}, Request{Count: 1, CPU: 1024, Memory: 2048},
			Result{Placements: arns("a")}},
		{"fills then fails on CPU", []Instance{a}, Request{Count: 3, CPU: 512, Memory: 10},
			Result{Placements: arns("a", "a"), Failures: fails(1, ReasonCPU, "a", "container instance a has 0 CPU units available, the task needs 512")}},
		{"memory", []Instance{a, b}, Request{Count: 1, CPU: 100, Memory: 5000},
			Result{Failures: fails(1, ReasonMemory, "b", "container instance b has 4096 MiB of memory available, the task needs 5000")}},
		{"cpu closest has most cpu", []Instance{b, a}, Request{Count: 2, CPU: 2000},
			Result{Failures: fails(2, ReasonCPU, "a", "container instance a has 1024 CPU units available, the task needs 2000")}},
		{"tcp port in use", []Instance{with(a, func(i *Instance) { i.TCPPorts = map[int32]bool{80: true} })},
			Request{Count: 1, TCPPorts: []int32{443, 80}},
			Result{Failures: fails(1, ReasonPorts, "a", "container instance a already uses host port 80/tcp")}},
		{"tcp port taken by the batch", []Instance{a, b}, Request{Count: 3, TCPPorts: []int32{80}},
			Result{Placements: arns("a", "b"), Failures: fails(1, ReasonPorts, "a", "container instance a already uses host port 80/tcp")}},
		{"udp port", []Instance{with(a, func(i *Instance) { i.UDPPorts = map[int32]bool{53: true}; i.TCPPorts = map[int32]bool{53: true} })},
			Request{Count: 1, UDPPorts: []int32{53}},
			Result{Failures: fails(1, ReasonPortsUDP, "a", "container instance a already uses host port 53/udp")}},
		{"same number, other protocol", []Instance{with(a, func(i *Instance) { i.UDPPorts = map[int32]bool{53: true} })},
			Request{Count: 1, TCPPorts: []int32{53}},
			Result{Placements: arns("a")}},
		{"ports closest has fewest clashes", []Instance{
			with(a, func(i *Instance) { i.TCPPorts = map[int32]bool{80: true, 443: true} }),
			with(b, func(i *Instance) { i.TCPPorts = map[int32]bool{443: true} }),
		}, Request{Count: 1, TCPPorts: []int32{80, 443}},
			Result{Failures: fails(1, ReasonPorts, "b", "container instance b already uses host port 443/tcp")}},
		{"agent disconnected", []Instance{with(a, func(i *Instance) { i.AgentConnected = false })}, Request{Count: 1},
			Result{Failures: fails(1, ReasonAgent, "a", "the agent of container instance a is disconnected")}},
		{"disconnected instance is skipped", []Instance{with(a, func(i *Instance) { i.AgentConnected = false }), b}, Request{Count: 2, CPU: 256},
			Result{Placements: arns("b", "b")}},
		{"resource failure is closer than agent", []Instance{with(a, func(i *Instance) { i.AgentConnected = false }), b}, Request{Count: 1, CPU: 1000},
			Result{Failures: fails(1, ReasonCPU, "b", "container instance b has 512 CPU units available, the task needs 1000")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place(tt.ins, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceConstraints(t *testing.T) {
	a, b, c := node("a", "us-east-1a", 4096, 4096), node("b", "us-east-1b", 4096, 4096), node("c", "us-east-1c", 4096, 4096)
	gpu := with(c, func(i *Instance) {
		i.Attributes = map[string]string{"ecs.availability-zone": "us-east-1c", "ecs.instance-type": "g2.2xlarge"}
	})
	db := with(b, func(i *Instance) { i.TaskGroups = map[string]int{"service:db": 1} })
	distinct := []Constraint{{Type: ConstraintDistinctInstance}}
	tests := []struct {
		name string
		ins  []Instance
		r    Request
		want Result
	}{
		{"memberOf attribute", []Instance{a, b, gpu}, Request{Count: 2, Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "attribute:ecs.instance-type =~ g2.*"}}},
			Result{Placements: arns("c", "c")}},
		{"memberOf unsatisfied", []Instance{a, b}, Request{Count: 1, Constraints: []Constraint{
			{Type: ConstraintMemberOf, Expression: "attribute:ecs.os-type == linux"},
			{Type: ConstraintMemberOf, Expression: "attribute:ecs.instance-type =~ g2.*"},
		}}, Result{Failures: fails(1, ReasonMemberOf, "a", `container instance a does not satisfy the memberOf expression "attribute:ecs.instance-type =~ g2.*"`)}},
		{"memberOf is closer than resources", []Instance{with(gpu, func(i *Instance) { i.Memory = 1 }), a}, Request{Count: 1, Memory: 10,
			Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "attribute:ecs.instance-type exists"}}},
			Result{Failures: fails(1, ReasonMemberOf, "a", `container instance a does not satisfy the memberOf expression "attribute:ecs.instance-type exists"`)}},
		{"task affinity", []Instance{a, db, c}, Request{Count: 2, Group: "service:web", Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "task:group == service:db"}}},
			Result{Placements: arns("b", "b")}},
		{"anti-affinity sees the batch", []Instance{a, b}, Request{Count: 3, Group: "service:web", Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "not(task:group == service:web)"}}},
			Result{Placements: arns("a", "b"), Failures: fails(1, ReasonMemberOf, "a", `container instance a does not satisfy the memberOf expression "not(task:group == service:web)"`)}},
		{"running task count sees the batch", []Instance{with(a, func(i *Instance) { i.RunningTasksCount = 1 }), b}, Request{Count: 4, Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "runningTasksCount < 2"}}},
			Result{Placements: arns("a", "b", "b"), Failures: fails(1, ReasonMemberOf, "a", `container instance a does not satisfy the memberOf expression "runningTasksCount < 2"`)}},
		{"distinctInstance within the batch", []Instance{a, b, c}, Request{Count: 4, Group: "service:web", Constraints: distinct},
			Result{Placements: arns("a", "b", "c"), Failures: fails(1, ReasonDistinctInstance, "a", `container instance a already has a task of group "service:web"`)}},
		{"distinctInstance counts existing tasks of the group only", []Instance{with(a, func(i *Instance) { i.TaskGroups = map[string]int{"service:web": 1} }), db},
			Request{Count: 1, Group: "service:web", Constraints: distinct},
			Result{Placements: arns("b")}},
		{"distinctInstance and binpack", []Instance{a, with(b, func(i *Instance) { i.Memory = 1024 })},
			Request{Count: 2, Memory: 512, Group: "family:job", Constraints: distinct, Strategies: []Strategy{{Type: StrategyBinpack, Field: "memory"}}},
			Result{Placements: arns("b", "a")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place(tt.ins, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceRejectsBadRequests(t *testing.T) {
	ins := []Instance{node("a", "us-east-1a", 1, 1)}
	tests := []struct {
		name      string
		r         Request
		want      string
		wantCQLAt int // offset of the wrapped *cql.SyntaxError, or -1
	}{
		{"bad expression", Request{Count: 1, Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "attribute:a =="}}},
			`placement constraint 1 (memberOf "attribute:a =="): invalid expression: unexpected end of expression, want a value after == at offset 14`, 14},
		{"empty expression", Request{Constraints: []Constraint{{Type: ConstraintDistinctInstance}, {Type: ConstraintMemberOf}}},
			`placement constraint 2 (memberOf ""): invalid expression: empty expression at offset 0`, 0},
		{"unknown constraint", Request{Count: 1, Constraints: []Constraint{{Type: "sameZone"}}},
			`placement constraint 1: unknown type "sameZone", want distinctInstance or memberOf`, -1},
		{"binpack field", Request{Count: 1, Strategies: []Strategy{{Type: StrategyBinpack, Field: "disk"}}},
			`placement strategy 1: binpack field "disk", want cpu or memory`, -1},
		{"spread field", Request{Count: 1, Strategies: []Strategy{{Type: StrategySpread, Field: "attribute:"}}},
			`placement strategy 1: spread field "attribute:", want instanceId, host or attribute:NAME`, -1},
		{"bad strategy after random", Request{Count: 1, Strategies: []Strategy{{Type: StrategyRandom}, {Type: "pack"}}},
			`placement strategy 2: unknown type "pack", want binpack, spread or random`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Place(ins, tt.r)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Place error = %v, want %q", err, tt.want)
			}
			var se *cql.SyntaxError
			if got := errors.As(err, &se); got != (tt.wantCQLAt >= 0) || (got && se.Offset != tt.wantCQLAt) {
				t.Errorf("errors.As(*cql.SyntaxError) = %v (%v), want offset %d", got, se, tt.wantCQLAt)
			}
		})
	}
}

func TestPlaceDoesNotModifyInput(t *testing.T) {
	ins := []Instance{
		with(node("a", "us-east-1a", 2048, 2048), func(i *Instance) {
			i.TCPPorts, i.UDPPorts = map[int32]bool{22: true}, map[int32]bool{53: true}
			i.TaskGroups = map[string]int{"service:web": 1, "service:db": 2}
		}),
		node("b", "us-east-1b", 2048, 2048),
	}
	before := apply(ins, Request{}, Result{}) // a shallow copy…
	for k := range before {                   // …made deep
		before[k].TaskGroups, before[k].TCPPorts = maps.Clone(ins[k].TaskGroups), maps.Clone(ins[k].TCPPorts)
		before[k].UDPPorts, before[k].Attributes = maps.Clone(ins[k].UDPPorts), maps.Clone(ins[k].Attributes)
	}
	r := Request{Count: 4, CPU: 256, Memory: 256, TCPPorts: []int32{80}, UDPPorts: []int32{5353}, Group: "service:web",
		Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "task:group != service:none or runningTasksCount >= 0"}},
		Strategies:  ServiceDefault(), Rand: rand.New(rand.NewPCG(1, 2))}
	if _, err := Place(ins, r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, ins); diff != "" {
		t.Errorf("Place changed its input (-before +after):\n%s", diff)
	}
}
