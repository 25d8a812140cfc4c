package autoscaling

import (
	"slices"
	"time"
)

// cooldown is what a scalable target remembers of its last policy-driven
// scaling. Scheduled actions and registrations neither start nor wait for
// it: "During a cooldown period, when a scheduled action starts at the
// scheduled time, it can trigger a scaling activity immediately without
// waiting for the cooldown period to expire."
type cooldown struct {
	OutUntil time.Time `json:"outUntil,omitzero"`
	InUntil  time.Time `json:"inUntil,omitzero"`
	// OutFrom is the desired count before the first scale-out of the
	// scale-out cooldown in progress.
	OutFrom int `json:"outFrom,omitempty"`
}

// stepBase is the capacity a step policy's adjustment counts from. "While
// the cooldown period is in effect, capacity added by the initiating
// scale-out activity is calculated as part of the desired capacity for the
// next scale-out activity. For example, when an alarm triggers a step
// scaling policy to increase the capacity by 2, [...] If the alarm triggers
// again during the cooldown period but at a more aggressive step adjustment
// of 3, the previous increase of 2 is considered part of the current
// capacity. Therefore, only 1 is added": during a scale-out cooldown the
// adjustment counts from the capacity before it, and the result happens
// only if it exceeds the desired count already set.
func stepBase(cd cooldown, desired int, now time.Time) int {
	if now.Before(cd.OutUntil) {
		return cd.OutFrom
	}
	return desired
}

// afterScaling is the cooldown state once the desired count went from
// `from` to `to` at now, with the policy's scale-out and scale-in
// cooldowns. A scale-out starts (or, within one, extends) the scale-out
// cooldown and ends a scale-in cooldown: "if another alarm triggers a
// scale-out activity during the scale-in cooldown period, Application Auto
// Scaling scales out the target immediately. In this case, the scale-in
// cooldown period stops and doesn't complete." A scale-in starts the
// scale-in cooldown.
func afterScaling(cd cooldown, from, to int, now time.Time, outCD, inCD time.Duration) cooldown {
	switch {
	case to > from:
		if !now.Before(cd.OutUntil) {
			cd.OutFrom = from
		}
		cd.OutUntil, cd.InUntil = now.Add(outCD), time.Time{}
	case to < from:
		cd.InUntil = now.Add(inCD)
	}
	return cd
}

// situation is what a decision knows of the scalable target.
type situation struct {
	Capacity Capacity
	Min, Max int // in effect: the registered range, raised by predictive scaling
	Cooldown cooldown
	Now      time.Time
	// InSuspended and OutSuspended are the target's
	// DynamicScalingInSuspended and DynamicScalingOutSuspended.
	InSuspended, OutSuspended bool
}

// decide turns the capacity a policy asks for into the desired count to
// set, or the reason it stays. A scale-out is clamped to the maximum and
// never waits for a cooldown: during a scale-out cooldown the policies'
// arithmetic already counts the capacity added ("The scaling policy won't
// increase the desired capacity again unless either a larger scale out is
// triggered or the cooldown period ends"), and during a scale-in cooldown
// it goes ahead immediately. A scale-in is clamped to the minimum and
// waits: for the scale-in cooldown ("scale-in activities are blocked until
// the cooldown period has expired"), for the scale-out cooldown too (the
// tasks just added are not in the metric yet), and for any ECS deployment
// in progress (ECS: "Application Auto Scaling turns off scale-in processes
// while Amazon ECS deployments are in progress").
func decide(want int, s situation) (int, string) {
	cur := s.Capacity.Desired
	switch {
	case want > cur:
		switch {
		case cur >= s.Max:
			return cur, atMax
		case s.OutSuspended:
			return cur, outSuspended
		}
		return min(want, s.Max), ""
	case want < cur:
		switch {
		case cur <= s.Min:
			return cur, atMin
		case s.InSuspended:
			return cur, inSuspended
		case s.Capacity.Deploying:
			return cur, deploying
		case s.Now.Before(s.Cooldown.InUntil) || s.Now.Before(s.Cooldown.OutUntil):
			return cur, coolingDown
		}
		return max(want, s.Min), ""
	}
	return cur, atDesired
}

// proposal is a target tracking policy's latest scale-in request.
type proposal struct {
	Capacity int       `json:"capacity"`
	At       time.Time `json:"at"`
}

// scaleInConsensus arbitrates between the target tracking policies of one
// scalable target. "It will scale out the scalable target if any of the
// target tracking policies are ready for scale out, but will scale in only
// if all of the target tracking policies (with the scale-in portion
// enabled) are ready to scale in", and then "scales based on the policy
// that provides the largest capacity". policies are the names of the
// policies whose scale-in is enabled; a policy is ready when its AlarmLow
// asked within fresh of now. It returns the capacity to scale in to, or
// false while some policy is not ready.
func scaleInConsensus(props map[string]proposal, policies []string, now time.Time, fresh time.Duration) (int, bool) {
	want, ok := 0, false
	for _, name := range slices.Sorted(slices.Values(policies)) {
		p, found := props[name]
		if !found || now.Sub(p.At) > fresh || p.At.After(now) {
			return 0, false
		}
		want, ok = max(want, p.Capacity), true
	}
	return want, ok
}
