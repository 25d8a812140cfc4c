package autoscaling

import "tide/internal/awsjson"

// The operations' shapes (AWS JSON 1.1): Go field names are AWS's member
// names.

type SuspendedState struct {
	DynamicScalingInSuspended  *bool `json:"DynamicScalingInSuspended,omitempty"`
	DynamicScalingOutSuspended *bool `json:"DynamicScalingOutSuspended,omitempty"`
	ScheduledScalingSuspended  *bool `json:"ScheduledScalingSuspended,omitempty"`
}

type ScalableTarget struct {
	ServiceNamespace  string          `json:"ServiceNamespace"`
	ResourceId        string          `json:"ResourceId"`
	ScalableDimension string          `json:"ScalableDimension"`
	MinCapacity       int32           `json:"MinCapacity"`
	MaxCapacity       int32           `json:"MaxCapacity"`
	PredictedCapacity *int32          `json:"PredictedCapacity,omitempty"`
	RoleARN           string          `json:"RoleARN"`
	CreationTime      *awsjson.Time   `json:"CreationTime"`
	SuspendedState    *SuspendedState `json:"SuspendedState,omitempty"`
	ScalableTargetARN string          `json:"ScalableTargetARN"`
}

type RegisterScalableTargetInput struct {
	ServiceNamespace  *string           `json:"ServiceNamespace"`
	ResourceId        *string           `json:"ResourceId"`
	ScalableDimension *string           `json:"ScalableDimension"`
	MinCapacity       *int32            `json:"MinCapacity"`
	MaxCapacity       *int32            `json:"MaxCapacity"`
	RoleARN           *string           `json:"RoleARN"`
	SuspendedState    *SuspendedState   `json:"SuspendedState"`
	Tags              map[string]string `json:"Tags"`
}

type RegisterScalableTargetOutput struct {
	ScalableTargetARN string `json:"ScalableTargetARN"`
}

type DescribeScalableTargetsInput struct {
	ServiceNamespace  *string  `json:"ServiceNamespace"`
	ResourceIds       []string `json:"ResourceIds"`
	ScalableDimension *string  `json:"ScalableDimension"`
	MaxResults        *int32   `json:"MaxResults"`
	NextToken         *string  `json:"NextToken"`
}

type DescribeScalableTargetsOutput struct {
	ScalableTargets []ScalableTarget `json:"ScalableTargets"`
	NextToken       *string          `json:"NextToken,omitempty"`
}

// TargetRef names a scalable target: the members most requests share.
type TargetRef struct {
	ServiceNamespace  *string `json:"ServiceNamespace"`
	ResourceId        *string `json:"ResourceId"`
	ScalableDimension *string `json:"ScalableDimension"`
}

type Empty struct{}

type MetricDimension struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type PredefinedMetricSpecification struct {
	PredefinedMetricType string  `json:"PredefinedMetricType"`
	ResourceLabel        *string `json:"ResourceLabel,omitempty"`
}

type CustomizedMetricSpecification struct {
	MetricName *string           `json:"MetricName,omitempty"`
	Namespace  *string           `json:"Namespace,omitempty"`
	Dimensions []MetricDimension `json:"Dimensions,omitempty"`
	Statistic  *string           `json:"Statistic,omitempty"`
	Unit       *string           `json:"Unit,omitempty"`
}

type TargetTrackingScalingPolicyConfiguration struct {
	TargetValue                   *float64                       `json:"TargetValue"`
	PredefinedMetricSpecification *PredefinedMetricSpecification `json:"PredefinedMetricSpecification,omitempty"`
	CustomizedMetricSpecification *CustomizedMetricSpecification `json:"CustomizedMetricSpecification,omitempty"`
	ScaleOutCooldown              *int32                         `json:"ScaleOutCooldown,omitempty"`
	ScaleInCooldown               *int32                         `json:"ScaleInCooldown,omitempty"`
	DisableScaleIn                *bool                          `json:"DisableScaleIn,omitempty"`
}

type StepAdjustment struct {
	MetricIntervalLowerBound *float64 `json:"MetricIntervalLowerBound,omitempty"`
	MetricIntervalUpperBound *float64 `json:"MetricIntervalUpperBound,omitempty"`
	ScalingAdjustment        *int32   `json:"ScalingAdjustment"`
}

type StepScalingPolicyConfiguration struct {
	AdjustmentType         *string          `json:"AdjustmentType,omitempty"`
	StepAdjustments        []StepAdjustment `json:"StepAdjustments,omitempty"`
	MinAdjustmentMagnitude *int32           `json:"MinAdjustmentMagnitude,omitempty"`
	Cooldown               *int32           `json:"Cooldown,omitempty"`
	MetricAggregationType  *string          `json:"MetricAggregationType,omitempty"`
}

type Alarm struct {
	AlarmName string `json:"AlarmName"`
	AlarmARN  string `json:"AlarmARN"`
}

type PutScalingPolicyInput struct {
	PolicyName                               *string                                   `json:"PolicyName"`
	ServiceNamespace                         *string                                   `json:"ServiceNamespace"`
	ResourceId                               *string                                   `json:"ResourceId"`
	ScalableDimension                        *string                                   `json:"ScalableDimension"`
	PolicyType                               *string                                   `json:"PolicyType"`
	StepScalingPolicyConfiguration           *StepScalingPolicyConfiguration           `json:"StepScalingPolicyConfiguration"`
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:"TargetTrackingScalingPolicyConfiguration"`
	PredictiveScalingPolicyConfiguration     *PredictiveScalingPolicyConfiguration     `json:"PredictiveScalingPolicyConfiguration"`
}

type PutScalingPolicyOutput struct {
	PolicyARN string  `json:"PolicyARN"`
	Alarms    []Alarm `json:"Alarms"`
}

type ScalingPolicy struct {
	PolicyARN                                string                                    `json:"PolicyARN"`
	PolicyName                               string                                    `json:"PolicyName"`
	ServiceNamespace                         string                                    `json:"ServiceNamespace"`
	ResourceId                               string                                    `json:"ResourceId"`
	ScalableDimension                        string                                    `json:"ScalableDimension"`
	PolicyType                               string                                    `json:"PolicyType"`
	StepScalingPolicyConfiguration           *StepScalingPolicyConfiguration           `json:"StepScalingPolicyConfiguration,omitempty"`
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:"TargetTrackingScalingPolicyConfiguration,omitempty"`
	PredictiveScalingPolicyConfiguration     *PredictiveScalingPolicyConfiguration     `json:"PredictiveScalingPolicyConfiguration,omitempty"`
	Alarms                                   []Alarm                                   `json:"Alarms"`
	CreationTime                             *awsjson.Time                             `json:"CreationTime"`
}

type DescribeScalingPoliciesInput struct {
	PolicyNames       []string `json:"PolicyNames"`
	ServiceNamespace  *string  `json:"ServiceNamespace"`
	ResourceId        *string  `json:"ResourceId"`
	ScalableDimension *string  `json:"ScalableDimension"`
	MaxResults        *int32   `json:"MaxResults"`
	NextToken         *string  `json:"NextToken"`
}

type DescribeScalingPoliciesOutput struct {
	ScalingPolicies []ScalingPolicy `json:"ScalingPolicies"`
	NextToken       *string         `json:"NextToken,omitempty"`
}

type DeleteScalingPolicyInput struct {
	PolicyName        *string `json:"PolicyName"`
	ServiceNamespace  *string `json:"ServiceNamespace"`
	ResourceId        *string `json:"ResourceId"`
	ScalableDimension *string `json:"ScalableDimension"`
}

type NotScaledReason struct {
	Code            string `json:"Code"`
	MaxCapacity     *int32 `json:"MaxCapacity,omitempty"`
	MinCapacity     *int32 `json:"MinCapacity,omitempty"`
	CurrentCapacity *int32 `json:"CurrentCapacity,omitempty"`
}

type ScalingActivity struct {
	ActivityId        string            `json:"ActivityId"`
	ServiceNamespace  string            `json:"ServiceNamespace"`
	ResourceId        string            `json:"ResourceId"`
	ScalableDimension string            `json:"ScalableDimension"`
	Description       string            `json:"Description"`
	Cause             string            `json:"Cause"`
	StartTime         *awsjson.Time     `json:"StartTime"`
	EndTime           *awsjson.Time     `json:"EndTime,omitempty"`
	StatusCode        string            `json:"StatusCode"`
	StatusMessage     string            `json:"StatusMessage,omitempty"`
	Details           string            `json:"Details,omitempty"`
	NotScaledReasons  []NotScaledReason `json:"NotScaledReasons,omitempty"`
}

type DescribeScalingActivitiesInput struct {
	ServiceNamespace           *string `json:"ServiceNamespace"`
	ResourceId                 *string `json:"ResourceId"`
	ScalableDimension          *string `json:"ScalableDimension"`
	MaxResults                 *int32  `json:"MaxResults"`
	NextToken                  *string `json:"NextToken"`
	IncludeNotScaledActivities *bool   `json:"IncludeNotScaledActivities"`
}

type DescribeScalingActivitiesOutput struct {
	ScalingActivities []ScalingActivity `json:"ScalingActivities"`
	NextToken         *string           `json:"NextToken,omitempty"`
}

type ScalableTargetAction struct {
	MinCapacity *int32 `json:"MinCapacity,omitempty"`
	MaxCapacity *int32 `json:"MaxCapacity,omitempty"`
}

type PutScheduledActionInput struct {
	ServiceNamespace     *string               `json:"ServiceNamespace"`
	Schedule             *string               `json:"Schedule"`
	Timezone             *string               `json:"Timezone"`
	ScheduledActionName  *string               `json:"ScheduledActionName"`
	ResourceId           *string               `json:"ResourceId"`
	ScalableDimension    *string               `json:"ScalableDimension"`
	StartTime            *awsjson.Time         `json:"StartTime"`
	EndTime              *awsjson.Time         `json:"EndTime"`
	ScalableTargetAction *ScalableTargetAction `json:"ScalableTargetAction"`
}

type ScheduledAction struct {
	ScheduledActionName  string                `json:"ScheduledActionName"`
	ScheduledActionARN   string                `json:"ScheduledActionARN"`
	ServiceNamespace     string                `json:"ServiceNamespace"`
	Schedule             string                `json:"Schedule"`
	Timezone             *string               `json:"Timezone,omitempty"`
	ResourceId           string                `json:"ResourceId"`
	ScalableDimension    string                `json:"ScalableDimension"`
	StartTime            *awsjson.Time         `json:"StartTime,omitempty"`
	EndTime              *awsjson.Time         `json:"EndTime,omitempty"`
	ScalableTargetAction *ScalableTargetAction `json:"ScalableTargetAction,omitempty"`
	CreationTime         *awsjson.Time         `json:"CreationTime"`
}

type DescribeScheduledActionsInput struct {
	ScheduledActionNames []string `json:"ScheduledActionNames"`
	ServiceNamespace     *string  `json:"ServiceNamespace"`
	ResourceId           *string  `json:"ResourceId"`
	ScalableDimension    *string  `json:"ScalableDimension"`
	MaxResults           *int32   `json:"MaxResults"`
	NextToken            *string  `json:"NextToken"`
}

type DescribeScheduledActionsOutput struct {
	ScheduledActions []ScheduledAction `json:"ScheduledActions"`
	NextToken        *string           `json:"NextToken,omitempty"`
}

type DeleteScheduledActionInput struct {
	ServiceNamespace    *string `json:"ServiceNamespace"`
	ScheduledActionName *string `json:"ScheduledActionName"`
	ResourceId          *string `json:"ResourceId"`
	ScalableDimension   *string `json:"ScalableDimension"`
}
