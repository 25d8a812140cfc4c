package autoscaling

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/store"
)

// Scaling activities, worded as AWS words them for ECS ("Scaling activities
// for Application Auto Scaling"):
//
//	Description:   Setting desired count to 2.
//	Cause:         monitor alarm NAME in state ALARM triggered policy NAME
//	               | minimum capacity was set to 2 | maximum capacity was set to 2
//	               | scheduled action name NAME was triggered
//	StatusCode:    Successful | Failed
//	StatusMessage: Successfully set desired count to 2. Change successfully fulfilled by ecs.
//	               | Failed to set desired count to 2. Reason: ...
//
// A scheduled action's change of the range is an activity of its own
// ("Setting min capacity to 1 and max capacity to 5"), and a policy that
// could not scale, with IncludeNotScaledActivities, is one too ("Attempting
// to scale due to alarm triggered", StatusCode Failed, NotScaledReasons).

const (
	// maxActivities is how many activities a target keeps at most.
	maxActivities = 200
	// activityRetention is how long activities are kept: "You can look up
	// scaling activities from the last six weeks."
	activityRetention = 6 * 7 * 24 * time.Hour
	// notScaledEvery is how often one not-scaled reason is recorded while
	// an alarm keeps invoking a policy that cannot scale.
	notScaledEvery = time.Minute
)

// scaleTo sets the desired count of a target's service and records the
// activity; a failure to set it is a Failed activity and the error.
func (a *API) scaleTo(ctx context.Context, resource string, to int, cause string) error {
	cluster, service, _ := serviceOf(resource)
	start := a.now()
	act := ScalingActivity{ActivityId: newID(), ServiceNamespace: namespaceECS, ResourceId: resource, ScalableDimension: dimensionECS,
		Description: fmt.Sprintf("Setting desired count to %d.", to), Cause: cause, StartTime: awsjson.At(start)}
	err := a.cfg.Services.SetDesiredCount(ctx, cluster, service, to)
	if err != nil {
		reason := err.Error()
		if ae := awserr.As(err); ae != nil {
			reason = ae.Message
		}
		act.StatusCode, act.StatusMessage = "Failed", fmt.Sprintf("Failed to set desired count to %d. Reason: %s", to, reason)
	} else {
		act.StatusCode, act.StatusMessage = "Successful", fmt.Sprintf("Successfully set desired count to %d. Change successfully fulfilled by ecs.", to)
	}
	act.EndTime = awsjson.At(a.now())
	a.log.Info("scaling activity", "resource", resource, "desired", to, "cause", cause, "status", act.StatusCode)
	if rerr := a.record(ctx, act); rerr != nil {
		return rerr
	}
	if err != nil {
		return fmt.Errorf("set desired count of %s to %d: %w", resource, to, err)
	}
	return nil
}

// notScaled records that a policy could not scale for one of AWS's
// not-scaled reasons, at most once every notScaledEvery per reason.
func (a *API) notScaled(ctx context.Context, t *targetRecord, current int, cause, code string, now time.Time) error {
	last := time.Time{}
	_, err := a.updateTarget(ctx, t.ResourceId, func(r *targetRecord) error {
		if r.NotScaled == nil {
			r.NotScaled = map[string]time.Time{}
		}
		last = r.NotScaled[code]
		if now.Sub(last) >= notScaledEvery || now.Before(last) {
			r.NotScaled[code] = now
		}
		return nil
	})
	if err != nil || now.Sub(last) < notScaledEvery && !now.Before(last) {
		return err
	}
	reason := NotScaledReason{Code: code}
	n := func(v int) *int32 { c := int32(v); return &c }
	switch code {
	case atMax:
		reason.MaxCapacity = n(int(t.MaxCapacity))
	case atMin:
		reason.MinCapacity = n(int(t.MinCapacity))
	default:
		reason.CurrentCapacity = n(current)
	}
	return a.record(ctx, ScalingActivity{ActivityId: newID(), ServiceNamespace: namespaceECS, ResourceId: t.ResourceId,
		ScalableDimension: dimensionECS, Description: "Attempting to scale due to alarm triggered", Cause: cause,
		StartTime: awsjson.At(now), StatusCode: "Failed", NotScaledReasons: []NotScaledReason{reason}})
}

// record stores an activity and trims the oldest beyond maxActivities.
func (a *API) record(ctx context.Context, act ScalingActivity) error {
	b, err := json.Marshal(&act)
	if err != nil {
		return err
	}
	prefix := activityPrefix(act.ResourceId)
	writes := []store.Write{store.Put(prefix+fmt.Sprintf("%020d-%s", act.StartTime.UnixNano(), act.ActivityId), b, store.Any)}
	if old := a.store.List(prefix); len(old) >= maxActivities {
		for _, kv := range old[:len(old)-maxActivities+1] {
			writes = append(writes, store.Del(kv.Key, store.Any))
		}
	}
	return a.commitAll(ctx, writes)
}

// activities returns a target's activities, newest first.
func (a *API) activities(resource string) []ScalingActivity {
	kvs := a.store.List(activityPrefix(resource))
	out := make([]ScalingActivity, 0, len(kvs))
	for i := len(kvs) - 1; i >= 0; i-- {
		var act ScalingActivity
		if json.Unmarshal(kvs[i].Value, &act) == nil {
			out = append(out, act)
		}
	}
	return out
}

func (a *API) describeScalingActivities(ctx context.Context, in *DescribeScalingActivitiesInput) (*DescribeScalingActivitiesOutput, error) {
	if err := checkListing(in.ServiceNamespace, in.ScalableDimension, in.MaxResults); err != nil {
		return nil, err
	}
	out := &DescribeScalingActivitiesOutput{ScalingActivities: []ScalingActivity{}}
	if *in.ServiceNamespace != namespaceECS || in.ScalableDimension != nil && *in.ScalableDimension != dimensionECS {
		return out, nil
	}
	prefix := activitiesPrefix
	if in.ResourceId != nil {
		prefix = activityPrefix(*in.ResourceId)
	}
	withNotScaled := in.IncludeNotScaledActivities != nil && *in.IncludeNotScaledActivities
	var all []ScalingActivity
	for _, kv := range a.store.List(prefix) {
		var act ScalingActivity
		if json.Unmarshal(kv.Value, &act) != nil || len(act.NotScaledReasons) > 0 && !withNotScaled ||
			in.ResourceId != nil && act.ResourceId != *in.ResourceId {
			continue
		}
		all = append(all, act)
	}
	// Newest first: the key inverts the start time.
	key := func(act ScalingActivity) string {
		return fmt.Sprintf("%020d-%s", math.MaxInt64-act.StartTime.UnixNano(), act.ActivityId)
	}
	page, next, err := paginate(all, key, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out.ScalingActivities, out.NextToken = append(out.ScalingActivities, page...), next
	return out, nil
}

// pruneActivities deletes the activities older than activityRetention.
func (a *API) pruneActivities(ctx context.Context, now time.Time) error {
	var writes []store.Write
	for _, kv := range a.store.List(activitiesPrefix) {
		rest := kv.Key[strings.LastIndexByte(kv.Key, '/')+1:]
		stamp, _, _ := strings.Cut(rest, "-")
		ns, err := strconv.ParseInt(stamp, 10, 64)
		if err == nil && now.Sub(time.Unix(0, ns)) > activityRetention {
			writes = append(writes, store.Del(kv.Key, store.Any))
		}
	}
	return a.commitAll(ctx, writes)
}
