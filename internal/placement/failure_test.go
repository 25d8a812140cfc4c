package placement

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServiceEvent(t *testing.T) {
	const (
		head = "(service web) was unable to place a task because no container instance met all of its requirements."
		tail = " For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
		ci   = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/3f4de1c5ffdd4954af7e75b4be0c8841"
	)
	tests := []struct {
		reason, closest, want string
	}{
		{ReasonNoInstances, "", head + " Reason: No Container Instances were found in your cluster." + tail},
		{ReasonCPU, ci, head + " The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) has insufficient CPU units available." + tail},
		{ReasonMemory, ci, head + " The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) has insufficient memory available." + tail},
		{ReasonPorts, ci, head + " The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) is already using a port required by your task." + tail},
		{ReasonPortsUDP, ci, head + " The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) is already using a port required by your task." + tail},
		{ReasonAgent, ci, head + ` The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) encountered error "AGENT".` + tail},
		{ReasonMemberOf, ci, head + ` The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) encountered error "MemberOf placement constraint unsatisfied.".` + tail},
		{ReasonDistinctInstance, ci, head + ` The closest matching (container-instance 3f4de1c5ffdd4954af7e75b4be0c8841) encountered error "DistinctInstance placement constraint unsatisfied.".` + tail},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got := Failure{Reason: tt.reason, Closest: tt.closest}.ServiceEvent("web")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ServiceEvent (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlaceServiceEvent runs a failure from Place through ServiceEvent, the
// way the service scheduler reports it.
func TestPlaceServiceEvent(t *testing.T) {
	ins := []Instance{node("small", "us-east-1a", 512, 1024), node("large", "us-east-1b", 512, 1536)}
	res, err := Place(ins, Request{Count: 1, CPU: 256, Memory: 2048, Group: "service:web"})
	if err != nil {
		t.Fatal(err)
	}
	want := "(service web) was unable to place a task because no container instance met all of its requirements. " +
		"The closest matching (container-instance large) has insufficient memory available. " +
		"For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
	if len(res.Failures) != 1 {
		t.Fatalf("Failures = %v, want one", res.Failures)
	}
	if diff := cmp.Diff(want, res.Failures[0].ServiceEvent("web")); diff != "" {
		t.Errorf("ServiceEvent (-want +got):\n%s", diff)
	}
}

func TestClosestPrefersLaterChecks(t *testing.T) {
	base := node("x", "us-east-1a", 1024, 1024)
	r := Request{Count: 1, CPU: 512, Memory: 512, TCPPorts: []int32{80}, UDPPorts: []int32{53}, Group: "service:web",
		Constraints: []Constraint{{Type: ConstraintMemberOf, Expression: "attribute:stack == prod"}, {Type: ConstraintDistinctInstance}}}
	// Each instance fails one check; the one failing the latest check is
	// the closest, whatever the order of the instances.
	ladder := []struct {
		id     string
		f      func(*Instance)
		reason string
	}{
		{"agent", func(i *Instance) { i.AgentConnected = false }, ReasonAgent},
		{"cpu", func(i *Instance) { i.CPU = 1 }, ReasonCPU},
		{"memory", func(i *Instance) { i.Memory = 1 }, ReasonMemory},
		{"tcp", func(i *Instance) { i.TCPPorts = map[int32]bool{80: true} }, ReasonPorts},
		{"udp", func(i *Instance) { i.UDPPorts = map[int32]bool{53: true} }, ReasonPortsUDP},
		{"member", func(i *Instance) {}, ReasonMemberOf},
		{"distinct", func(i *Instance) { i.TaskGroups = map[string]int{"service:web": 1} }, ReasonDistinctInstance},
	}
	for n := range ladder {
		t.Run(ladder[n].id, func(t *testing.T) {
			var ins []Instance
			for k := n; k >= 0; k-- { // latest first, so input order cannot decide
				in := with(base, ladder[k].f)
				in.Arn = arn(ladder[k].id)
				if ladder[k].id != "member" {
					in.Attributes = map[string]string{"stack": "prod"}
				}
				ins = append(ins, in)
			}
			res, err := Place(ins, r)
			if err != nil {
				t.Fatal(err)
			}
			got := Failure{}
			if len(res.Failures) == 1 {
				got = res.Failures[0]
				got.Detail = ""
			}
			if diff := cmp.Diff(Failure{Reason: ladder[n].reason, Closest: arn(ladder[n].id)}, got); diff != "" {
				t.Errorf("failure (-want +got):\n%s", diff)
			}
		})
	}
}
