package autoscaling

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"tide/internal/awsjson"
	"tide/internal/store"
)

// policyRecord is a scaling policy as stored.
type policyRecord struct {
	ScalingPolicy
	ID string `json:"id"`
	// HighAlarm and LowAlarm are a target tracking policy's alarms, and
	// AlarmAction their action: the policy ARN with ":createdBy/<uuid>".
	HighAlarm   string `json:"highAlarm,omitempty"`
	LowAlarm    string `json:"lowAlarm,omitempty"`
	AlarmAction string `json:"alarmAction,omitempty"`
}

// maxPolicies is AWS's quota: "Maximum number of scaling policies per
// scalable target: 50".
const maxPolicies = 50

func (a *API) policies(resource string) []*policyRecord {
	return decodePolicies(a.store.List(policyPrefix(resource)))
}

func decodePolicies(kvs []store.KV) []*policyRecord {
	var out []*policyRecord
	for _, kv := range kvs {
		var p policyRecord
		if json.Unmarshal(kv.Value, &p) == nil {
			out = append(out, &p)
		}
	}
	return out
}

func (a *API) policy(resource, name string) (*policyRecord, bool) {
	kv, ok := a.store.Get(policyKey(resource, name))
	if !ok {
		return nil, false
	}
	var p policyRecord
	return &p, json.Unmarshal(kv.Value, &p) == nil
}

func checkPolicyName(v *violations, name *string) {
	if name == nil {
		v.null("policyName")
		return
	}
	v.length("policyName", *name, 1, 256)
	for _, r := range *name {
		if !unicode.IsPrint(r) {
			*v = append(*v, "Value '"+*name+"' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{Print}+")
			break
		}
	}
}

func (a *API) putScalingPolicy(ctx context.Context, in *PutScalingPolicyInput) (*PutScalingPolicyOutput, error) {
	var v violations
	checkPolicyName(&v, in.PolicyName)
	if in.PolicyType != nil {
		v.enum("policyType", *in.PolicyType, policyTypes)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	if _, ok := a.target(r.resource); !r.ecs() || !ok {
		return nil, refNotFound(r)
	}
	defer a.lock(r.resource)()
	p, old, err := a.newPolicy(r.resource, *in.PolicyName, in.PolicyType)
	if err != nil {
		return nil, err
	}
	if err := a.configure(ctx, p, old, in); err != nil {
		a.undoAlarms(ctx, p, old)
		return nil, err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	writes := []store.Write{store.Put(policyKey(p.ResourceId, p.PolicyName), b, store.Any)}
	var stale []string // alarms the policy no longer has
	if old != nil && p.HighAlarm != old.HighAlarm {
		writes, stale = append(writes, orphanWrites(old)...), old.alarmNames()
	}
	if _, err := a.store.Commit(ctx, writes...); err != nil {
		a.undoAlarms(ctx, p, old)
		return nil, err
	}
	if err := a.deleteOrphans(ctx, stale...); err != nil {
		a.log.Warn("delete the alarms of a replaced policy; the controller retries", "policy", p.PolicyARN, "err", err)
	}
	return &PutScalingPolicyOutput{PolicyARN: p.PolicyARN, Alarms: p.Alarms}, nil
}

// undoAlarms deletes the alarms a failed put created (those the existing
// policy does not own).
func (a *API) undoAlarms(ctx context.Context, p, old *policyRecord) {
	if p.HighAlarm == "" || old != nil && old.HighAlarm == p.HighAlarm {
		return
	}
	if err := a.cfg.Alarms.DeleteAlarms(ctx, p.alarmNames()...); err != nil {
		a.log.Warn("delete the alarms of a failed put", "policy", p.PolicyARN, "err", err)
	}
}

// newPolicy returns the record a put starts from: the existing policy's
// identity, or a new one; and the existing policy.
func (a *API) newPolicy(resource, name string, typ *string) (*policyRecord, *policyRecord, error) {
	p := &policyRecord{ScalingPolicy: ScalingPolicy{PolicyName: name, ServiceNamespace: namespaceECS, ResourceId: resource,
		ScalableDimension: dimensionECS, CreationTime: awsjson.At(a.now()), Alarms: []Alarm{}}}
	old, exists := a.policy(resource, name)
	switch {
	case exists:
		p.ID, p.CreationTime, p.PolicyType = old.ID, old.CreationTime, old.PolicyType
	case typ == nil:
		// "This parameter is required if you are creating a scaling policy."
		return nil, nil, validation("PolicyType must be specified when creating a scaling policy")
	case len(a.policies(resource)) >= maxPolicies:
		return nil, nil, limitExceeded("The maximum number of scaling policies (%d) for the scalable target %s has been reached", maxPolicies, resource)
	default:
		p.ID, old = newID(), nil
	}
	if typ != nil {
		p.PolicyType = *typ
	}
	p.PolicyARN = a.policyARN(p.ID, resource, name)
	return p, old, nil
}

// configure validates and sets the policy's configuration for its type
// (the request's, or on an update that gives none, the existing one's) and
// creates a target tracking policy's alarms.
func (a *API) configure(ctx context.Context, p, old *policyRecord, in *PutScalingPolicyInput) error {
	same := old != nil && old.PolicyType == p.PolicyType
	switch p.PolicyType {
	case "TargetTrackingScaling":
		c := in.TargetTrackingScalingPolicyConfiguration
		if c == nil && same {
			c = old.TargetTrackingScalingPolicyConfiguration
		}
		if err := checkTargetTracking(c); err != nil {
			return err
		}
		if err := a.checkDuplicateMetric(p, c); err != nil {
			return err
		}
		p.TargetTrackingScalingPolicyConfiguration = c
		if same {
			p.HighAlarm, p.LowAlarm, p.AlarmAction = old.HighAlarm, old.LowAlarm, old.AlarmAction
		} else {
			p.HighAlarm = "TargetTracking-" + p.ResourceId + "-AlarmHigh-" + newID()
			p.LowAlarm = "TargetTracking-" + p.ResourceId + "-AlarmLow-" + newID()
			p.AlarmAction = p.PolicyARN + ":createdBy/" + newID()
		}
		return a.putAlarms(ctx, p)
	case "StepScaling":
		c := in.StepScalingPolicyConfiguration
		if c == nil && same {
			c = old.StepScalingPolicyConfiguration
		}
		p.StepScalingPolicyConfiguration = c
		return checkStepScaling(c)
	default: // PredictiveScaling
		c := in.PredictiveScalingPolicyConfiguration
		if c == nil && same {
			c = old.PredictiveScalingPolicyConfiguration
		}
		if err := checkPredictive(c); err != nil {
			return err
		}
		if c.Mode == nil {
			mode := "ForecastOnly" // "Defaults to ForecastOnly if not specified."
			c.Mode = &mode
		}
		p.PredictiveScalingPolicyConfiguration = c
		return nil
	}
}

// checkDuplicateMetric refuses a second target tracking policy on the same
// metric, as AWS does.
func (a *API) checkDuplicateMetric(p *policyRecord, c *TargetTrackingScalingPolicyConfiguration) error {
	for _, other := range a.policies(p.ResourceId) {
		if other.PolicyName != p.PolicyName && other.PolicyType == "TargetTrackingScaling" && sameMetric(c, other.TargetTrackingScalingPolicyConfiguration) {
			return validation("Only one TargetTrackingScaling policy for a given metric specification is allowed.")
		}
	}
	return nil
}

// sameMetric reports whether two target tracking configurations track the
// same metric, whatever their targets and cooldowns.
func sameMetric(x, y *TargetTrackingScalingPolicyConfiguration) bool {
	if x == nil || y == nil {
		return false
	}
	if x.PredefinedMetricSpecification != nil || y.PredefinedMetricSpecification != nil {
		return x.PredefinedMetricSpecification != nil && y.PredefinedMetricSpecification != nil &&
			x.PredefinedMetricSpecification.PredefinedMetricType == y.PredefinedMetricSpecification.PredefinedMetricType &&
			deref(x.PredefinedMetricSpecification.ResourceLabel) == deref(y.PredefinedMetricSpecification.ResourceLabel)
	}
	cx, cy := *x.CustomizedMetricSpecification, *y.CustomizedMetricSpecification
	sortDims := func(d []MetricDimension) []MetricDimension {
		d = slices.Clone(d)
		slices.SortFunc(d, func(a, b MetricDimension) int { return strings.Compare(a.Name+"\x00"+a.Value, b.Name+"\x00"+b.Value) })
		return d
	}
	cx.Dimensions, cy.Dimensions = sortDims(cx.Dimensions), sortDims(cy.Dimensions)
	return reflect.DeepEqual(cx, cy)
}

func (a *API) describeScalingPolicies(ctx context.Context, in *DescribeScalingPoliciesInput) (*DescribeScalingPoliciesOutput, error) {
	if err := checkListing(in.ServiceNamespace, in.ScalableDimension, in.MaxResults); err != nil {
		return nil, err
	}
	out := &DescribeScalingPoliciesOutput{ScalingPolicies: []ScalingPolicy{}}
	if *in.ServiceNamespace != namespaceECS || in.ScalableDimension != nil && *in.ScalableDimension != dimensionECS {
		return out, nil
	}
	prefix := policiesPrefix
	if in.ResourceId != nil {
		prefix = policyPrefix(*in.ResourceId)
	}
	var all []ScalingPolicy
	for _, p := range decodePolicies(a.store.List(prefix)) {
		if len(in.PolicyNames) > 0 && !contains(in.PolicyNames, p.PolicyName) {
			continue
		}
		all = append(all, p.ScalingPolicy)
	}
	page, next, err := paginate(all, func(p ScalingPolicy) string { return p.ResourceId + "\x00" + p.PolicyName }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out.ScalingPolicies, out.NextToken = append(out.ScalingPolicies, page...), next
	return out, nil
}

func (a *API) deleteScalingPolicy(ctx context.Context, in *DeleteScalingPolicyInput) (*Empty, error) {
	var v violations
	checkPolicyName(&v, in.PolicyName)
	if err := v.err(); err != nil {
		return nil, err
	}
	r, err := checkRef(in.ServiceNamespace, in.ResourceId, in.ScalableDimension)
	if err != nil {
		return nil, err
	}
	kv, ok := a.store.Get(policyKey(r.resource, *in.PolicyName))
	if !r.ecs() || !ok {
		return nil, notFound("No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s",
			r.namespace, r.resource, r.dimension, *in.PolicyName)
	}
	p := decodePolicies([]store.KV{kv})
	var alarms []string
	writes := []store.Write{store.Del(kv.Key, kv.ModRev)}
	if len(p) == 1 {
		writes, alarms = append(writes, orphanWrites(p[0])...), p[0].alarmNames()
	}
	if _, err := a.store.Commit(ctx, writes...); errors.Is(err, store.ErrConflict) {
		return nil, concurrentUpdate(r.resource)
	} else if err != nil {
		return nil, err
	}
	// "It also deletes the CloudWatch alarms that Application Auto Scaling
	// created on your behalf."
	if err := a.deleteOrphans(ctx, alarms...); err != nil {
		a.log.Warn("delete the alarms of a deleted policy; the controller retries", "policy", *in.PolicyName, "err", err)
	}
	return &Empty{}, nil
}
