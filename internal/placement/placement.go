// Package placement decides which container instances receive a batch of ECS
// tasks. Place is a pure function of a snapshot of the cluster's instances and
// a request: it reads no store, clock or global random source, and it does not
// modify its input. The caller commits the placements it returns.
//
// Place follows the process of the AWS developer guide ("Amazon ECS task
// placement"): it keeps the instances that have the CPU, memory and host
// ports a task needs, then those that satisfy the placement constraints, then
// applies the placement strategies in order, each one breaking the ties the
// one before it left, and finally picks one of the remaining instances with
// the injected random source. Tasks are placed one after the other on a
// working copy of the instances, so each placement sees the resources, ports
// and task group counts taken by the ones before it.
package placement

import (
	"fmt"
	"math/rand/v2"
	"time"

	"tide/internal/cql"
)

// Instance is a container instance as Place sees it.
type Instance struct {
	// Arn is the container instance ARN that placements name.
	Arn string
	// ID is the instance's ec2InstanceId.
	ID string
	// Attributes holds the instance's attributes, such as
	// ecs.availability-zone, ecs.instance-type and ecs.os-type.
	Attributes map[string]string
	// CPU and Memory are the CPU units and MiB still available.
	CPU, Memory int32
	// TCPPorts and UDPPorts are the host ports in use.
	TCPPorts, UDPPorts map[int32]bool
	// TaskGroups maps a task group to the number of its tasks on the
	// instance; it counts pending as well as running tasks.
	TaskGroups map[string]int
	// RunningTasksCount is the number of tasks on the instance; for
	// memberOf expressions, Place adds the tasks it places.
	RunningTasksCount int
	// AgentConnected reports whether the agent is connected; only instances
	// whose agent is connected receive tasks.
	AgentConnected bool
	// AgentVersion is the agent's version, for cql expressions.
	AgentVersion string
	// RegisteredAt is when the instance registered, for cql expressions.
	RegisteredAt time.Time
}

// Constraint is a task placement constraint.
type Constraint struct {
	// Type is ConstraintDistinctInstance or ConstraintMemberOf.
	Type string
	// Expression is the cluster query language expression of memberOf.
	Expression string
}

// Strategy is a task placement strategy.
type Strategy struct {
	// Type is StrategyBinpack, StrategySpread or StrategyRandom.
	Type string
	// Field is "cpu" or "memory" for binpack, and "instanceId", "host" or
	// "attribute:NAME" for spread.
	Field string
}

// Constraint and strategy types, as the ECS API spells them.
const (
	ConstraintDistinctInstance = "distinctInstance"
	ConstraintMemberOf         = "memberOf"
	StrategyBinpack            = "binpack"
	StrategySpread             = "spread"
	StrategyRandom             = "random"
)

// Request asks for Count tasks of one shape to be placed.
type Request struct {
	// Count is the number of tasks to place.
	Count int
	// CPU and Memory are what each task reserves, in CPU units and MiB.
	CPU, Memory int32
	// TCPPorts and UDPPorts are the fixed host ports each task binds;
	// dynamic host ports need none.
	TCPPorts, UDPPorts []int32
	// Group is the tasks' task group, such as "service:web" or
	// "family:job"; distinctInstance and spread count the tasks of it.
	Group string
	// Constraints must all hold on an instance that receives a task.
	Constraints []Constraint
	// Strategies order the instances that qualify, each breaking the ties
	// of the one before it; strategies after a random one have no effect.
	// With none, the final random pick decides, which is Tide's default
	// for RunTask; the service scheduler passes ServiceDefault instead.
	Strategies []Strategy
	// Rand breaks the ties the strategies leave. With nil, Place picks the
	// first of the tied instances in input order.
	Rand *rand.Rand
}

// Result is the outcome of Place.
type Result struct {
	// Placements holds the ARN of the instance chosen for each placed task,
	// in placement order; an ARN repeats when an instance gets several.
	Placements []string
	// Failures holds one entry for each task that could not be placed.
	Failures []Failure
}

// ServiceDefault returns the strategies the ECS service scheduler uses when a
// service has none: balance the service's tasks across Availability Zones,
// then across the instances of a zone.
func ServiceDefault() []Strategy {
	return []Strategy{
		{Type: StrategySpread, Field: "attribute:ecs.availability-zone"},
		{Type: StrategySpread, Field: "instanceId"},
	}
}

// Place chooses an instance for each of r.Count tasks. It returns an error
// only for a request it cannot interpret: an unknown constraint or strategy,
// or a memberOf expression that does not parse (the error then wraps a
// *cql.SyntaxError). Tasks that fit nowhere become Failures.
func Place(instances []Instance, r Request) (Result, error) {
	members, distinct, err := compileConstraints(r.Constraints)
	if err != nil {
		return Result{}, err
	}
	scorers, err := compileStrategies(r.Strategies)
	if err != nil {
		return Result{}, err
	}
	var res Result
	if r.Count <= 0 {
		return res, nil
	}
	if len(instances) == 0 {
		res.Failures = repeatFailure(Failure{Reason: ReasonNoInstances}, r.Count)
		return res, nil
	}
	w := newWork(instances, &r, members, distinct, scorers)
	for placed := 0; placed < r.Count; placed++ {
		i, ok := w.choose()
		if !ok {
			res.Failures = repeatFailure(w.failure(), r.Count-placed)
			break
		}
		w.place(i)
		if res.Placements == nil {
			res.Placements = make([]string, 0, r.Count)
		}
		res.Placements = append(res.Placements, instances[i].Arn)
	}
	return res, nil
}

// compileConstraints parses the memberOf expressions and reports whether
// distinctInstance is asked for.
func compileConstraints(cs []Constraint) (members []memberOf, distinct bool, err error) {
	for k, c := range cs {
		switch c.Type {
		case ConstraintDistinctInstance:
			distinct = true
		case ConstraintMemberOf:
			e, err := cql.Parse(c.Expression)
			if err != nil {
				return nil, false, fmt.Errorf("placement constraint %d (memberOf %q): %w", k+1, c.Expression, err)
			}
			members = append(members, memberOf{expr: e, text: c.Expression})
		default:
			return nil, false, fmt.Errorf("placement constraint %d: unknown type %q, want distinctInstance or memberOf", k+1, c.Type)
		}
	}
	return members, distinct, nil
}

// repeatFailure returns n copies of f.
func repeatFailure(f Failure, n int) []Failure {
	out := make([]Failure, n)
	for k := range out {
		out[k] = f
	}
	return out
}
