package elbv2

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/url"
	"strings"
	"testing"
)

// FuzzOperations sends arbitrary parameters to every operation against a
// store that fills up as the fuzzer goes: the answer is a 200 or a 400 in
// AWS's shape, well-formed XML, never a 500 or a panic. {lb}, {tg} and
// {listener} in the parameters stand for ARNs of resources that exist.
func FuzzOperations(f *testing.F) {
	h := newHarness(f)
	ops := make([]string, 0, 32)
	for op := range h.api.Service().Ops {
		ops = append(ops, op)
	}
	seeds := []struct{ op, params string }{
		{"CreateLoadBalancer", "Name=fz&Subnets.member.1=s"},
		{"CreateTargetGroup", "Name=fz&Protocol=HTTP&Port=80&TargetType=ip"},
		{"CreateListener", "LoadBalancerArn={lb}&Protocol=HTTP&Port=18080&DefaultActions.member.1.Type=forward&DefaultActions.member.1.TargetGroupArn={tg}"},
		{"CreateRule", "ListenerArn={listener}&Priority=3&Conditions.member.1.Field=path-pattern&Conditions.member.1.Values.member.1=/a*&Actions.member.1.Type=fixed-response&Actions.member.1.FixedResponseConfig.StatusCode=204"},
		{"CreateRule", "ListenerArn={listener}&Priority=4&Conditions.member.1.Field=query-string&Conditions.member.1.QueryStringConfig.Values.member.1.Value=x&Actions.member.1.Type=redirect&Actions.member.1.RedirectConfig.StatusCode=HTTP_301&Actions.member.1.RedirectConfig.Host=h"},
		{"RegisterTargets", "TargetGroupArn={tg}&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=81"},
		{"DeregisterTargets", "TargetGroupArn={tg}&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=81"},
		{"DescribeTargetHealth", "TargetGroupArn={tg}&Include.member.1=All"},
		{"ModifyTargetGroupAttributes", "TargetGroupArn={tg}&Attributes.member.1.Key=slow_start.duration_seconds&Attributes.member.1.Value=30"},
		{"ModifyLoadBalancerAttributes", "LoadBalancerArn={lb}&Attributes.member.1.Key=idle_timeout.timeout_seconds&Attributes.member.1.Value=5"},
		{"DescribeRules", "ListenerArn={listener}&PageSize=1"},
		{"SetRulePriorities", "RulePriorities.member.1.RuleArn=x&RulePriorities.member.1.Priority=2"},
		{"AddTags", "ResourceArns.member.1={lb}&Tags.member.1.Key=k&Tags.member.1.Value=v"},
		{"DescribeLoadBalancers", "Marker=bGI&PageSize=1"},
		{"DeleteLoadBalancer", "LoadBalancerArn={lb}"},
	}
	for i, s := range seeds {
		f.Add(uint8(i), s.params)
	}
	// Resources that exist for the placeholders to name.
	s := h.setup(f)
	repl := strings.NewReplacer("{lb}", s.lbARN, "{tg}", s.apiARN, "{listener}", s.listenerARN)
	f.Fuzz(func(t *testing.T, which uint8, params string) {
		op := ops[int(which)%len(ops)]
		if which < uint8(len(seeds)) {
			op = seeds[which].op
		}
		vals, err := url.ParseQuery(repl.Replace(params))
		if err != nil {
			return
		}
		vals.Del("Action")
		vals.Del("Version")
		r := h.raw(t, op, vals.Encode())
		if r.Status != 200 && r.Status != 400 {
			t.Fatalf("%s %q: status %d\n%s", op, params, r.Status, r.Body)
		}
		d := xml.NewDecoder(bytes.NewReader([]byte(r.Body)))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s %q: response is not XML: %v\n%s", op, params, err, r.Body)
			}
		}
		if r.Status == 400 && (r.Code == "" || r.Type != "Sender") {
			t.Fatalf("%s %q: 400 without an error code\n%s", op, params, r.Body)
		}
	})
}
