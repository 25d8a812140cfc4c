package elbv2

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeCert writes a self-signed certificate and its key, in one file and
// in two, and returns their "ARNs".
func writeCert(t *testing.T, dir string) (combined, pair string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "web.localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	both := filepath.Join(dir, "site.pem")
	c, k := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for p, b := range map[string][]byte{both: append(append([]byte{}, certPEM...), keyPEM...), c: certPEM, k: keyPEM} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + both, "file://" + c + ",file://" + k
}

func TestListeners(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	if !listenerARNRE.MatchString(s.listenerARN) {
		t.Fatalf("listener ARN %q", s.listenerARN)
	}
	d := must[*elb.DescribeListenersOutput](t)(h.sdk.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: &s.lbARN}))
	want := []types.Listener{{
		ListenerArn: &s.listenerARN, LoadBalancerArn: &s.lbARN, Port: aws.Int32(8080), Protocol: types.ProtocolEnumHttp,
		DefaultActions: []types.Action{{
			Type: types.ActionTypeEnumForward, Order: aws.Int32(1), TargetGroupArn: &s.apiARN,
			ForwardConfig: &types.ForwardActionConfig{
				TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: &s.apiARN, Weight: aws.Int32(1)}},
				TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(false)},
			},
		}},
	}}
	ignore := cmpopts.IgnoreUnexported(types.Listener{}, types.Action{}, types.ForwardActionConfig{}, types.TargetGroupTuple{}, types.TargetGroupStickinessConfig{}, types.Certificate{}, types.RedirectActionConfig{}, types.FixedResponseActionConfig{})
	if diff := cmp.Diff(want, d.Listeners, ignore); diff != "" {
		t.Fatalf("DescribeListeners -want +got:\n%s", diff)
	}

	// The target group now belongs to the load balancer.
	tgs := must[*elb.DescribeTargetGroupsOutput](t)(h.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: &s.lbARN}))
	if len(tgs.TargetGroups) != 1 || *tgs.TargetGroups[0].TargetGroupArn != s.apiARN || !slices.Equal(tgs.TargetGroups[0].LoadBalancerArns, []string{s.lbARN}) {
		t.Fatalf("target groups of the load balancer: %+v", tgs.TargetGroups)
	}
	if _, err := h.sdk.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &s.apiARN}); errCode(err) != "ResourceInUse" {
		t.Fatalf("delete used target group: %v", err)
	}

	// Same listener again: the same one; another on the port: a duplicate.
	again := must[*elb.CreateListenerOutput](t)(h.sdk.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: &s.lbARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &s.apiARN}},
	}))
	if *again.Listeners[0].ListenerArn != s.listenerARN {
		t.Fatal("idempotent create returned another listener")
	}
	fixed := []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("404"), ContentType: aws.String("text/plain"), MessageBody: aws.String("nope")}}}
	if _, err := h.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: &s.lbARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), DefaultActions: fixed}); errCode(err) != "DuplicateListener" {
		t.Fatalf("duplicate port: %v", err)
	}
	// Another load balancer cannot have the port either: one host address serves them all.
	other := must[*elb.CreateLoadBalancerOutput](t)(h.sdk.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("other")}))
	otherARN := other.LoadBalancers[0].LoadBalancerArn
	if _, err := h.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: otherARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), DefaultActions: fixed}); errCode(err) != "DuplicateListener" {
		t.Fatalf("port of another load balancer: %v", err)
	}
	// Nor forward to a target group of another load balancer.
	if _, err := h.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: otherARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8081),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &s.apiARN}}}); errCode(err) != "TargetGroupAssociationLimit" {
		t.Fatalf("target group of another load balancer: %v", err)
	}

	// HTTPS with a certificate in files; a missing one is not found.
	combined, pair := writeCert(t, h.dir)
	https := must[*elb.CreateListenerOutput](t)(h.sdk.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: &s.lbARN, Protocol: types.ProtocolEnumHttps, Port: aws.Int32(8443),
		Certificates: []types.Certificate{{CertificateArn: &combined}}, DefaultActions: fixed,
	})).Listeners[0]
	if https.SslPolicy == nil || *https.SslPolicy != "ELBSecurityPolicy-2016-08" || *https.Certificates[0].CertificateArn != combined {
		t.Fatalf("HTTPS listener: %+v", https)
	}
	if _, err := h.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: &s.lbARN, Protocol: types.ProtocolEnumHttps, Port: aws.Int32(8444),
		Certificates: []types.Certificate{{CertificateArn: aws.String("arn:aws:acm:us-east-1:000000000000:certificate/x")}}, DefaultActions: fixed}); errCode(err) != "CertificateNotFound" {
		t.Fatalf("ACM certificate: %v", err)
	}
	mod := must[*elb.ModifyListenerOutput](t)(h.sdk.ModifyListener(ctx, &elb.ModifyListenerInput{
		ListenerArn: https.ListenerArn, Port: aws.Int32(9443), Certificates: []types.Certificate{{CertificateArn: &pair}}, SslPolicy: aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06"),
	})).Listeners[0]
	if *mod.Port != 9443 || *mod.Certificates[0].CertificateArn != pair || *mod.SslPolicy != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Fatalf("modified HTTPS listener: %+v", mod)
	}
	// To HTTP: the certificate and policy go.
	mod = must[*elb.ModifyListenerOutput](t)(h.sdk.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: https.ListenerArn, Protocol: types.ProtocolEnumHttp})).Listeners[0]
	if mod.Protocol != types.ProtocolEnumHttp || mod.Certificates != nil || mod.SslPolicy != nil {
		t.Fatalf("listener made HTTP: %+v", mod)
	}
	if _, err := h.sdk.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: https.ListenerArn, Port: aws.Int32(8080)}); errCode(err) != "DuplicateListener" {
		t.Fatalf("modify to a used port: %v", err)
	}

	// Changing the default action releases the old target group.
	must[*elb.ModifyListenerOutput](t)(h.sdk.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: &s.listenerARN, DefaultActions: []types.Action{{
		Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: &s.staticARN, Weight: aws.Int32(3)}}},
	}}}))
	api := must[*elb.DescribeTargetGroupsOutput](t)(h.sdk.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{s.apiARN}})).TargetGroups[0]
	if len(api.LoadBalancerArns) != 0 {
		t.Fatalf("released target group still has %v", api.LoadBalancerArns)
	}

	must[*elb.DeleteListenerOutput](t)(h.sdk.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: https.ListenerArn}))
	if _, err := h.sdk.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: https.ListenerArn}); errCode(err) != "ListenerNotFound" {
		t.Fatalf("delete deleted listener: %v", err)
	}
	// The port is free again, for any load balancer.
	must[*elb.CreateListenerOutput](t)(h.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: otherARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(9443), DefaultActions: fixed}))

	// Deleting the load balancer deletes its listeners and releases its groups and ports.
	must[*elb.DeleteLoadBalancerOutput](t)(h.sdk.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: &s.lbARN}))
	if _, err := h.sdk.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{s.listenerARN}}); errCode(err) != "ListenerNotFound" {
		t.Fatalf("listener of deleted load balancer: %v", err)
	}
	must[*elb.DeleteTargetGroupOutput](t)(h.sdk.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: &s.staticARN}))
	must[*elb.CreateListenerOutput](t)(h.sdk.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: otherARN, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), DefaultActions: fixed}))
}

func TestRules(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.setup(t)
	forwardStatic := []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: &s.staticARN}}
	r1 := must[*elb.CreateRuleOutput](t)(h.sdk.CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: &s.listenerARN, Priority: aws.Int32(10), Actions: forwardStatic,
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/static/*"}}},
	})).Rules[0]
	if !ruleARNRE.MatchString(*r1.RuleArn) || *r1.Priority != "10" || *r1.IsDefault {
		t.Fatalf("rule: %+v", r1)
	}
	wantCond := []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/static/*"}, PathPatternConfig: &types.PathPatternConditionConfig{Values: []string{"/static/*"}}}}
	ignore := cmpopts.IgnoreUnexported(types.RuleCondition{}, types.PathPatternConditionConfig{}, types.HostHeaderConditionConfig{}, types.HttpHeaderConditionConfig{},
		types.HttpRequestMethodConditionConfig{}, types.QueryStringConditionConfig{}, types.QueryStringKeyValuePair{}, types.SourceIpConditionConfig{})
	if d := cmp.Diff(wantCond, r1.Conditions, ignore); d != "" {
		t.Fatalf("legacy condition -want +got:\n%s", d)
	}
	r2 := must[*elb.CreateRuleOutput](t)(h.sdk.CreateRule(ctx, &elb.CreateRuleInput{
		ListenerArn: &s.listenerARN, Priority: aws.Int32(5),
		Conditions: []types.RuleCondition{
			{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.example.com"}}},
			{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Env"), Values: []string{"beta"}}},
			{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}},
			{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("v"), Value: aws.String("2")}}}},
		},
		Actions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: types.RedirectActionStatusCodeEnumHttp301}}},
	})).Rules[0]
	rd := r2.Actions[0].RedirectConfig
	if *rd.Host != "#{host}" || *rd.Path != "/#{path}" || *rd.Query != "#{query}" || *rd.Protocol != "HTTPS" || rd.StatusCode != types.RedirectActionStatusCodeEnumHttp301 {
		t.Fatalf("redirect defaults: %+v", rd)
	}
	if _, err := h.sdk.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: &s.listenerARN, Priority: aws.Int32(5), Actions: forwardStatic,
		Conditions: []types.RuleCondition{{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"10.0.0.0/8"}}}}}); errCode(err) != "PriorityInUse" {
		t.Fatalf("priority in use: %v", err)
	}

	// Described by priority, the default rule last.
	rules := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &s.listenerARN})).Rules
	var prios []string
	for _, r := range rules {
		prios = append(prios, *r.Priority)
	}
	if !slices.Equal(prios, []string{"5", "10", "default"}) || !*rules[2].IsDefault || len(rules[2].Conditions) != 0 {
		t.Fatalf("rules by priority: %v %+v", prios, rules[2])
	}
	byARN := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{*r1.RuleArn, *rules[2].RuleArn}})).Rules
	if len(byARN) != 2 || *byARN[0].RuleArn != *r1.RuleArn {
		t.Fatalf("rules by ARN: %+v", byARN)
	}
	paged := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &s.listenerARN, PageSize: aws.Int32(2)}))
	rest := must[*elb.DescribeRulesOutput](t)(h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: &s.listenerARN, PageSize: aws.Int32(2), Marker: paged.NextMarker}))
	if len(paged.Rules) != 2 || len(rest.Rules) != 1 || rest.NextMarker != nil || !*rest.Rules[0].IsDefault {
		t.Fatalf("rule pages: %d then %d", len(paged.Rules), len(rest.Rules))
	}

	// Swap priorities in one call; a clash with a third rule is PriorityInUse.
	swapped := must[*elb.SetRulePrioritiesOutput](t)(h.sdk.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: r1.RuleArn, Priority: aws.Int32(5)}, {RuleArn: r2.RuleArn, Priority: aws.Int32(10)},
	}}))
	if len(swapped.Rules) != 2 || *swapped.Rules[0].Priority != "5" || *swapped.Rules[1].Priority != "10" {
		t.Fatalf("swapped: %+v", swapped.Rules)
	}
	if _, err := h.sdk.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: r1.RuleArn, Priority: aws.Int32(10)}}}); errCode(err) != "PriorityInUse" {
		t.Fatalf("priority clash: %v", err)
	}

	// Modify conditions and actions; the default rule's actions too.
	m := must[*elb.ModifyRuleOutput](t)(h.sdk.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: r1.RuleArn,
		Conditions: []types.RuleCondition{{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"10.0.0.0/8", "::1/128"}}}},
		Actions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
			TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: &s.apiARN, Weight: aws.Int32(80)}, {TargetGroupArn: &s.staticARN, Weight: aws.Int32(20)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(60)},
		}}},
	})).Rules[0]
	if m.Actions[0].TargetGroupArn != nil || len(m.Actions[0].ForwardConfig.TargetGroups) != 2 || !*m.Actions[0].ForwardConfig.TargetGroupStickinessConfig.Enabled {
		t.Fatalf("weighted forward: %+v", m.Actions[0])
	}
	def := must[*elb.ModifyRuleOutput](t)(h.sdk.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: rules[2].RuleArn, Actions: []types.Action{{
		Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("503")},
	}}})).Rules[0]
	if !*def.IsDefault || *def.Actions[0].FixedResponseConfig.StatusCode != "503" {
		t.Fatalf("default rule modified: %+v", def)
	}
	if _, err := h.sdk.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: rules[2].RuleArn}); errCode(err) != "OperationNotPermitted" {
		t.Fatalf("delete default rule: %v", err)
	}
	must[*elb.DeleteRuleOutput](t)(h.sdk.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: r2.RuleArn}))
	if _, err := h.sdk.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: r2.RuleArn}); errCode(err) != "RuleNotFound" {
		t.Fatalf("delete deleted rule: %v", err)
	}
	if _, err := h.sdk.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{*r2.RuleArn}}); errCode(err) != "RuleNotFound" {
		t.Fatalf("describe deleted rule: %v", err)
	}
}
