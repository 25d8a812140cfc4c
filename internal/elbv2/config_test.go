package elbv2

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"tide/internal/lb"
)

// TestConfig builds the data plane's configuration for a representative
// setup made through the API: rules by priority with the default last,
// weighted forwards with stickiness, redirects, fixed responses, HTTPS,
// attributes, instance targets resolved (or left out), draining targets.
func TestConfig(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	_, pair := writeCert(t, h.dir)
	certFile, keyFile, _ := strings.Cut(strings.ReplaceAll(pair, "file://", ""), ",")

	must[*elb.ModifyLoadBalancerAttributesOutput](t)(h.sdk.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: &s.lbARN, Attributes: []types.LoadBalancerAttribute{{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")}},
	}))
	static := must[*elb.CreateRuleOutput](t)(h.sdk.CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: &s.listenerARN, Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{
			{Field: aws.String("path-pattern"), Values: []string{"/static/*"}},
			{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Env"), Values: []string{"beta", "dev"}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: &s.staticARN, Weight: aws.Int32(80)}, {TargetGroupArn: &s.apiARN, Weight: aws.Int32(20)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(300)},
		}}},
	})).Rules[0]
	redirect := must[*elb.CreateRuleOutput](t)(h.sdk.CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: &s.listenerARN, Priority: aws.Int32(5),
		Conditions: []types.RuleCondition{
			{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"old.example.com"}}},
			{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Value: aws.String("x")}, {Key: aws.String("v"), Value: aws.String("1")}}}},
			{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"10.0.0.0/8"}}},
			{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{
			Host: aws.String("new.example.com"), StatusCode: types.RedirectActionStatusCodeEnumHttp302,
		}}},
	})).Rules[0]
	https := must[*elb.CreateListenerOutput](t)(h.sdk.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: &s.lbARN, Protocol: types.ProtocolEnumHttps, Port: aws.Int32(8443), Certificates: []types.Certificate{{CertificateArn: &pair}},
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
			StatusCode: aws.String("503"), ContentType: aws.String("text/plain"), MessageBody: aws.String("down"),
		}}},
	})).Listeners[0]
	must[*elb.ModifyTargetGroupAttributesOutput](t)(h.sdk.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: &s.apiARN, Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}},
	}))
	must[*elb.ModifyTargetGroupAttributesOutput](t)(h.sdk.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: &s.staticARN, Attributes: []types.TargetGroupAttribute{
			{Key: aws.String("stickiness.enabled"), Value: aws.String("true")},
			{Key: aws.String("stickiness.lb_cookie.duration_seconds"), Value: aws.String("3600")},
			{Key: aws.String("slow_start.duration_seconds"), Value: aws.String("60")},
			{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String("least_outstanding_requests")},
		},
	}))
	registered := h.clock.Now()
	must[*elb.RegisterTargetsOutput](t)(h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{
		{Id: aws.String("10.0.0.1")}, {Id: aws.String("10.0.0.2"), Port: aws.Int32(8001), AvailabilityZone: aws.String("us-east-1b")},
	}}))
	must[*elb.RegisterTargetsOutput](t)(h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.staticARN, Targets: []types.TargetDescription{
		{Id: aws.String("i-0123456789abcdef0")}, {Id: aws.String("i-0ffffffffffffffff")},
	}}))
	h.clock.Advance(10 * time.Second)
	must[*elb.DeregisterTargetsOutput](t)(h.sdk.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{
		{Id: aws.String("10.0.0.2"), Port: aws.Int32(8001)},
	}}))
	rules := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &s.listenerARN})).Rules
	httpsRules := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: https.ListenerArn})).Rules

	hc := lb.HealthCheck{Enabled: true, Path: "/", Interval: 30 * time.Second, Timeout: 5 * time.Second, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	staticHC := hc
	staticHC.Path, staticHC.Matcher = "/health", "200-299"
	want := &lb.Config{
		LoadBalancers: []lb.LoadBalancer{{
			ARN: s.lbARN, Name: "web", IdleTimeout: 120 * time.Second,
			Listeners: []lb.Listener{
				{ARN: s.listenerARN, Port: 8080, Protocol: "HTTP", Rules: []lb.Rule{
					{ARN: *redirect.RuleArn, Priority: 5, Conditions: []lb.Condition{
						{Field: "host-header", Values: []string{"old.example.com"}},
						{Field: "query-string", Query: []lb.KeyValue{{Value: "x"}, {Key: "v", Value: "1"}}},
						{Field: "source-ip", Values: []string{"10.0.0.0/8"}},
						{Field: "http-request-method", Values: []string{"GET"}},
					}, Actions: []lb.Action{{Type: "redirect", Redirect: &lb.Redirect{
						Protocol: "#{protocol}", Host: "new.example.com", Port: "#{port}", Path: "/#{path}", Query: "#{query}", StatusCode: 302,
					}}}},
					{ARN: *static.RuleArn, Priority: 10, Conditions: []lb.Condition{
						{Field: "path-pattern", Values: []string{"/static/*"}},
						{Field: "http-header", HeaderName: "X-Env", Values: []string{"beta", "dev"}},
					}, Actions: []lb.Action{{Type: "forward", TargetGroups: []lb.WeightedGroup{{ARN: s.staticARN, Weight: 80}, {ARN: s.apiARN, Weight: 20}}, GroupStickiness: 300 * time.Second}}},
					{ARN: *rules[2].RuleArn, IsDefault: true, Conditions: []lb.Condition{}, Actions: []lb.Action{{Type: "forward", TargetGroups: []lb.WeightedGroup{{ARN: s.apiARN, Weight: 1}}}}},
				}},
				{ARN: *https.ListenerArn, Port: 8443, Protocol: "HTTPS", CertFile: certFile, KeyFile: keyFile, Rules: []lb.Rule{
					{ARN: *httpsRules[0].RuleArn, IsDefault: true, Conditions: []lb.Condition{}, Actions: []lb.Action{{Type: "fixed-response", FixedResponse: &lb.FixedResponse{StatusCode: 503, ContentType: "text/plain", Body: "down"}}}},
				}},
			},
		}},
		TargetGroups: []lb.TargetGroup{
			{ARN: s.apiARN, Name: "api", Protocol: "HTTP", Port: 8000, TargetType: "ip", HealthCheck: hc, Algorithm: "round_robin",
				DeregistrationDelay: 30 * time.Second, Stickiness: lb.Stickiness{Type: "lb_cookie", Duration: 86400 * time.Second},
				Targets: []lb.Target{
					{ID: "10.0.0.1", Host: "10.0.0.1", Port: 8000, RegisteredAt: registered},
					{ID: "10.0.0.2", Host: "10.0.0.2", Port: 8001, AZ: "us-east-1b", RegisteredAt: registered, Draining: true, DrainDeadline: registered.Add(40 * time.Second)},
				}},
			{ARN: s.staticARN, Name: "static", Protocol: "HTTP", Port: 9000, TargetType: "instance", HealthCheck: staticHC, Algorithm: "least_outstanding_requests",
				DeregistrationDelay: 300 * time.Second, SlowStart: 60 * time.Second, Stickiness: lb.Stickiness{Enabled: true, Type: "lb_cookie", Duration: time.Hour},
				Targets: []lb.Target{{ID: "i-0123456789abcdef0", Host: "10.0.0.5", Port: 9000, RegisteredAt: registered}}},
		},
	}
	if d := cmp.Diff(want, h.api.Config()); d != "" {
		t.Fatalf("Config -want +got:\n%s", d)
	}

	// After the delay the draining target is out, before Sweep removes its record.
	h.clock.Advance(30 * time.Second)
	if ts := h.api.Config().TargetGroups[0].Targets; len(ts) != 1 || ts[0].ID != "10.0.0.1" {
		t.Fatalf("targets after the delay: %+v", ts)
	}
	// The instance that was not found comes in when it is.
	h.inst.mu.Lock()
	h.inst.hosts["i-0ffffffffffffffff"] = "10.0.0.6"
	h.inst.mu.Unlock()
	if ts := h.api.Config().TargetGroups[1].Targets; len(ts) != 2 || ts[1].Host != "10.0.0.6" {
		t.Fatalf("targets after the instance appeared: %+v", ts)
	}
}

// TestECSIntegration drives the Go API ECS uses: registering and
// deregistering a service's tasks and reading the group's settings.
func TestECSIntegration(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	tasks := []TargetDescription{{Id: str("127.0.0.1"), Port: i32(32768)}, {Id: str("127.0.0.1"), Port: i32(32769)}}
	if err := h.api.RegisterTargets(ctx, s.apiARN, tasks); err != nil {
		t.Fatal(err)
	}
	tg, ok := h.api.TargetGroupByARN(s.apiARN)
	if !ok || tg.DeregistrationDelay != 300*time.Second || tg.HealthCheck.Interval != 30*time.Second || len(tg.Targets) != 2 {
		t.Fatalf("TargetGroupByARN = %+v, %v", tg, ok)
	}
	if _, ok := h.api.TargetGroupByARN(s.apiARN + "0"); ok {
		t.Fatal("TargetGroupByARN found a group that does not exist")
	}
	// Deregistering twice, or a target that never was, is no error for ECS.
	for range 2 {
		if err := h.api.DeregisterTargets(ctx, s.apiARN, append(tasks[:1:1], TargetDescription{Id: str("127.0.0.2"), Port: i32(1)})); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(map[string]string{"127.0.0.1:32768": "draining", "127.0.0.1:32769": "initial"}, h.api.TargetStates(s.apiARN)); d != "" {
		t.Fatalf("TargetStates -want +got:\n%s", d)
	}
	if h.api.TargetStates(s.apiARN+"0") != nil {
		t.Fatal("TargetStates of a group that does not exist")
	}
	tg, _ = h.api.TargetGroupByARN(s.apiARN)
	if len(tg.Targets) != 2 || !tg.Targets[0].Draining || tg.Targets[0].DrainDeadline != h.clock.Now().Add(300*time.Second) || tg.Targets[1].Draining {
		t.Fatalf("after deregistration: %+v", tg.Targets)
	}
	// Registered again while draining: back in service.
	if err := h.api.RegisterTargets(ctx, s.apiARN, tasks[:1]); err != nil {
		t.Fatal(err)
	}
	if tg, _ = h.api.TargetGroupByARN(s.apiARN); tg.Targets[0].Draining {
		t.Fatalf("re-registered target still draining: %+v", tg.Targets[0])
	}
	if err := h.api.RegisterTargets(ctx, s.apiARN, []TargetDescription{{Id: str("nope")}}); !isCode(err, "InvalidTarget") {
		t.Fatalf("bad target: %v", err)
	}
}
