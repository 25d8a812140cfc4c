package elbv2

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"tide/internal/lb"
)

var (
	lbARNRE       = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/[0-9a-f]{16}$`)
	tgARNRE       = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/[0-9a-f]{16}$`)
	listenerARNRE = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}$`)
	ruleARNRE     = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/web/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}$`)
)

// setup creates a load balancer "web", target groups "api" (ip) and
// "static" (instance), and an HTTP listener on 8080 forwarding to api.
type setup struct {
	lbARN, apiARN, staticARN, listenerARN string
}

func (h *harness) setup(t testing.TB) setup {
	t.Helper()
	ctx := context.Background()
	var s setup
	lbOut := must[*elb.CreateLoadBalancerOutput](t)(h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"},
	}))
	s.lbARN = *lbOut.LoadBalancers[0].LoadBalancerArn
	api := must[*elb.CreateTargetGroupOutput](t)(h.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8000), VpcId: aws.String("vpc-1"), TargetType: types.TargetTypeEnumIp,
	}))
	s.apiARN = *api.TargetGroups[0].TargetGroupArn
	static := must[*elb.CreateTargetGroupOutput](t)(h.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("static"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(9000), VpcId: aws.String("vpc-1"),
		HealthCheckPath: aws.String("/health"), Matcher: &types.Matcher{HttpCode: aws.String("200-299")},
	}))
	s.staticARN = *static.TargetGroups[0].TargetGroupArn
	l := must[*elb.CreateListenerOutput](t)(h.sdk.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: &s.lbARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &s.apiARN}},
	}))
	s.listenerARN = *l.Listeners[0].ListenerArn
	return s
}

func TestLoadBalancers(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	out := must[*elb.CreateLoadBalancerOutput](t)(h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	}))
	got := out.LoadBalancers[0]
	arn := *got.LoadBalancerArn
	if !lbARNRE.MatchString(arn) {
		t.Fatalf("ARN %q", arn)
	}
	id := arn[len(arn)-16:]
	n, _ := strconv.ParseUint(id[:8], 16, 32)
	want := types.LoadBalancer{
		LoadBalancerArn: &arn, LoadBalancerName: aws.String("web"),
		DNSName:               aws.String("web-" + strconv.FormatUint(n, 10) + ".us-east-1.elb.localhost"),
		CanonicalHostedZoneId: aws.String("Z35SXDOTRQ7X7K"), CreatedTime: aws.Time(h.clock.Now()),
		Scheme: types.LoadBalancerSchemeEnumInternetFacing, State: &types.LoadBalancerState{Code: types.LoadBalancerStateEnumProvisioning},
		Type: types.LoadBalancerTypeEnumApplication, IpAddressType: types.IpAddressTypeIpv4, SecurityGroups: []string{"sg-1"},
		AvailabilityZones: []types.AvailabilityZone{
			{ZoneName: aws.String("us-east-1a"), SubnetId: aws.String("subnet-a"), LoadBalancerAddresses: []types.LoadBalancerAddress{}},
			{ZoneName: aws.String("us-east-1b"), SubnetId: aws.String("subnet-b"), LoadBalancerAddresses: []types.LoadBalancerAddress{}},
		},
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(types.LoadBalancer{}, types.LoadBalancerState{}, types.AvailabilityZone{})); d != "" {
		t.Fatalf("CreateLoadBalancer -want +got:\n%s", d)
	}

	// The same request again returns the same load balancer; other settings are a duplicate.
	again := must[*elb.CreateLoadBalancerOutput](t)(h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"},
	}))
	if *again.LoadBalancers[0].LoadBalancerArn != arn {
		t.Fatal("idempotent create returned another load balancer")
	}
	_, err := h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Scheme: types.LoadBalancerSchemeEnumInternal})
	if errCode(err) != "DuplicateLoadBalancerName" {
		t.Fatalf("duplicate name: %v", err)
	}
	internal := must[*elb.CreateLoadBalancerOutput](t)(h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("back"), Scheme: types.LoadBalancerSchemeEnumInternal,
	}))
	if dns := *internal.LoadBalancers[0].DNSName; !regexp.MustCompile(`^internal-back-\d+\.us-east-1\.elb\.localhost$`).MatchString(dns) {
		t.Fatalf("internal DNS name %q", dns)
	}

	// Describe: active, by name, by ARN, all; missing ones are not found.
	d := must[*elb.DescribeLoadBalancersOutput](t)(h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web"}}))
	if len(d.LoadBalancers) != 1 || d.LoadBalancers[0].State.Code != types.LoadBalancerStateEnumActive {
		t.Fatalf("describe by name: %+v", d.LoadBalancers)
	}
	d = must[*elb.DescribeLoadBalancersOutput](t)(h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}))
	if len(d.LoadBalancers) != 1 || *d.LoadBalancers[0].LoadBalancerName != "web" {
		t.Fatalf("describe by ARN: %+v", d.LoadBalancers)
	}
	d = must[*elb.DescribeLoadBalancersOutput](t)(h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}))
	if names := lbNames(d.LoadBalancers); !slices.Equal(names, []string{"back", "web"}) {
		t.Fatalf("describe all: %v", names)
	}
	_, err = h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web", "nope"}})
	if errCode(err) != "LoadBalancerNotFound" {
		t.Fatalf("describe missing: %v", err)
	}

	// Attributes: AWS's defaults, then changes.
	attrs := must[*elb.DescribeLoadBalancerAttributesOutput](t)(h.sdk.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: &arn}))
	if v := attrOf(attrs.Attributes, "idle_timeout.timeout_seconds"); v != "60" || len(attrs.Attributes) != len(lbAttrs) {
		t.Fatalf("default attributes: idle %q, %d attributes", v, len(attrs.Attributes))
	}
	mod := must[*elb.ModifyLoadBalancerAttributesOutput](t)(h.sdk.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: &arn, Attributes: []types.LoadBalancerAttribute{
			{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("120")},
			{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")},
		},
	}))
	if attrOf(mod.Attributes, "idle_timeout.timeout_seconds") != "120" || attrOf(mod.Attributes, "routing.http2.enabled") != "true" {
		t.Fatalf("modified attributes: %v", mod.Attributes)
	}

	// Deletion protection holds the load balancer; without it, it goes, and deleting again succeeds.
	if _, err := h.sdk.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: &arn}); errCode(err) != "OperationNotPermitted" {
		t.Fatalf("delete protected: %v", err)
	}
	must[*elb.ModifyLoadBalancerAttributesOutput](t)(h.sdk.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{
		LoadBalancerArn: &arn, Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}},
	}))
	for range 2 {
		must[*elb.DeleteLoadBalancerOutput](t)(h.sdk.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: &arn}))
	}
	if _, err := h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}); errCode(err) != "LoadBalancerNotFound" {
		t.Fatalf("describe deleted: %v", err)
	}
}

func lbNames(lbs []types.LoadBalancer) []string {
	var out []string
	for _, l := range lbs {
		out = append(out, *l.LoadBalancerName)
	}
	return out
}

func attrOf[T interface {
	types.LoadBalancerAttribute | types.TargetGroupAttribute
}](attrs []T, key string) string {
	for _, a := range attrs {
		var k, v *string
		switch a := any(a).(type) {
		case types.LoadBalancerAttribute:
			k, v = a.Key, a.Value
		case types.TargetGroupAttribute:
			k, v = a.Key, a.Value
		}
		if *k == key {
			return *v
		}
	}
	return "<missing>"
}

// TestPagination walks load balancers and target groups with the SDK's
// paginators, 2 to a page.
func TestPagination(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var want []string
	for i := range 5 {
		name := "lb-" + strconv.Itoa(i)
		want = append(want, name)
		must[*elb.CreateLoadBalancerOutput](t)(h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: &name}))
		must[*elb.CreateTargetGroupOutput](t)(h.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
			Name: &name, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"),
		}))
	}
	var got []string
	pages := 0
	p := elb.NewDescribeLoadBalancersPaginator(h.sdk, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(2)})
	for p.HasMorePages() {
		pg := must[*elb.DescribeLoadBalancersOutput](t)(p.NextPage(ctx))
		got = append(got, lbNames(pg.LoadBalancers)...)
		pages++
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("load balancers %v in %d pages", got, pages)
	}
	got = nil
	tp := elb.NewDescribeTargetGroupsPaginator(h.sdk, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(2)})
	for tp.HasMorePages() {
		for _, g := range must[*elb.DescribeTargetGroupsOutput](t)(tp.NextPage(ctx)).TargetGroups {
			got = append(got, *g.TargetGroupName)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("target groups %v", got)
	}
	// A page that starts after a deleted item still continues in order.
	first := must[*elb.DescribeLoadBalancersOutput](t)(h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(2)}))
	must[*elb.DeleteLoadBalancerOutput](t)(h.sdk.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: first.LoadBalancers[1].LoadBalancerArn}))
	next := must[*elb.DescribeLoadBalancersOutput](t)(h.sdk.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(2), Marker: first.NextMarker}))
	if names := lbNames(next.LoadBalancers); !slices.Equal(names, []string{"lb-2", "lb-3"}) {
		t.Fatalf("page after a deleted item: %v", names)
	}
}

func TestTargetGroups(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	out := must[*elb.CreateTargetGroupOutput](t)(h.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8000), VpcId: aws.String("vpc-1"), TargetType: types.TargetTypeEnumIp,
	}))
	got := out.TargetGroups[0]
	arn := *got.TargetGroupArn
	if !tgARNRE.MatchString(arn) {
		t.Fatalf("ARN %q", arn)
	}
	want := types.TargetGroup{
		TargetGroupArn: &arn, TargetGroupName: aws.String("api"), Protocol: types.ProtocolEnumHttp, ProtocolVersion: aws.String("HTTP1"),
		Port: aws.Int32(8000), VpcId: aws.String("vpc-1"), HealthCheckProtocol: types.ProtocolEnumHttp, HealthCheckPort: aws.String("traffic-port"),
		HealthCheckEnabled: aws.Bool(true), HealthCheckIntervalSeconds: aws.Int32(30), HealthCheckTimeoutSeconds: aws.Int32(5),
		HealthyThresholdCount: aws.Int32(5), UnhealthyThresholdCount: aws.Int32(2), HealthCheckPath: aws.String("/"),
		Matcher: &types.Matcher{HttpCode: aws.String("200")}, LoadBalancerArns: []string{}, TargetType: types.TargetTypeEnumIp,
		IpAddressType: types.TargetGroupIpAddressTypeEnumIpv4,
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(types.TargetGroup{}, types.Matcher{})); d != "" {
		t.Fatalf("CreateTargetGroup -want +got:\n%s", d)
	}
	again := must[*elb.CreateTargetGroupOutput](t)(h.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8000), VpcId: aws.String("vpc-1"), TargetType: types.TargetTypeEnumIp,
	}))
	if *again.TargetGroups[0].TargetGroupArn != arn {
		t.Fatal("idempotent create returned another target group")
	}
	if _, err := h.sdk.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(9)}); errCode(err) != "DuplicateTargetGroupName" {
		t.Fatalf("duplicate: %v", err)
	}

	mod := must[*elb.ModifyTargetGroupOutput](t)(h.sdk.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{
		TargetGroupArn: &arn, HealthCheckPath: aws.String("/healthz"), HealthCheckIntervalSeconds: aws.Int32(10),
		HealthCheckTimeoutSeconds: aws.Int32(3), HealthyThresholdCount: aws.Int32(2), HealthCheckPort: aws.String("8001"),
		Matcher: &types.Matcher{HttpCode: aws.String("200,204")},
	}))
	g := mod.TargetGroups[0]
	if *g.HealthCheckPath != "/healthz" || *g.HealthCheckIntervalSeconds != 10 || *g.HealthCheckTimeoutSeconds != 3 ||
		*g.HealthyThresholdCount != 2 || *g.HealthCheckPort != "8001" || *g.Matcher.HttpCode != "200,204" || *g.UnhealthyThresholdCount != 2 {
		t.Fatalf("modified: %+v", g)
	}
	if _, err := h.sdk.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: &arn, HealthCheckTimeoutSeconds: aws.Int32(11)}); errCode(err) != "ValidationError" {
		t.Fatalf("timeout not below interval: %v", err)
	}

	attrs := must[*elb.DescribeTargetGroupAttributesOutput](t)(h.sdk.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: &arn}))
	for k, v := range map[string]string{"deregistration_delay.timeout_seconds": "300", "stickiness.enabled": "false", "stickiness.type": "lb_cookie",
		"stickiness.lb_cookie.duration_seconds": "86400", "slow_start.duration_seconds": "0", "load_balancing.algorithm.type": "round_robin"} {
		if got := attrOf(attrs.Attributes, k); got != v {
			t.Errorf("default %s = %q, want %q", k, got, v)
		}
	}
	mattrs := must[*elb.ModifyTargetGroupAttributesOutput](t)(h.sdk.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: &arn, Attributes: []types.TargetGroupAttribute{
			{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("10")},
			{Key: aws.String("stickiness.enabled"), Value: aws.String("true")},
			{Key: aws.String("stickiness.type"), Value: aws.String("app_cookie")},
			{Key: aws.String("stickiness.app_cookie.cookie_name"), Value: aws.String("session")},
			{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String("least_outstanding_requests")},
		},
	}))
	if attrOf(mattrs.Attributes, "stickiness.app_cookie.cookie_name") != "session" || attrOf(mattrs.Attributes, "deregistration_delay.timeout_seconds") != "10" {
		t.Fatalf("modified attributes %v", mattrs.Attributes)
	}
	if _, err := h.sdk.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &arn, Attributes: []types.TargetGroupAttribute{
		{Key: aws.String("stickiness.app_cookie.cookie_name"), Value: aws.String("")},
	}}); errCode(err) != "InvalidConfigurationRequest" {
		t.Fatalf("app_cookie stickiness without a cookie name: %v", err)
	}

	byName := must[*elb.DescribeTargetGroupsOutput](t)(h.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"api"}}))
	byARN := must[*elb.DescribeTargetGroupsOutput](t)(h.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}}))
	if len(byName.TargetGroups) != 1 || len(byARN.TargetGroups) != 1 || *byARN.TargetGroups[0].HealthCheckPath != "/healthz" {
		t.Fatalf("describe: %+v %+v", byName.TargetGroups, byARN.TargetGroups)
	}
	if _, err := h.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}}); errCode(err) != "TargetGroupNotFound" {
		t.Fatalf("describe missing: %v", err)
	}
	for range 2 {
		must[*elb.DeleteTargetGroupOutput](t)(h.sdk.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &arn}))
	}
	if _, err := h.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}}); errCode(err) != "TargetGroupNotFound" {
		t.Fatalf("describe deleted: %v", err)
	}
}

func TestTargets(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	must[*elb.RegisterTargetsOutput](t)(h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{
		{Id: aws.String("10.0.0.1")}, {Id: aws.String("10.0.0.2"), Port: aws.Int32(8001), AvailabilityZone: aws.String("us-east-1a")},
	}}))
	must[*elb.RegisterTargetsOutput](t)(h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.staticARN, Targets: []types.TargetDescription{
		{Id: aws.String("i-0123456789abcdef0")}, {Id: aws.String("i-0ffffffffffffffff")},
	}}))
	h.health.set(s.apiARN, "10.0.0.1:8000", lb.TargetHealth{State: lb.StateHealthy})

	health := func(arn string, targets ...types.TargetDescription) map[string]string {
		t.Helper()
		out := must[*elb.DescribeTargetHealthOutput](t)(h.sdk.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: &arn, Targets: targets}))
		m := map[string]string{}
		for _, d := range out.TargetHealthDescriptions {
			v := string(d.TargetHealth.State)
			if d.TargetHealth.Reason != "" {
				v += "/" + string(d.TargetHealth.Reason)
			}
			m[*d.Target.Id+":"+strconv.Itoa(int(*d.Target.Port))+" hc "+*d.HealthCheckPort] = v
		}
		return m
	}
	if d := cmp.Diff(map[string]string{
		"10.0.0.1:8000 hc 8000": "healthy",
		"10.0.0.2:8001 hc 8001": "initial/Elb.InitialHealthChecking",
	}, health(s.apiARN)); d != "" {
		t.Fatalf("api health -want +got:\n%s", d)
	}
	// static is used by no listener yet; one of its instances is unknown.
	if d := cmp.Diff(map[string]string{
		"i-0123456789abcdef0:9000 hc 9000": "unused/Target.NotInUse",
		"i-0ffffffffffffffff:9000 hc 9000": "unhealthy/Target.InvalidState",
	}, health(s.staticARN)); d != "" {
		t.Fatalf("static health -want +got:\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"10.9.9.9:8000 hc 8000": "unused/Target.NotRegistered", "10.0.0.2:8001 hc 8001": "initial/Elb.InitialHealthChecking"},
		health(s.apiARN, types.TargetDescription{Id: aws.String("10.9.9.9")}, types.TargetDescription{Id: aws.String("10.0.0.2")})); d != "" {
		t.Fatalf("named targets -want +got:\n%s", d)
	}

	// Deregistering drains for the delay; Sweep removes the target after it.
	must[*elb.ModifyTargetGroupAttributesOutput](t)(h.sdk.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: &s.apiARN,
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}}}))
	must[*elb.DeregisterTargetsOutput](t)(h.sdk.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{{Id: aws.String("10.0.0.1")}}}))
	if got := health(s.apiARN)["10.0.0.1:8000 hc 8000"]; got != "draining/Target.DeregistrationInProgress" {
		t.Fatalf("deregistered target: %q", got)
	}
	if _, err := h.sdk.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{{Id: aws.String("10.0.0.9")}}}); errCode(err) != "InvalidTarget" {
		t.Fatalf("deregister unregistered: %v", err)
	}
	h.clock.Advance(29 * time.Second)
	if err := h.api.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := health(s.apiARN)["10.0.0.1:8000 hc 8000"]; !ok {
		t.Fatal("target gone before its delay")
	}
	h.clock.Advance(time.Second)
	if _, ok := health(s.apiARN)["10.0.0.1:8000 hc 8000"]; ok {
		t.Fatal("target still described after its delay")
	}
	if err := h.api.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.st.List(groupTargetsPrefix(s.apiARN[len(s.apiARN)-16:]))); n != 1 {
		t.Fatalf("%d target records after the sweep, want 1", n)
	}
	// A group no load balancer uses lets its targets go at once.
	must[*elb.DeregisterTargetsOutput](t)(h.sdk.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: &s.staticARN, Targets: []types.TargetDescription{{Id: aws.String("i-0ffffffffffffffff")}}}))
	if d := cmp.Diff(map[string]string{"i-0123456789abcdef0:9000 hc 9000": "unused/Target.NotInUse"}, health(s.staticARN)); d != "" {
		t.Fatalf("static after deregistration -want +got:\n%s", d)
	}

	if _, err := h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}}); errCode(err) != "InvalidTarget" {
		t.Fatalf("instance in an ip group: %v", err)
	}
	if _, err := h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.staticARN, Targets: []types.TargetDescription{{Id: aws.String("10.0.0.1")}}}); errCode(err) != "InvalidTarget" {
		t.Fatalf("IP in an instance group: %v", err)
	}
}

func TestTooManyTargets(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	var ts []TargetDescription
	for i := range maxTargets {
		ts = append(ts, TargetDescription{Id: str("10.1." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1))})
	}
	if err := h.api.RegisterTargets(ctx, s.apiARN, ts); err != nil {
		t.Fatal(err)
	}
	if err := h.api.RegisterTargets(ctx, s.apiARN, ts[:10]); err != nil {
		t.Fatalf("registering registered targets again: %v", err)
	}
	_, err := h.sdk.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: &s.apiARN, Targets: []types.TargetDescription{{Id: aws.String("10.2.0.1")}}})
	if errCode(err) != "TooManyTargets" {
		t.Fatalf("target %d: %v", maxTargets+1, err)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	rule := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &s.listenerARN})).Rules[0].RuleArn
	arns := []string{s.lbARN, s.apiARN, s.listenerARN, *rule}
	must[*elb.AddTagsOutput](t)(h.sdk.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("core")},
	}}))
	must[*elb.AddTagsOutput](t)(h.sdk.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns[:1], Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))
	must[*elb.RemoveTagsOutput](t)(h.sdk.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: arns[1:2], TagKeys: []string{"team", "absent"}}))
	out := must[*elb.DescribeTagsOutput](t)(h.sdk.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns}))
	got := map[string]map[string]string{}
	for _, d := range out.TagDescriptions {
		m := map[string]string{}
		for _, tg := range d.Tags {
			m[*tg.Key] = *tg.Value
		}
		got[*d.ResourceArn] = m
	}
	want := map[string]map[string]string{
		s.lbARN: {"env": "prod", "team": "core"}, s.apiARN: {"env": "dev"},
		s.listenerARN: {"env": "dev", "team": "core"}, *rule: {"env": "dev", "team": "core"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("tags -want +got:\n%s", d)
	}
	if _, err := h.sdk.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns[:1], Tags: []types.Tag{{Key: aws.String("a")}, {Key: aws.String("a")}}}); errCode(err) != "DuplicateTagKeys" {
		t.Fatalf("duplicate keys: %v", err)
	}
	var many []types.Tag
	for i := range 49 {
		many = append(many, types.Tag{Key: aws.String("k" + strconv.Itoa(i))})
	}
	if _, err := h.sdk.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns[:1], Tags: many}); errCode(err) != "TooManyTags" {
		t.Fatalf("51 tags: %v", err)
	}
	if _, err := h.sdk.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{s.lbARN + "/x"}}); errCode(err) != "ValidationError" {
		t.Fatalf("bad ARN: %v", err)
	}
}
