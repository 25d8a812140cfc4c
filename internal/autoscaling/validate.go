package autoscaling

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
)

// Request validation, with AWS's messages where they are known: the
// model's constraints ("1 validation error detected: Value null at
// 'resourceId' failed to satisfy constraint: Member must not be null") and
// the texts AWS answers for bad policies (quoted in the comments). Where
// AWS's wording is not documented the message is Tide's, written in the
// same style; docs/autoscaling.md lists them.

// violations collects the model-constraint failures of one request, in
// AWS's "N validation error(s) detected: ...; ..." form.
type violations []string

func (v *violations) null(member string) {
	*v = append(*v, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

func (v *violations) enum(member, value string, set []string) {
	if !slices.Contains(set, value) {
		*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, member, strings.Join(set, ", ")))
	}
}

func (v *violations) length(member, value string, lo, hi int) {
	switch n := len(value); {
	case n < lo:
		*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", value, member, lo))
	case n > hi:
		*v = append(*v, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", value, member, hi))
	}
}

func (v *violations) atLeast(member string, value, lo int64) {
	if value < lo {
		*v = append(*v, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", value, member, lo))
	}
}

func (v *violations) atMost(member string, value, hi int64) {
	if value > hi {
		*v = append(*v, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", value, member, hi))
	}
}

func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return validation("1 validation error detected: %s", v[0])
	}
	return validation("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

// The model's enums.
var (
	serviceNamespaces = []string{"ecs", "elasticmapreduce", "ec2", "appstream", "dynamodb", "rds", "sagemaker", "custom-resource",
		"comprehend", "lambda", "cassandra", "kafka", "elasticache", "neptune", "workspaces"}
	scalableDimensions = []string{"ecs:service:DesiredCount", "ec2:spot-fleet-request:TargetCapacity", "elasticmapreduce:instancegroup:InstanceCount",
		"appstream:fleet:DesiredCapacity", "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits", "dynamodb:index:ReadCapacityUnits",
		"dynamodb:index:WriteCapacityUnits", "rds:cluster:ReadReplicaCount", "sagemaker:variant:DesiredInstanceCount", "custom-resource:ResourceType:Property",
		"comprehend:document-classifier-endpoint:DesiredInferenceUnits", "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits",
		"lambda:function:ProvisionedConcurrency", "cassandra:table:ReadCapacityUnits", "cassandra:table:WriteCapacityUnits", "kafka:broker-storage:VolumeSize",
		"elasticache:cache-cluster:Nodes", "elasticache:replication-group:NodeGroups", "elasticache:replication-group:Replicas", "neptune:cluster:ReadReplicaCount",
		"sagemaker:variant:DesiredProvisionedConcurrency", "sagemaker:inference-component:DesiredCopyCount", "workspaces:workspacespool:DesiredUserSessions"}
	metricTypes = []string{"DynamoDBReadCapacityUtilization", "DynamoDBWriteCapacityUtilization", "ALBRequestCountPerTarget", "RDSReaderAverageCPUUtilization",
		"RDSReaderAverageDatabaseConnections", "EC2SpotFleetRequestAverageCPUUtilization", "EC2SpotFleetRequestAverageNetworkIn",
		"EC2SpotFleetRequestAverageNetworkOut", "SageMakerVariantInvocationsPerInstance", "ECSServiceAverageCPUUtilization",
		"ECSServiceAverageMemoryUtilization", "AppStreamAverageCapacityUtilization", "ComprehendInferenceUtilization",
		"LambdaProvisionedConcurrencyUtilization", "CassandraReadCapacityUtilization", "CassandraWriteCapacityUtilization",
		"KafkaBrokerStorageUtilization", "ElastiCacheEngineCPUUtilization", "ElastiCacheDatabaseMemoryUsagePercentage",
		"ElastiCachePrimaryEngineCPUUtilization", "ElastiCacheReplicaEngineCPUUtilization", "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage",
		"NeptuneReaderAverageCPUUtilization", "SageMakerVariantProvisionedConcurrencyUtilization",
		"ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage", "SageMakerInferenceComponentInvocationsPerCopy",
		"WorkSpacesAverageUserSessionsCapacityUtilization", "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
		"SageMakerVariantConcurrentRequestsPerModelHighResolution"}
	policyTypes       = []string{"StepScaling", "TargetTrackingScaling", "PredictiveScaling"}
	adjustmentTypes   = []string{"ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"}
	aggregationTypes  = []string{"Average", "Minimum", "Maximum"}
	metricStatistics  = []string{"Average", "Minimum", "Maximum", "SampleCount", "Sum"}
	ecsMetricTypes    = []string{"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"}
	maxStepAdjustment = 20 // "Maximum number of step adjustments per step scaling policy: 20"
)

// ref is a validated (namespace, resource ID, dimension) triple.
type ref struct {
	namespace, resource, dimension string
}

// ecs reports whether the triple names an ECS service, the only resources
// Tide has.
func (r ref) ecs() bool { return r.namespace == namespaceECS }

// checkRef validates the members that name a scalable target: present,
// in the model's enums, and consistent with each other ("Unsupported
// service namespace, resource type or scalable dimension" otherwise, as AWS
// answers a dimension of another namespace or a malformed resource ID).
func checkRef(ns, resource, dim *string) (ref, error) {
	var v violations
	if ns == nil {
		v.null("serviceNamespace")
	} else {
		v.enum("serviceNamespace", *ns, serviceNamespaces)
	}
	if resource == nil {
		v.null("resourceId")
	} else {
		v.length("resourceId", *resource, 1, 1600)
	}
	if dim == nil {
		v.null("scalableDimension")
	} else {
		v.enum("scalableDimension", *dim, scalableDimensions)
	}
	if err := v.err(); err != nil {
		return ref{}, err
	}
	r := ref{*ns, *resource, *dim}
	if !strings.HasPrefix(r.dimension, r.namespace+":") {
		return ref{}, validation("Unsupported service namespace, resource type or scalable dimension")
	}
	if _, _, ok := serviceOf(r.resource); r.ecs() && !ok {
		return ref{}, validation("Unsupported service namespace, resource type or scalable dimension")
	}
	return r, nil
}

// elsewhere is RegisterScalableTarget's answer for a resource of another
// service: it does not exist here.
func elsewhere(r ref) error {
	return validation("%s resource doesn't exist: %s (Tide scales ECS services, service namespace ecs, only)", r.namespace, r.resource)
}

// checkTargetTracking validates a target tracking configuration for an ECS
// service.
func checkTargetTracking(c *TargetTrackingScalingPolicyConfiguration) error {
	const m = "targetTrackingScalingPolicyConfiguration"
	if c == nil {
		return validation("TargetTrackingScalingPolicyConfiguration must be specified for a TargetTrackingScaling policy")
	}
	var v violations
	if c.TargetValue == nil {
		v.null(m + ".targetValue")
	}
	if c.ScaleOutCooldown != nil {
		v.atLeast(m+".scaleOutCooldown", int64(*c.ScaleOutCooldown), 0)
	}
	if c.ScaleInCooldown != nil {
		v.atLeast(m+".scaleInCooldown", int64(*c.ScaleInCooldown), 0)
	}
	if pm := c.PredefinedMetricSpecification; pm != nil {
		v.enum(m+".predefinedMetricSpecification.predefinedMetricType", pm.PredefinedMetricType, metricTypes)
		if pm.ResourceLabel != nil {
			v.length(m+".predefinedMetricSpecification.resourceLabel", *pm.ResourceLabel, 1, 1023)
		}
	}
	if cm := c.CustomizedMetricSpecification; cm != nil && cm.Statistic != nil {
		v.enum(m+".customizedMetricSpecification.statistic", *cm.Statistic, metricStatistics)
	}
	if err := v.err(); err != nil {
		return err
	}
	if t := *c.TargetValue; t <= 0 || math.IsInf(t, 0) || math.IsNaN(t) {
		return validation("The target value must be greater than 0 for scalable dimension ecs:service:DesiredCount")
	}
	switch {
	case c.PredefinedMetricSpecification != nil && c.CustomizedMetricSpecification != nil:
		return validation("Only one of PredefinedMetricSpecification and CustomizedMetricSpecification can be specified")
	case c.PredefinedMetricSpecification != nil:
		return checkPredefined(c.PredefinedMetricSpecification)
	case c.CustomizedMetricSpecification != nil:
		return checkCustomized(c.CustomizedMetricSpecification)
	}
	return validation("Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified")
}

// albLabel matches ALBRequestCountPerTarget's ResourceLabel:
// app/LOAD-BALANCER/ID/targetgroup/TARGET-GROUP/ID.
var albLabel = regexp.MustCompile(`^app/[^/]+/[^/]+/targetgroup/[^/]+/[^/]+$`)

func checkPredefined(pm *PredefinedMetricSpecification) error {
	if !slices.Contains(ecsMetricTypes, pm.PredefinedMetricType) {
		return validation("Unsupported predefined metric type %s for scalable dimension ecs:service:DesiredCount", pm.PredefinedMetricType)
	}
	if pm.PredefinedMetricType != "ALBRequestCountPerTarget" {
		return nil
	}
	// "To use the ALBRequestCountPerTarget metric, you must specify the
	// ResourceLabel parameter to identify the target group."
	if pm.ResourceLabel == nil {
		return validation("Resource label should be specified for predefined metric type ALBRequestCountPerTarget")
	}
	if !albLabel.MatchString(*pm.ResourceLabel) {
		return validation("Invalid resource label %s for predefined metric type ALBRequestCountPerTarget: it must be app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>", *pm.ResourceLabel)
	}
	return nil
}

// queryID is the form of a metric math query's Id: "The first character
// must be a lowercase letter", then letters, numbers and underscores.
var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func checkCustomized(cm *CustomizedMetricSpecification) error {
	if len(cm.Metrics) == 0 {
		if cm.MetricName == nil || cm.Namespace == nil || cm.Statistic == nil {
			return validation("CustomizedMetricSpecification must specify MetricName, Namespace and Statistic, or Metrics")
		}
		return nil
	}
	if cm.MetricName != nil || cm.Namespace != nil || cm.Statistic != nil || cm.Unit != nil || len(cm.Dimensions) > 0 {
		return validation("CustomizedMetricSpecification cannot specify both Metrics and MetricName, Namespace, Dimensions, Statistic or Unit")
	}
	ids, returned := map[string]bool{}, 0
	for _, q := range cm.Metrics {
		switch {
		case q.Id == nil || !queryID.MatchString(*q.Id):
			return validation("Invalid metric query Id: it must start with a lowercase letter and contain only letters, numbers and underscores")
		case ids[*q.Id]:
			return validation("Duplicate metric query Id %s", *q.Id)
		case (q.Expression == nil) == (q.MetricStat == nil):
			return validation("Metric query %s must specify exactly one of Expression and MetricStat", *q.Id)
		case q.MetricStat != nil && (q.MetricStat.Metric == nil || q.MetricStat.Stat == nil ||
			q.MetricStat.Metric.Namespace == nil || q.MetricStat.Metric.MetricName == nil):
			return validation("Metric query %s: MetricStat must specify Metric (with Namespace and MetricName) and Stat", *q.Id)
		}
		ids[*q.Id] = true
		if q.ReturnData == nil && len(cm.Metrics) == 1 || q.ReturnData != nil && *q.ReturnData {
			returned++
		}
	}
	if returned != 1 {
		return validation("Exactly one metric query must have ReturnData set to true")
	}
	return nil
}

// checkStepScaling validates a step scaling configuration with AWS's
// rules ("Step adjustments"): "The ranges of your step adjustments can't
// overlap or have a gap. Only one step adjustment can have a null lower
// bound (negative infinity). If one step adjustment has a negative lower
// bound, then there must be a step adjustment with a null lower bound. Only
// one step adjustment can have a null upper bound (positive infinity). If
// one step adjustment has a positive upper bound, then there must be a step
// adjustment with a null upper bound. The upper and lower bound can't be
// null in the same step adjustment."
func checkStepScaling(c *StepScalingPolicyConfiguration) error {
	const m = "stepScalingPolicyConfiguration"
	if c == nil {
		return validation("StepScalingPolicyConfiguration must be specified for a StepScaling policy")
	}
	var v violations
	if c.AdjustmentType != nil {
		v.enum(m+".adjustmentType", *c.AdjustmentType, adjustmentTypes)
	}
	if c.MetricAggregationType != nil {
		v.enum(m+".metricAggregationType", *c.MetricAggregationType, aggregationTypes)
	}
	if c.Cooldown != nil {
		v.atLeast(m+".cooldown", int64(*c.Cooldown), 0)
	}
	for i, s := range c.StepAdjustments {
		if s.ScalingAdjustment == nil {
			v.null(fmt.Sprintf("%s.stepAdjustments.%d.member.scalingAdjustment", m, i+1))
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	switch {
	case c.AdjustmentType == nil:
		return validation("AdjustmentType must be specified for a step scaling policy configuration")
	case len(c.StepAdjustments) == 0:
		return validation("At least one step adjustment must be specified for a step scaling policy configuration")
	case len(c.StepAdjustments) > maxStepAdjustment:
		return validation("There can be at most %d step adjustments per scaling policy", maxStepAdjustment)
	case c.MinAdjustmentMagnitude != nil && *c.AdjustmentType != "PercentChangeInCapacity":
		return validation("MinAdjustmentMagnitude is not supported by the specified adjustment type %s", *c.AdjustmentType)
	case c.MinAdjustmentMagnitude != nil && *c.MinAdjustmentMagnitude < 0:
		return validation("MinAdjustmentMagnitude must be greater than or equal to 0")
	}
	return checkIntervals(c.StepAdjustments)
}

// checkIntervals checks that the steps' intervals tile the line as AWS
// requires.
func checkIntervals(steps []StepAdjustment) error {
	nullLower, nullUpper, negLower, posUpper := 0, 0, false, false
	for _, s := range steps {
		lo, hi := s.MetricIntervalLowerBound, s.MetricIntervalUpperBound
		switch {
		case lo == nil && hi == nil:
			// AWS: "Both lower and upper bounds of a step adjustment cannot be left unspecified".
			return validation("Both lower and upper bounds of a step adjustment cannot be left unspecified")
		case lo != nil && (math.IsNaN(*lo) || math.IsInf(*lo, 0)) || hi != nil && (math.IsNaN(*hi) || math.IsInf(*hi, 0)):
			return validation("The bounds of a step adjustment must be finite numbers")
		case lo != nil && hi != nil && *lo >= *hi:
			return validation("The lower bound of a step adjustment must be less than its upper bound: lower bound %v, upper bound %v", *lo, *hi)
		}
		if lo == nil {
			nullLower++
		} else if *lo < 0 {
			negLower = true
		}
		if hi == nil {
			nullUpper++
		} else if *hi > 0 {
			posUpper = true
		}
	}
	switch {
	case nullLower > 1:
		return validation("At most one step adjustment may have an unspecified lower bound")
	case nullUpper > 1:
		return validation("At most one step adjustment may have an unspecified upper bound")
	case negLower && nullLower == 0:
		return validation("There must be a step adjustment with an unspecified lower bound when one step adjustment has a negative lower bound")
	case posUpper && nullUpper == 0:
		// AWS: "There must be a step adjustment with an unspecified upper bound when one step adjustment has a positive upper bound".
		return validation("There must be a step adjustment with an unspecified upper bound when one step adjustment has a positive upper bound")
	}
	sorted := slices.Clone(steps)
	slices.SortFunc(sorted, func(x, y StepAdjustment) int { return cmpFloat(lowerBound(x), lowerBound(y)) })
	for i := 1; i < len(sorted); i++ {
		switch prev, cur := upperBound(sorted[i-1]), lowerBound(sorted[i]); {
		case cur < prev:
			return validation("Step adjustment intervals cannot overlap")
		case cur > prev:
			return validation("Step adjustment intervals cannot have gaps between them")
		}
	}
	return nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
