package elbv2

import "time"

// The shapes of botocore's elbv2 model that requests and responses carry,
// with its member names (awsquery uses them as parameter and element
// names). Members Tide does not implement are left out, so that a request
// using them fails with ValidationError naming the parameter rather than
// being silently ignored. Actions and conditions are also what the store
// keeps, normalized.

// Tag is a resource tag.
type Tag struct {
	Key   *string
	Value *string
}

// TagDescription is a resource's tags.
type TagDescription struct {
	ResourceArn string
	Tags        []Tag
}

// LoadBalancer is a load balancer as DescribeLoadBalancers reports it.
type LoadBalancer struct {
	LoadBalancerArn       string
	LoadBalancerName      string
	DNSName               string
	CanonicalHostedZoneId string
	CreatedTime           time.Time
	Scheme                string
	VpcId                 *string
	State                 LoadBalancerState
	Type                  string
	AvailabilityZones     []AvailabilityZone
	SecurityGroups        []string
	IpAddressType         string
}

// LoadBalancerState is a load balancer's state.
type LoadBalancerState struct {
	Code   string
	Reason *string
}

// AvailabilityZone is a zone a load balancer is in.
type AvailabilityZone struct {
	ZoneName              string
	SubnetId              *string
	LoadBalancerAddresses []LoadBalancerAddress
}

// LoadBalancerAddress is an address of a load balancer in a zone.
type LoadBalancerAddress struct {
	IpAddress *string
}

// SubnetMapping names a subnet for a load balancer.
type SubnetMapping struct {
	SubnetId           *string
	AllocationId       *string
	PrivateIPv4Address *string
	IPv6Address        *string
}

// Attribute is a load balancer or target group attribute.
type Attribute struct {
	Key   *string
	Value *string
}

// TargetGroup is a target group as DescribeTargetGroups reports it.
type TargetGroup struct {
	TargetGroupArn             string
	TargetGroupName            string
	Protocol                   string
	ProtocolVersion            string
	Port                       int32
	VpcId                      *string
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckEnabled         bool
	HealthCheckIntervalSeconds int32
	HealthCheckTimeoutSeconds  int32
	HealthyThresholdCount      int32
	UnhealthyThresholdCount    int32
	HealthCheckPath            string
	Matcher                    Matcher
	LoadBalancerArns           []string
	TargetType                 string
	IpAddressType              string
}

// Matcher is the HTTP codes a health check accepts.
type Matcher struct {
	HttpCode *string
	GrpcCode *string
}

// TargetDescription is a target: an instance ID or IP address, a port
// (nil: the target group's) and an Availability Zone.
type TargetDescription struct {
	Id               *string
	Port             *int32
	AvailabilityZone *string
}

// TargetHealthDescription is a target's health.
type TargetHealthDescription struct {
	Target           TargetDescription
	HealthCheckPort  string
	TargetHealth     TargetHealth
	AnomalyDetection *AnomalyDetection
}

// TargetHealth is a target's health state with AWS's reason code.
type TargetHealth struct {
	State       string
	Reason      *string
	Description *string
}

// AnomalyDetection is DescribeTargetHealth's anomaly detection result.
type AnomalyDetection struct {
	Result             string
	MitigationInEffect string
}

// Listener is a listener as DescribeListeners reports it.
type Listener struct {
	ListenerArn     string
	LoadBalancerArn string
	Port            int32
	Protocol        string
	Certificates    []Certificate
	SslPolicy       *string
	DefaultActions  []Action
}

// Certificate is a listener's certificate. In Tide its CertificateArn
// names PEM files on the server (see docs/elbv2.md).
type Certificate struct {
	CertificateArn *string
	IsDefault      *bool
}

// Action is a rule's or listener's action.
type Action struct {
	Type                *string
	Order               *int32
	TargetGroupArn      *string
	ForwardConfig       *ForwardActionConfig
	RedirectConfig      *RedirectActionConfig
	FixedResponseConfig *FixedResponseActionConfig
}

// ForwardActionConfig forwards to weighted target groups.
type ForwardActionConfig struct {
	TargetGroups                []TargetGroupTuple
	TargetGroupStickinessConfig *TargetGroupStickinessConfig
}

// TargetGroupTuple is one target group of a forward action.
type TargetGroupTuple struct {
	TargetGroupArn *string
	Weight         *int32
}

// TargetGroupStickinessConfig is target group stickiness.
type TargetGroupStickinessConfig struct {
	Enabled         *bool
	DurationSeconds *int32
}

// RedirectActionConfig is a redirect action.
type RedirectActionConfig struct {
	Protocol   *string
	Port       *string
	Host       *string
	Path       *string
	Query      *string
	StatusCode *string
}

// FixedResponseActionConfig is a fixed-response action.
type FixedResponseActionConfig struct {
	StatusCode  *string
	ContentType *string
	MessageBody *string
}

// RuleCondition is a rule condition, in the legacy Field/Values form or
// with one of the *Config members.
type RuleCondition struct {
	Field                   *string
	Values                  []string
	HostHeaderConfig        *ValuesConfig
	PathPatternConfig       *ValuesConfig
	HttpHeaderConfig        *HttpHeaderConditionConfig
	HttpRequestMethodConfig *ValuesConfig
	QueryStringConfig       *QueryStringConditionConfig
	SourceIpConfig          *ValuesConfig
}

// ValuesConfig is the host-header, path-pattern, http-request-method and
// source-ip condition configs: a list of values.
type ValuesConfig struct {
	Values []string
}

// HttpHeaderConditionConfig is an http-header condition.
type HttpHeaderConditionConfig struct {
	HttpHeaderName *string
	Values         []string
}

// QueryStringConditionConfig is a query-string condition.
type QueryStringConditionConfig struct {
	Values []QueryStringKeyValuePair
}

// QueryStringKeyValuePair is one query-string condition value.
type QueryStringKeyValuePair struct {
	Key   *string
	Value *string
}

// Rule is a listener rule as DescribeRules reports it.
type Rule struct {
	RuleArn    string
	Priority   string
	Conditions []RuleCondition
	Actions    []Action
	IsDefault  bool
}

// RulePriorityPair sets a rule's priority.
type RulePriorityPair struct {
	RuleArn  *string
	Priority *int32
}

// empty is the result of the operations that return nothing.
type empty struct{}
