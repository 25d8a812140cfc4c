package ecs

import (
	"encoding/json"

	"tide/internal/awsjson"
)

// Service is ECS's Service shape as the store holds it. Running and pending
// counts are derived from the service's tasks when it is described.
type Service struct {
	ServiceArn                    string                         `json:"serviceArn"`
	ServiceName                   string                         `json:"serviceName"`
	ClusterArn                    string                         `json:"clusterArn"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers"`
	ServiceRegistries             []json.RawMessage              `json:"serviceRegistries"`
	Status                        string                         `json:"status"`
	DesiredCount                  int32                          `json:"desiredCount"`
	RunningCount                  int32                          `json:"runningCount"`
	PendingCount                  int32                          `json:"pendingCount"`
	LaunchType                    string                         `json:"launchType,omitempty"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               string                         `json:"platformVersion,omitempty"`
	PlatformFamily                string                         `json:"platformFamily,omitempty"`
	TaskDefinition                string                         `json:"taskDefinition,omitempty"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration"`
	Deployments                   []*Deployment                  `json:"deployments"`
	RoleArn                       string                         `json:"roleArn,omitempty"`
	Events                        []ServiceEvent                 `json:"events"`
	CreatedAt                     *awsjson.Time                  `json:"createdAt,omitempty"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds,omitempty"`
	SchedulingStrategy            string                         `json:"schedulingStrategy"`
	DeploymentController          *DeploymentController          `json:"deploymentController,omitempty"`
	Tags                          []Tag                          `json:"tags,omitempty"`
	CreatedBy                     string                         `json:"createdBy,omitempty"`
	EnableECSManagedTags          bool                           `json:"enableECSManagedTags"`
	PropagateTags                 string                         `json:"propagateTags,omitempty"`
	EnableExecuteCommand          bool                           `json:"enableExecuteCommand"`
	AvailabilityZoneRebalancing   string                         `json:"availabilityZoneRebalancing,omitempty"`
}

// LoadBalancer attaches a service's container port to a target group.
type LoadBalancer struct {
	TargetGroupArn   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    *int32 `json:"containerPort,omitempty"`
}

// DeploymentConfiguration bounds a rolling deployment.
type DeploymentConfiguration struct {
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int32                    `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int32                    `json:"minimumHealthyPercent,omitempty"`
	Alarms                   *DeploymentAlarms         `json:"alarms,omitempty"`
	Strategy                 string                    `json:"strategy,omitempty"`
	BakeTimeInMinutes        *int32                    `json:"bakeTimeInMinutes,omitempty"`
}

// DeploymentCircuitBreaker stops (and optionally rolls back) a failing deployment.
type DeploymentCircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// DeploymentAlarms are CloudWatch alarms that fail a deployment.
type DeploymentAlarms struct {
	AlarmNames []string `json:"alarmNames"`
	Enable     bool     `json:"enable"`
	Rollback   bool     `json:"rollback"`
}

// DeploymentController selects who deploys the service.
type DeploymentController struct {
	Type string `json:"type"`
}

// Deployment is one task definition set of a service.
type Deployment struct {
	Id                       string                         `json:"id"`
	Status                   string                         `json:"status"`
	TaskDefinition           string                         `json:"taskDefinition"`
	DesiredCount             int32                          `json:"desiredCount"`
	PendingCount             int32                          `json:"pendingCount"`
	RunningCount             int32                          `json:"runningCount"`
	FailedTasks              int32                          `json:"failedTasks"`
	CreatedAt                *awsjson.Time                  `json:"createdAt,omitempty"`
	UpdatedAt                *awsjson.Time                  `json:"updatedAt,omitempty"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`
	PlatformFamily           string                         `json:"platformFamily,omitempty"`
	NetworkConfiguration     *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	RolloutState             string                         `json:"rolloutState,omitempty"`
	RolloutStateReason       string                         `json:"rolloutStateReason,omitempty"`
}

// ServiceEvent is an entry of a service's event log.
type ServiceEvent struct {
	Id        string        `json:"id"`
	CreatedAt *awsjson.Time `json:"createdAt"`
	Message   string        `json:"message"`
}
