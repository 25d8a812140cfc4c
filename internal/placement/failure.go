package placement

import (
	"fmt"
	"strings"
)

// Failure explains why a task could not be placed.
type Failure struct {
	// Reason is AWS's failure reason, one of the Reason constants.
	Reason string
	// Closest is the ARN of the instance that came closest to fitting,
	// empty when there are no instances.
	Closest string
	// Detail says, in Tide's words, what the closest instance lacks.
	Detail string
}

// Failure reasons. The RESOURCE, AGENT and constraint reasons are those of
// the failures of AWS's RunTask and StartTask; ReasonNoInstances is the
// reason AWS gives when the cluster has no container instances.
const (
	ReasonAgent            = "AGENT"
	ReasonCPU              = "RESOURCE:CPU"
	ReasonMemory           = "RESOURCE:MEMORY"
	ReasonPorts            = "RESOURCE:PORTS"
	ReasonPortsUDP         = "RESOURCE:PORTS_UDP"
	ReasonMemberOf         = "MemberOf placement constraint unsatisfied."
	ReasonDistinctInstance = "DistinctInstance placement constraint unsatisfied."
	ReasonNoInstances      = "No Container Instances were found in your cluster."
)

// stageReasons maps a failed stage to its reason.
var stageReasons = [...]string{
	stageAgent:    ReasonAgent,
	stageCPU:      ReasonCPU,
	stageMemory:   ReasonMemory,
	stagePorts:    ReasonPorts,
	stagePortsUDP: ReasonPortsUDP,
	stageMemberOf: ReasonMemberOf,
	stageDistinct: ReasonDistinctInstance,
}

// failure describes why no instance can take the next task. The closest
// instance is the one that passes the most checks; among those that fail the
// same check, the one with the most CPU (for CPU), the most memory (for
// memory) or the fewest clashing ports (for ports), else the first in input
// order.
func (w *work) failure() Failure {
	best, bestStage := 0, stageAgent
	for i := range w.in {
		st := w.stageOf(i)
		if i == 0 || st > bestStage || (st == bestStage && w.closer(i, best, st)) {
			best, bestStage = i, st
		}
	}
	return Failure{Reason: stageReasons[bestStage], Closest: w.in[best].Arn, Detail: w.detail(best, bestStage)}
}

// closer reports whether instance i is closer to passing check st than
// instance j.
func (w *work) closer(i, j int, st stage) bool {
	a, b := &w.slots[i], &w.slots[j]
	switch st {
	case stageCPU:
		return a.cpu > b.cpu
	case stageMemory:
		return a.mem > b.mem
	case stagePorts:
		return clashes(w.in[i].TCPPorts, a.tcp, w.r.TCPPorts) < clashes(w.in[j].TCPPorts, b.tcp, w.r.TCPPorts)
	case stagePortsUDP:
		return clashes(w.in[i].UDPPorts, a.udp, w.r.UDPPorts) < clashes(w.in[j].UDPPorts, b.udp, w.r.UDPPorts)
	}
	return false
}

// detail says what instance i lacks at check st.
func (w *work) detail(i int, st stage) string {
	s, in, r := &w.slots[i], &w.in[i], w.r
	id := instanceID(in.Arn)
	switch st {
	case stageAgent:
		return fmt.Sprintf("the agent of container instance %s is disconnected", id)
	case stageCPU:
		return fmt.Sprintf("container instance %s has %d CPU units available, the task needs %d", id, s.cpu, r.CPU)
	case stageMemory:
		return fmt.Sprintf("container instance %s has %d MiB of memory available, the task needs %d", id, s.mem, r.Memory)
	case stagePorts:
		return fmt.Sprintf("container instance %s already uses host port %s", id, portList(in.TCPPorts, s.tcp, r.TCPPorts, "tcp"))
	case stagePortsUDP:
		return fmt.Sprintf("container instance %s already uses host port %s", id, portList(in.UDPPorts, s.udp, r.UDPPorts, "udp"))
	case stageMemberOf:
		return fmt.Sprintf("container instance %s does not satisfy the memberOf expression %q", id, w.members[s.failedExpr].text)
	case stageDistinct:
		return fmt.Sprintf("container instance %s already has a task of group %q", id, r.Group)
	}
	return ""
}

// portList lists the wanted ports that are in use or taken, as "80/tcp".
func portList(used map[int32]bool, taken, want []int32, proto string) string {
	var out []string
	for _, p := range want {
		if clashes(used, taken, []int32{p}) > 0 {
			out = append(out, fmt.Sprintf("%d/%s", p, proto))
		}
	}
	return strings.Join(out, ", ")
}

// instanceID returns the ID at the end of a container instance ARN.
func instanceID(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// eventTail ends every placement failure event of the service scheduler.
const eventTail = " For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."

// ServiceEvent returns the service event message AWS's service scheduler
// writes for the failure, as DescribeServices returns it, for example
//
//	(service web) was unable to place a task because no container instance
//	met all of its requirements. The closest matching (container-instance
//	0123abcd) has insufficient CPU units available. For more information,
//	see the Troubleshooting section of the Amazon ECS Developer Guide.
//
// The console shows the same text without the parentheses.
func (f Failure) ServiceEvent(serviceName string) string {
	head := "(service " + serviceName + ") was unable to place a task because no container instance met all of its requirements."
	if f.Closest == "" {
		return head + " Reason: " + ReasonNoInstances + eventTail
	}
	var what string
	switch f.Reason {
	case ReasonCPU:
		what = "has insufficient CPU units available"
	case ReasonMemory:
		what = "has insufficient memory available"
	case ReasonPorts, ReasonPortsUDP:
		what = "is already using a port required by your task"
	default:
		what = `encountered error "` + f.Reason + `"`
	}
	return head + " The closest matching (container-instance " + instanceID(f.Closest) + ") " + what + "." + eventTail
}
