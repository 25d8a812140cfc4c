package elbv2

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TestBadInput sends what the SDKs would not send, or what AWS refuses, to
// every operation, and checks AWS's error code, a 400 and the message:
// never a 500 or a panic. {lb}, {api}, {static}, {listener}, {rule} and
// {default} stand for the ARNs of the setup's resources.
func TestBadInput(t *testing.T) {
	h := newHarness(t)
	s := h.setup(t)
	ctx := context.Background()
	rules := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &s.listenerARN})).Rules
	defaultRule := *rules[0].RuleArn
	rule := must[*elb.CreateRuleOutput](t)(h.createRule7(s))
	combined, _ := writeCert(t, h.dir)
	repl := strings.NewReplacer("{lb}", s.lbARN, "{api}", s.apiARN, "{static}", s.staticARN, "{listener}", s.listenerARN,
		"{rule}", *rule.Rules[0].RuleArn, "{default}", defaultRule, "{cert}", combined)
	lbBase := "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/"
	fwd := "DefaultActions.member.1.Type=forward&DefaultActions.member.1.TargetGroupArn={api}"
	fixed := "DefaultActions.member.1.Type=fixed-response&DefaultActions.member.1.FixedResponseConfig.StatusCode=200"
	ract := "Actions.member.1.Type=fixed-response&Actions.member.1.FixedResponseConfig.StatusCode=200"
	rcond := "Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=/x"
	long := strings.Repeat("a", 33)
	cases := []struct {
		op, params, code, msg string
	}{
		// The protocol.
		{"CreateLoadBalancer", "Name=x&Bogus=1", "ValidationError", "The parameter Bogus is not recognized"},
		{"CreateLoadBalancer", "Name=x&Subnets.member.2=a", "ValidationError", "out of sequence"},
		{"CreateLoadBalancer", "Name=x&IpamPools.Ipv4IpamPoolId=p", "ValidationError", "The parameter IpamPools.Ipv4IpamPoolId is not recognized"},
		{"DescribeLoadBalancers", "PageSize=ten", "ValidationError", "Invalid value 'ten' for parameter PageSize"},
		{"DescribeLoadBalancers", "Version=2012-06-01", "InvalidAction", "Could not find operation DescribeLoadBalancers for version 2012-06-01"},
		{"DescribeAccountLimits", "", "InvalidAction", "Could not find operation DescribeAccountLimits for version 2015-12-01"},

		// Load balancers.
		{"CreateLoadBalancer", "", "ValidationError", "Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"CreateLoadBalancer", "Name=", "ValidationError", "Load balancer name cannot be empty"},
		{"CreateLoadBalancer", "Name=" + long, "ValidationError", "Load balancer name '" + long + "' cannot be longer than '32' characters"},
		{"CreateLoadBalancer", "Name=a_b", "ValidationError", "Load balancer name 'a_b' can only contain characters that are alphanumeric characters or hyphens(-)"},
		{"CreateLoadBalancer", "Name=-ab", "ValidationError", "Load balancer name '-ab' cannot begin or end with '-'"},
		{"CreateLoadBalancer", "Name=ab-", "ValidationError", "cannot begin or end with '-'"},
		{"CreateLoadBalancer", "Name=internal-ab", "ValidationError", "Load balancer name 'internal-ab' cannot begin with 'internal-'"},
		{"CreateLoadBalancer", "Name=x&Scheme=public", "ValidationError", "Value 'public' at 'scheme' failed to satisfy constraint: Member must satisfy enum value set: [internet-facing, internal]"},
		{"CreateLoadBalancer", "Name=x&Type=network", "ValidationError", "Tide supports application load balancers only"},
		{"CreateLoadBalancer", "Name=x&Type=classic", "ValidationError", "Member must satisfy enum value set: [application, network, gateway]"},
		{"CreateLoadBalancer", "Name=x&IpAddressType=ipv5", "ValidationError", "at 'ipAddressType'"},
		{"CreateLoadBalancer", "Name=x&Subnets.member.1=a&SubnetMappings.member.1.SubnetId=b", "ValidationError", "cannot be specified at the same time"},
		{"CreateLoadBalancer", "Name=x&SubnetMappings.member.1.AllocationId=e", "ValidationError", "Value null at 'subnetMappings.1.member.subnetId'"},
		{"CreateLoadBalancer", "Name=x&Subnets.member.1=a&Subnets.member.2=a", "ValidationError", "Subnet 'a' is specified more than once"},
		{"CreateLoadBalancer", "Name=web&Scheme=internal", "DuplicateLoadBalancerName", "A load balancer with the same name 'web' exists, but with different settings"},
		{"CreateLoadBalancer", "Name=x&Tags=", "ValidationError", "Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"CreateLoadBalancer", "Name=x&Tags.member.1.Value=v", "ValidationError", "Value null at 'tags.1.member.key'"},
		{"CreateLoadBalancer", "Name=x&Tags.member.1.Key=a%7Cb", "ValidationError", "at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"CreateLoadBalancer", "Name=x&Tags.member.1.Key=aws:x", "ValidationError", "reserved"},
		{"CreateLoadBalancer", "Name=x&Tags.member.1.Key=a&Tags.member.2.Key=a", "DuplicateTagKeys", "Tag key was specified more than once: a"},
		{"DescribeLoadBalancers", "PageSize=0", "ValidationError", "Value '0' at 'pageSize' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"DescribeLoadBalancers", "PageSize=401", "ValidationError", "Member must have value less than or equal to 400"},
		{"DescribeLoadBalancers", "Marker=%21%21", "ValidationError", "The marker '!!' is not valid"},
		{"DescribeLoadBalancers", "Names.member.1=web&LoadBalancerArns.member.1={lb}", "ValidationError", "Load balancer names and load balancer ARNs cannot be specified at the same time"},
		{"DescribeLoadBalancers", "Names.member.1=nope&Names.member.2=gone", "LoadBalancerNotFound", "Load balancers '[nope, gone]' not found"},
		{"DescribeLoadBalancers", "LoadBalancerArns.member.1=" + lbBase + "gone/0123456789abcdef", "LoadBalancerNotFound", "not found"},
		{"DescribeLoadBalancers", "LoadBalancerArns.member.1=arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/app/web/0123456789abcdef", "ValidationError", "is not a valid load balancer ARN"},
		{"DescribeLoadBalancers", "LoadBalancerArns.member.1={api}", "ValidationError", "is not a valid load balancer ARN"},
		{"DeleteLoadBalancer", "", "ValidationError", "Value null at 'loadBalancerArn'"},
		{"DeleteLoadBalancer", "LoadBalancerArn=nope", "ValidationError", "'nope' is not a valid load balancer ARN"},
		{"DescribeLoadBalancerAttributes", "LoadBalancerArn=" + lbBase + "gone/0123456789abcdef", "LoadBalancerNotFound", "One or more load balancers not found"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}", "ValidationError", "Value null at 'attributes'"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=nope&Attributes.member.1.Value=1", "ValidationError", "Load balancer attribute key 'nope' is not recognized"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Value=1", "ValidationError", "Value null at 'attributes.1.member.key'"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=a-b&Attributes.member.1.Value=1", "ValidationError", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9._]+$"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=idle_timeout.timeout_seconds&Attributes.member.1.Value=0", "ValidationError", "'idle_timeout.timeout_seconds' value '0' must be between '1-4000' inclusive"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=idle_timeout.timeout_seconds&Attributes.member.1.Value=4001", "ValidationError", "between '1-4000'"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=deletion_protection.enabled&Attributes.member.1.Value=yes", "ValidationError", "'deletion_protection.enabled' value 'yes' must be one of [true, false]"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=routing.http.desync_mitigation_mode&Attributes.member.1.Value=lax", "ValidationError", "must be one of [monitor, defensive, strictest]"},

		// Target groups.
		{"CreateTargetGroup", "", "ValidationError", "Value null at 'name'"},
		{"CreateTargetGroup", "Name=" + long + "&Protocol=HTTP&Port=80", "ValidationError", "Target group name '" + long + "' cannot be longer than '32' characters"},
		{"CreateTargetGroup", "Name=a.b&Protocol=HTTP&Port=80", "ValidationError", "can only contain characters that are alphanumeric characters or hyphens(-)"},
		{"CreateTargetGroup", "Name=-a&Protocol=HTTP&Port=80", "ValidationError", "Target group name '-a' cannot begin or end with '-'"},
		{"CreateTargetGroup", "Name=x&Port=80", "ValidationError", "A protocol must be specified"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP", "ValidationError", "A port must be specified"},
		{"CreateTargetGroup", "Name=x&Protocol=SPDY&Port=80", "ValidationError", "Value 'SPDY' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP"},
		{"CreateTargetGroup", "Name=x&Protocol=TCP&Port=80", "ValidationError", "Tide supports target groups with the HTTP and HTTPS protocols only"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=0", "ValidationError", "Value '0' at 'port' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=65536", "ValidationError", "less than or equal to 65535"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&TargetType=lambda", "ValidationError", "Tide supports target groups of target type 'instance' and 'ip' only"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&TargetType=vm", "ValidationError", "at 'targetType'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&ProtocolVersion=GRPC", "ValidationError", "GRPC"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&ProtocolVersion=HTTP3", "ValidationError", "Protocol version 'HTTP3' is not valid"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&IpAddressType=dualstack", "ValidationError", "at 'ipAddressType'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckIntervalSeconds=4", "ValidationError", "Value '4' at 'healthCheckIntervalSeconds' failed to satisfy constraint: Member must have value greater than or equal to 5"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckIntervalSeconds=301", "ValidationError", "less than or equal to 300"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckTimeoutSeconds=1", "ValidationError", "at 'healthCheckTimeoutSeconds'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckTimeoutSeconds=121", "ValidationError", "less than or equal to 120"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthyThresholdCount=1", "ValidationError", "at 'healthyThresholdCount'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&UnhealthyThresholdCount=11", "ValidationError", "at 'unhealthyThresholdCount'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckTimeoutSeconds=31", "ValidationError", "Health check timeout '31' must be smaller than the interval '30'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckIntervalSeconds=10&HealthCheckTimeoutSeconds=10", "ValidationError", "Health check timeout '10' must be smaller than the interval '10'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckPath=", "ValidationError", "at 'healthCheckPath' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckPath=health", "ValidationError", "Health check path 'health' must begin with '/'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckPort=0", "ValidationError", "Health check port '0' must be 'traffic-port' or a port between '1-65535' inclusive"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckPort=any", "ValidationError", "Health check port 'any'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckProtocol=TCP", "InvalidConfigurationRequest", "Health check protocol 'TCP' is not supported for target groups with the HTTP protocol"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&HealthCheckEnabled=false", "InvalidConfigurationRequest", "Health checks cannot be disabled for target groups with target type 'instance'"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&Matcher.HttpCode=ok", "ValidationError", "Health check matcher HTTP code 'ok' is not valid"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&Matcher.HttpCode=200-600", "ValidationError", "must be within '200-499' inclusive"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&Matcher.HttpCode=300-200", "ValidationError", "must be within '200-499' inclusive"},
		{"CreateTargetGroup", "Name=x&Protocol=HTTP&Port=80&Matcher.GrpcCode=0", "ValidationError", "gRPC"},
		{"CreateTargetGroup", "Name=api&Protocol=HTTP&Port=81", "DuplicateTargetGroupName", "A target group with the same name 'api' exists, but with different settings"},
		{"DescribeTargetGroups", "Names.member.1=api&TargetGroupArns.member.1={api}", "ValidationError", "Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time"},
		{"DescribeTargetGroups", "Names.member.1=api&LoadBalancerArn={lb}", "ValidationError", "cannot be specified at the same time"},
		{"DescribeTargetGroups", "Names.member.1=nope", "TargetGroupNotFound", "Target groups '[nope]' not found"},
		{"DescribeTargetGroups", "TargetGroupArns.member.1=x", "ValidationError", "'x' is not a valid target group ARN"},
		{"DescribeTargetGroups", "LoadBalancerArn=" + lbBase + "gone/0123456789abcdef", "LoadBalancerNotFound", ""},
		{"DescribeTargetGroups", "PageSize=500", "ValidationError", "at 'pageSize'"},
		{"ModifyTargetGroup", "", "ValidationError", "Value null at 'targetGroupArn'"},
		{"ModifyTargetGroup", "TargetGroupArn={api}&HealthCheckIntervalSeconds=5&HealthCheckTimeoutSeconds=6", "ValidationError", "Health check timeout '6' must be smaller than the interval '5'"},
		{"ModifyTargetGroup", "TargetGroupArn={api}&Matcher.HttpCode=100", "ValidationError", "within '200-499'"},
		{"ModifyTargetGroup", "TargetGroupArn=arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/gone/0123456789abcdef", "TargetGroupNotFound", "One or more target groups not found"},
		{"DeleteTargetGroup", "TargetGroupArn={api}", "ResourceInUse", "is currently in use by a listener or a rule"},
		{"DeleteTargetGroup", "TargetGroupArn=bad", "ValidationError", "'bad' is not a valid target group ARN"},
		{"DescribeTargetGroupAttributes", "", "ValidationError", "Value null at 'targetGroupArn'"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}", "ValidationError", "Value null at 'attributes'"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=nope&Attributes.member.1.Value=1", "ValidationError", "Target group attribute key 'nope' is not recognized"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=deregistration_delay.timeout_seconds&Attributes.member.1.Value=3601", "ValidationError", "'deregistration_delay.timeout_seconds' value '3601' must be between '0-3600' inclusive"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=slow_start.duration_seconds&Attributes.member.1.Value=10", "ValidationError", "'slow_start.duration_seconds' value '10' must be between '30-900' inclusive"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=slow_start.duration_seconds&Attributes.member.1.Value=901", "ValidationError", "between '30-900'"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=load_balancing.algorithm.type&Attributes.member.1.Value=random", "ValidationError", "must be one of [round_robin, least_outstanding_requests, weighted_random]"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.type&Attributes.member.1.Value=source_ip", "InvalidConfigurationRequest", "Stickiness type 'source_ip' is not supported for target groups with the HTTP protocol"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.type&Attributes.member.1.Value=ip", "ValidationError", "must be one of [lb_cookie, app_cookie"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.lb_cookie.duration_seconds&Attributes.member.1.Value=0", "ValidationError", "between '1-604800'"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.app_cookie.duration_seconds&Attributes.member.1.Value=604801", "ValidationError", "between '1-604800'"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.app_cookie.cookie_name&Attributes.member.1.Value=AWSALBX", "ValidationError", "reserved"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.app_cookie.cookie_name&Attributes.member.1.Value=a%3Bb", "ValidationError", "is not a valid cookie name"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=stickiness.enabled&Attributes.member.1.Value=true&Attributes.member.2.Key=stickiness.type&Attributes.member.2.Value=app_cookie", "InvalidConfigurationRequest", "You must set an application cookie name to enable stickiness of type 'app_cookie'"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=slow_start.duration_seconds&Attributes.member.1.Value=30&Attributes.member.2.Key=load_balancing.algorithm.type&Attributes.member.2.Value=weighted_random", "InvalidConfigurationRequest", "Slow start mode is not supported with the weighted_random"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={api}&Attributes.member.1.Key=load_balancing.algorithm.anomaly_mitigation&Attributes.member.1.Value=on", "InvalidConfigurationRequest", "Anomaly mitigation"},

		// Targets.
		{"RegisterTargets", "TargetGroupArn={api}", "ValidationError", "Value null at 'targets'"},
		{"RegisterTargets", "Targets.member.1.Id=10.0.0.1", "ValidationError", "Value null at 'targetGroupArn'"},
		{"RegisterTargets", "TargetGroupArn={api}&Targets.member.1.Port=80", "ValidationError", "Value null at 'targets.1.member.id'"},
		{"RegisterTargets", "TargetGroupArn={api}&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=0", "ValidationError", "Value '0' at 'targets.1.member.port'"},
		{"RegisterTargets", "TargetGroupArn={api}&Targets.member.1.Id=10.0.0.256", "InvalidTarget", "The IP address '10.0.0.256' is not a valid IP address"},
		{"RegisterTargets", "TargetGroupArn={api}&Targets.member.1.Id=fe80::1", "InvalidTarget", "is not a valid IPv4 address"},
		{"RegisterTargets", "TargetGroupArn={static}&Targets.member.1.Id=web-1", "InvalidTarget", "The following targets are not valid instances: 'web-1'"},
		{"RegisterTargets", "TargetGroupArn=arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/gone/0123456789abcdef&Targets.member.1.Id=10.0.0.1", "TargetGroupNotFound", ""},
		{"DeregisterTargets", "TargetGroupArn={api}&Targets.member.1.Id=10.0.0.1", "InvalidTarget", "The target '10.0.0.1' on port 8000 is not registered to target group"},
		{"DeregisterTargets", "TargetGroupArn={api}", "ValidationError", "Value null at 'targets'"},
		{"DescribeTargetHealth", "", "ValidationError", "Value null at 'targetGroupArn'"},
		{"DescribeTargetHealth", "TargetGroupArn={api}&Include.member.1=Everything", "ValidationError", "Member must satisfy enum value set: [AnomalyDetection, All]"},
		{"DescribeTargetHealth", "TargetGroupArn={api}&Targets.member.1.Port=1", "ValidationError", "Value null at 'targets.1.member.id'"},

		// Listeners.
		{"CreateListener", fwd + "&Protocol=HTTP&Port=81", "ValidationError", "Value null at 'loadBalancerArn'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81", "ValidationError", "Value null at 'defaultActions'"},
		{"CreateListener", "LoadBalancerArn={lb}&Port=81&" + fixed, "ValidationError", "A listener protocol must be specified"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&" + fixed, "ValidationError", "A listener port must be specified"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=TCP&Port=81&" + fixed, "ValidationError", "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=FTP&Port=81&" + fixed, "ValidationError", "Value 'FTP' at 'protocol'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=0&" + fixed, "ValidationError", "Value '0' at 'port'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=8080&" + fixed, "DuplicateListener", "A listener already exists on this port for this load balancer '"},
		{"CreateListener", "LoadBalancerArn=" + lbBase + "gone/0123456789abcdef&Protocol=HTTP&Port=81&" + fixed, "LoadBalancerNotFound", ""},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTPS&Port=443&" + fixed, "InvalidConfigurationRequest", "You must provide a list containing exactly one certificate if the listener protocol is HTTPS."},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTPS&Port=443&Certificates.member.1.IsDefault=true&" + fixed, "ValidationError", "Value null at 'certificates.1.member.certificateArn'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTPS&Port=443&Certificates.member.1.CertificateArn=file:///nope.pem&" + fixed, "CertificateNotFound", "Certificate 'file:///nope.pem' not found"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTPS&Port=443&Certificates.member.1.CertificateArn=file://rel.pem&" + fixed, "CertificateNotFound", "Tide has no ACM"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTPS&Port=443&Certificates.member.1.CertificateArn={cert}&Certificates.member.2.CertificateArn={cert}&" + fixed, "InvalidConfigurationRequest", "exactly one certificate"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTPS&Port=443&Certificates.member.1.CertificateArn={cert}&SslPolicy=Modern&" + fixed, "SSLPolicyNotFound", "SSL policy 'Modern' not found"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&Certificates.member.1.CertificateArn={cert}&" + fixed, "InvalidConfigurationRequest", "Certificates cannot be specified for listeners with the HTTP protocol"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&SslPolicy=ELBSecurityPolicy-2016-08&" + fixed, "InvalidConfigurationRequest", "An SSL policy cannot be specified"},
		{"DescribeListeners", "", "ValidationError", "You must specify either listener ARNs or a load balancer ARN"},
		{"DescribeListeners", "LoadBalancerArn={lb}&ListenerArns.member.1={listener}", "ValidationError", "Listener ARNs and a load balancer ARN cannot be specified at the same time"},
		{"DescribeListeners", "ListenerArns.member.1={lb}", "ValidationError", "is not a valid listener ARN"},
		{"DescribeListeners", "ListenerArns.member.1=" + strings.Replace(s.listenerARN, "/web/", "/gone/", 1), "ListenerNotFound", "One or more listeners not found"},
		{"ModifyListener", "", "ValidationError", "Value null at 'listenerArn'"},
		{"ModifyListener", "ListenerArn={listener}&Protocol=HTTPS", "InvalidConfigurationRequest", "exactly one certificate"},
		{"ModifyListener", "ListenerArn={listener}&Port=70000", "ValidationError", "at 'port'"},
		{"DeleteListener", "ListenerArn={rule}", "ValidationError", "is not a valid listener ARN"},

		// Actions.
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions=", "ValidationError", "At least one action must be specified"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Order=1", "ValidationError", "Value null at 'defaultActions.1.member.type'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=drop", "ValidationError", "Value 'drop' at 'defaultActions.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [forward, authenticate-oidc, authenticate-cognito, redirect, fixed-response, jwt-validation]"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=authenticate-oidc", "InvalidLoadBalancerAction", "Tide does not support actions of type 'authenticate-oidc'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fixed + "&DefaultActions.member.1.Order=0", "ValidationError", "at 'defaultActions.1.member.order'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fixed + "&DefaultActions.member.2.Type=fixed-response&DefaultActions.member.2.FixedResponseConfig.StatusCode=200", "InvalidLoadBalancerAction", "exactly one"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fixed + "&DefaultActions.member.1.Order=2&DefaultActions.member.2.Type=fixed-response&DefaultActions.member.2.Order=2", "ValidationError", "The action order '2' is used more than once"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward", "ValidationError", "A target group ARN must be specified"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fwd + "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn={static}", "ValidationError", "You cannot specify a target group ARN and a forward configuration with other target groups"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=1", "ValidationError", "Value null at 'defaultActions.1.member.forwardConfig.targetGroups.1.member.targetGroupArn'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn={api}&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=1000", "ValidationError", "Value '1000' at 'defaultActions.1.member.forwardConfig.targetGroups.1.member.weight'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn={api}&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn={api}", "ValidationError", "is specified more than once in the same action"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn={api}&DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled=true", "ValidationError", "A duration must be specified when target group stickiness is enabled"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn={api}&DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds=604801", "ValidationError", "forwardConfig.targetGroupStickinessConfig.durationSeconds"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.TargetGroupArn=arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/gone/0123456789abcdef", "TargetGroupNotFound", "Target group 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/gone/0123456789abcdef' not found"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=forward&DefaultActions.member.1.TargetGroupArn=tg", "ValidationError", "'tg' is not a valid target group ARN"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fixed + "&DefaultActions.member.1.TargetGroupArn={api}", "InvalidLoadBalancerAction", "An action of type 'fixed-response' cannot have a TargetGroupArn"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect", "ValidationError", "A redirect configuration must be specified"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.Host=x", "ValidationError", "Value null at 'defaultActions.1.member.redirectConfig.statusCode'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_307&DefaultActions.member.1.RedirectConfig.Host=x", "ValidationError", "Member must satisfy enum value set: [HTTP_301, HTTP_302]"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_301&DefaultActions.member.1.RedirectConfig.Protocol=ftp", "ValidationError", "at 'defaultActions.1.member.redirectConfig.protocol'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_301&DefaultActions.member.1.RedirectConfig.Port=0", "ValidationError", "The redirect port '0'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_301&DefaultActions.member.1.RedirectConfig.Path=x", "ValidationError", "The redirect path 'x' must begin with '/'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_301&DefaultActions.member.1.RedirectConfig.Query=%3Fa", "ValidationError", "must not begin with '?'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_301&DefaultActions.member.1.RedirectConfig.Host=" + strings.Repeat("h", 129), "ValidationError", "redirectConfig.host"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=redirect&DefaultActions.member.1.RedirectConfig.StatusCode=HTTP_301", "InvalidLoadBalancerAction", "redirects to itself"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=fixed-response", "ValidationError", "A fixed-response configuration must be specified"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=fixed-response&DefaultActions.member.1.FixedResponseConfig.MessageBody=x", "ValidationError", "Value null at 'defaultActions.1.member.fixedResponseConfig.statusCode'"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&DefaultActions.member.1.Type=fixed-response&DefaultActions.member.1.FixedResponseConfig.StatusCode=302", "ValidationError", "Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fixed + "&DefaultActions.member.1.FixedResponseConfig.ContentType=image/png", "InvalidLoadBalancerAction", "The ContentType must be one of"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=81&" + fixed + "&DefaultActions.member.1.FixedResponseConfig.MessageBody=" + strings.Repeat("b", 1025), "ValidationError", "fixedResponseConfig.messageBody"},

		// Rules.
		{"CreateRule", "Conditions=&Priority=1&" + ract, "ValidationError", "Value null at 'listenerArn'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&" + ract, "ValidationError", "Value null at 'conditions'"},
		{"CreateRule", "ListenerArn={listener}&" + rcond + "&" + ract, "ValidationError", "Value null at 'priority'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&" + rcond, "ValidationError", "Value null at 'actions'"},
		{"CreateRule", "ListenerArn={listener}&Priority=0&" + rcond + "&" + ract, "ValidationError", "Value '0' at 'priority' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"CreateRule", "ListenerArn={listener}&Priority=50001&" + rcond + "&" + ract, "ValidationError", "less than or equal to 50000"},
		{"CreateRule", "ListenerArn={listener}&Priority=7&" + rcond + "&" + ract, "PriorityInUse", "Priority '7' is currently in use"},
		{"CreateRule", "ListenerArn=" + strings.Replace(s.listenerARN, "/web/", "/gone/", 1) + "&Priority=1&" + rcond + "&" + ract, "ListenerNotFound", ""},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions=&" + ract, "ValidationError", "A rule must have at least one condition"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Values.member.1=/x&" + ract, "ValidationError", "A condition field must be specified"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=cookie&" + ract, "ValidationError", "Condition field 'cookie' must be one of '[http-header,http-request-method,host-header,path-pattern,query-string,source-ip]'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&" + ract, "ValidationError", "A condition value must be specified"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=/a&Conditions.member.1.Values.member.2=/b&" + ract, "ValidationError", "The 'path-pattern' field contains too many values; the limit is '1'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=/a&Conditions.member.1.PathPatternConfig.Values.member.1=/b&" + ract, "ValidationError", "You cannot provide both Values and 'PathPatternConfig' for a condition of type 'path-pattern'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.HostHeaderConfig.Values.member.1=a&" + ract, "ValidationError", "A 'HostHeaderConfig' cannot be specified with 'path-pattern'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=/" + strings.Repeat("p", 128) + "&" + ract, "ValidationError", "The 'path-pattern' value is too long; the limit is '128'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=/a+b%20c&" + ract, "ValidationError", "contains characters that are not allowed"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=host-header&Conditions.member.1.Values.member.1=a_b.com&" + ract, "ValidationError", "The 'host-header' value 'a_b.com' contains characters that are not allowed"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-header&Conditions.member.1.Values.member.1=x&" + ract, "ValidationError", "The 'Values' field is not compatible with 'http-header'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-header&" + ract, "ValidationError", "A 'HttpHeaderConfig' must be specified with 'http-header'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-header&Conditions.member.1.HttpHeaderConfig.Values.member.1=x&" + ract, "ValidationError", "A 'HttpHeaderName' must be specified"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-header&Conditions.member.1.HttpHeaderConfig.HttpHeaderName=" + strings.Repeat("h", 41) + "&Conditions.member.1.HttpHeaderConfig.Values.member.1=x&" + ract, "ValidationError", "The 'HttpHeaderName' value is too long; the limit is '40'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-header&Conditions.member.1.HttpHeaderConfig.HttpHeaderName=a%20b&Conditions.member.1.HttpHeaderConfig.Values.member.1=x&" + ract, "ValidationError", "is not a valid header name"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-header&Conditions.member.1.HttpHeaderConfig.HttpHeaderName=X&Conditions.member.1.HttpHeaderConfig.Values.member.1=" + strings.Repeat("v", 129) + "&" + ract, "ValidationError", "The 'http-header' value is too long"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-request-method&Conditions.member.1.HttpRequestMethodConfig.Values.member.1=get&" + ract, "ValidationError", "The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=http-request-method&" + ract, "ValidationError", "A 'HttpRequestMethodConfig' must be specified with 'http-request-method'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=query-string&Conditions.member.1.QueryStringConfig.Values.member.1.Key=k&" + ract, "ValidationError", "A 'Value' must be specified in 'QueryStringKeyValuePair'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=query-string&Conditions.member.1.QueryStringConfig.Values.member.1.Value=" + strings.Repeat("v", 129) + "&" + ract, "ValidationError", "The 'Value' value is too long; the limit is '128'"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=source-ip&Conditions.member.1.SourceIpConfig.Values.member.1=10.0.0.1&" + ract, "ValidationError", "The 'source-ip' value '10.0.0.1' is not a valid CIDR block"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=source-ip&Conditions.member.1.SourceIpConfig.Values=&" + ract, "ValidationError", "A 'source-ip' value must be specified"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&" + rcond + "&Conditions.member.2.Field=path-pattern&Conditions.member.2.Values.member.1=/y&" + ract, "ValidationError", "A rule can only have one 'path-pattern' condition"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.PathPatternConfig.Values.member.1=/1&Conditions.member.1.PathPatternConfig.Values.member.2=/2&Conditions.member.1.PathPatternConfig.Values.member.3=/3&Conditions.member.1.PathPatternConfig.Values.member.4=/4&Conditions.member.1.PathPatternConfig.Values.member.5=/5&Conditions.member.1.PathPatternConfig.Values.member.6=/6&" + ract, "ValidationError", "A rule can only have '5' condition values"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&Conditions.member.1.Field=path-pattern&Conditions.member.1.PathPatternConfig.Values.member.1=/***&Conditions.member.1.PathPatternConfig.Values.member.2=/???&" + ract, "ValidationError", "A rule can only have '5' wildcards"},
		{"CreateRule", "ListenerArn={listener}&Priority=1&" + rcond + "&Conditions.member.1.RegexValues.member.1=.*&" + ract, "ValidationError", "The parameter Conditions.member.1.RegexValues.member.1 is not recognized"},
		{"DescribeRules", "", "ValidationError", "You must specify either listener rule ARNs or a listener ARN"},
		{"DescribeRules", "ListenerArn={listener}&RuleArns.member.1={rule}", "ValidationError", "Listener rule ARNs and a listener ARN cannot be specified at the same time"},
		{"DescribeRules", "RuleArns.member.1={listener}", "ValidationError", "is not a valid listener rule ARN"},
		{"DescribeRules", "RuleArns.member.1={rule}0", "RuleNotFound", "One or more rules not found"},
		{"ModifyRule", "", "ValidationError", "Value null at 'ruleArn'"},
		{"ModifyRule", "RuleArn={rule}", "ValidationError", "Either conditions or actions must be specified"},
		{"ModifyRule", "RuleArn={default}&" + rcond, "OperationNotPermitted", "Conditions cannot be set on default rule"},
		{"ModifyRule", "RuleArn={rule}0&" + rcond, "RuleNotFound", ""},
		{"DeleteRule", "RuleArn={default}", "OperationNotPermitted", "cannot be deleted"},
		{"DeleteRule", "RuleArn={rule}0", "RuleNotFound", ""},
		{"SetRulePriorities", "", "ValidationError", "Value null at 'rulePriorities'"},
		{"SetRulePriorities", "RulePriorities.member.1.Priority=1", "ValidationError", "Value null at 'rulePriorities.1.member.ruleArn'"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn={rule}", "ValidationError", "Value null at 'rulePriorities.1.member.priority'"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn={rule}&RulePriorities.member.1.Priority=0", "ValidationError", "at 'rulePriorities.1.member.priority'"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn={rule}&RulePriorities.member.1.Priority=3&RulePriorities.member.2.RuleArn={rule}&RulePriorities.member.2.Priority=4", "ValidationError", "was provided multiple times"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn={rule}&RulePriorities.member.1.Priority=3&RulePriorities.member.2.RuleArn={rule}0&RulePriorities.member.2.Priority=3", "ValidationError", "Priority '3' was provided multiple times"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn={default}&RulePriorities.member.1.Priority=3", "OperationNotPermitted", "default rule"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn={rule}0&RulePriorities.member.1.Priority=3", "RuleNotFound", ""},

		// Tags.
		{"AddTags", "Tags.member.1.Key=a", "ValidationError", "Value null at 'resourceArns'"},
		{"AddTags", "ResourceArns.member.1={lb}", "ValidationError", "Value null at 'tags'"},
		{"AddTags", "ResourceArns.member.1=arn:aws:s3:::bucket&Tags.member.1.Key=a", "ValidationError", "is not a valid resource ARN"},
		{"AddTags", "ResourceArns.member.1=" + lbBase + "gone/0123456789abcdef&Tags.member.1.Key=a", "LoadBalancerNotFound", ""},
		{"AddTags", "ResourceArns.member.1={rule}0&Tags.member.1.Key=a", "RuleNotFound", ""},
		{"AddTags", "ResourceArns.member.1=" + strings.Replace(s.listenerARN, "/web/", "/gone/", 1) + "/0123456789abcdef&Tags.member.1.Key=a", "ValidationError", "is not a valid listener ARN"},
		{"AddTags", "ResourceArns.member.1=" + strings.Replace(strings.Replace(s.listenerARN, ":listener/", ":listener-rule/", 1), "/web/", "/gone/", 1) + "/0123456789abcdef&Tags.member.1.Key=a", "RuleNotFound", ""},
		{"DescribeTags", "ResourceArns.member.1=" + strings.Replace(strings.Replace(s.listenerARN, ":listener/", ":listener-rule/", 1), "/web/", "/gone/", 1) + "/0123456789abcdef", "RuleNotFound", ""},
		{"AddTags", "ResourceArns.member.1={lb}&Tags.member.1.Key=" + strings.Repeat("k", 129), "ValidationError", "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"AddTags", "ResourceArns.member.1={lb}&Tags.member.1.Key=k&Tags.member.1.Value=" + strings.Repeat("v", 257), "ValidationError", "at 'tags.1.member.value'"},
		{"RemoveTags", "ResourceArns.member.1={lb}", "ValidationError", "Value null at 'tagKeys'"},
		{"RemoveTags", "ResourceArns.member.1={lb}&TagKeys.member.1=", "ValidationError", "at 'tagKeys.1.member'"},
		{"DescribeTags", "", "ValidationError", "Value null at 'resourceArns'"},
		{"DescribeTags", "ResourceArns.member.1={listener}0", "ListenerNotFound", ""},
		{"DescribeTags", "ResourceArns.member.1=arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/gone/0123456789abcdef", "TargetGroupNotFound", ""},
	}
	manyARNs := ""
	for i := range 21 {
		manyARNs += fmt.Sprintf("&ResourceArns.member.%d={lb}", i+1)
	}
	cases = append(cases, struct{ op, params, code, msg string }{"DescribeTags", manyARNs[1:], "ValidationError", "Member must have length less than or equal to 20"})
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %.80s", tc.op, tc.params), func(t *testing.T) {
			r := h.raw(t, tc.op, repl.Replace(tc.params))
			if r.Status != 400 || r.Type != "Sender" || r.Code != tc.code || !strings.Contains(r.Message, tc.msg) {
				t.Fatalf("got %d %s %s %q, want 400 %s containing %q\n%s", r.Status, r.Type, r.Code, r.Message, tc.code, tc.msg, r.Body)
			}
		})
	}
}

// createRule7 creates the rule TestBadInput's cases refer to: priority 7
// on the setup's listener.
func (h *harness) createRule7(s setup) (*elb.CreateRuleOutput, error) {
	return h.sdk.CreateRule(context.Background(), &elb.CreateRuleInput{
		ListenerArn: &s.listenerARN, Priority: aws.Int32(7),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/seven"}}},
		Actions:    []types.Action{{Type: "fixed-response", FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200")}}},
	})
}
