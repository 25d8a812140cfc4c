package elbv2

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxRules is AWS's limit of rules per load balancer, default rules aside.
const maxRules = 100

func (l *listenerRecord) rule(id string) *ruleRecord {
	for _, r := range l.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func sortRules(l *listenerRecord) {
	slices.SortFunc(l.Rules, func(x, y *ruleRecord) int { return int(x.Priority) - int(y.Priority) })
}

func ruleCount(r *lbRecord) int {
	n := 0
	for _, l := range r.Listeners {
		n += len(l.Rules)
	}
	return n
}

func (a *API) describeRule(r *lbRecord, l *listenerRecord, rule *ruleRecord) Rule {
	return Rule{
		RuleArn: a.ruleARN(r, l, rule.ID), Priority: strconv.Itoa(int(rule.Priority)),
		Conditions: rule.Conditions, Actions: rule.Actions,
	}
}

func (a *API) defaultRule(r *lbRecord, l *listenerRecord) Rule {
	return Rule{
		RuleArn: a.ruleARN(r, l, l.DefaultRuleID), Priority: "default", IsDefault: true,
		Conditions: []RuleCondition{}, Actions: l.DefaultActions,
	}
}

// CreateRuleInput is the CreateRule request.
type CreateRuleInput struct {
	ListenerArn *string
	Conditions  []RuleCondition
	Priority    *int32
	Actions     []Action
	Tags        []Tag
}

// RulesOutput is the response of CreateRule, ModifyRule and SetRulePriorities.
type RulesOutput struct {
	Rules []Rule
}

func priorityInUse(p int32) error {
	return clientErr("PriorityInUse", "Priority '%d' is currently in use", p)
}

// createRule adds a rule to a listener at a free priority.
func (a *API) createRule(ctx context.Context, in *CreateRuleInput) (*RulesOutput, error) {
	switch {
	case in.ListenerArn == nil:
		return nil, missing("listenerArn")
	case in.Conditions == nil:
		return nil, missing("conditions")
	case in.Priority == nil:
		return nil, missing("priority")
	case in.Actions == nil:
		return nil, missing("actions")
	}
	if err := checkRange(in.Priority, "priority", 1, 50000); err != nil {
		return nil, err
	}
	conds, err := checkConditions(in.Conditions)
	if err != nil {
		return nil, err
	}
	actions, err := checkActions(in.Actions, "actions")
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	ref, err := a.parseListenerARN(*in.ListenerArn)
	if err != nil {
		return nil, err
	}
	rule := &ruleRecord{ID: newID(), Priority: *in.Priority, Conditions: conds, Actions: actions, Tags: tags}
	var lis *listenerRecord
	r, err := a.updateListener(ctx, ref, func(r *lbRecord, l *listenerRecord) error {
		for _, o := range l.Rules {
			if o.Priority == rule.Priority {
				return priorityInUse(rule.Priority)
			}
		}
		if ruleCount(r) >= maxRules {
			return clientErr("TooManyRules", "You've reached the limit on the number of rules per load balancer (%d)", maxRules)
		}
		l.Rules = append(l.Rules, rule)
		sortRules(l)
		lis = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RulesOutput{Rules: []Rule{a.describeRule(r, lis, rule)}}, nil
}

// DescribeRulesInput is the DescribeRules request.
type DescribeRulesInput struct {
	ListenerArn *string
	RuleArns    []string
	Marker      *string
	PageSize    *int32
}

// DescribeRulesOutput is the DescribeRules response.
type DescribeRulesOutput struct {
	Rules      []Rule
	NextMarker *string
}

type ruleItem struct {
	key  string
	rule Rule
}

// ruleKey orders a listener's rules by priority with the default last.
func ruleKey(lisKey string, priority int32) string { return fmt.Sprintf("%s/%05d", lisKey, priority) }

// describeRules lists a listener's rules, or those named, by priority with
// the default rule last.
func (a *API) describeRules(ctx context.Context, in *DescribeRulesInput) (*DescribeRulesOutput, error) {
	if err := checkRange(in.PageSize, "pageSize", 1, 400); err != nil {
		return nil, err
	}
	var items []ruleItem
	switch {
	case in.ListenerArn != nil && in.RuleArns != nil:
		return nil, invalid("Listener rule ARNs and a listener ARN cannot be specified at the same time")
	case in.ListenerArn != nil:
		ref, err := a.parseListenerARN(*in.ListenerArn)
		if err != nil {
			return nil, err
		}
		r, l, err := a.listener(ref)
		if err != nil {
			return nil, err
		}
		for _, rule := range l.Rules {
			items = append(items, ruleItem{ruleKey("", rule.Priority), a.describeRule(r, l, rule)})
		}
		items = append(items, ruleItem{ruleKey("", 99999), a.defaultRule(r, l)})
	case in.RuleArns != nil:
		for _, arn := range in.RuleArns {
			ref, err := a.parseRuleARN(arn)
			if err != nil {
				return nil, err
			}
			r, l, err := a.listener(ref.listenerRef)
			if err != nil {
				return nil, ruleNotFound()
			}
			lk := r.Name + "/" + l.ID
			if ref.ruleID == l.DefaultRuleID {
				items = append(items, ruleItem{ruleKey(lk, 99999), a.defaultRule(r, l)})
				continue
			}
			rule := l.rule(ref.ruleID)
			if rule == nil {
				return nil, ruleNotFound()
			}
			items = append(items, ruleItem{ruleKey(lk, rule.Priority), a.describeRule(r, l, rule)})
		}
	default:
		return nil, invalid("You must specify either listener rule ARNs or a listener ARN")
	}
	slices.SortFunc(items, func(x, y ruleItem) int { return strings.Compare(x.key, y.key) })
	items = slices.CompactFunc(items, func(x, y ruleItem) bool { return x.key == y.key })
	pg, next, err := page(items, func(it ruleItem) string { return it.key }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &DescribeRulesOutput{Rules: []Rule{}, NextMarker: next}
	for _, it := range pg {
		out.Rules = append(out.Rules, it.rule)
	}
	return out, nil
}

// ModifyRuleInput is the ModifyRule request.
type ModifyRuleInput struct {
	RuleArn    *string
	Conditions []RuleCondition
	Actions    []Action
}

// modifyRule replaces a rule's conditions, actions or both. The default
// rule's actions can be changed this way too; it takes no conditions.
func (a *API) modifyRule(ctx context.Context, in *ModifyRuleInput) (*RulesOutput, error) {
	if in.RuleArn == nil {
		return nil, missing("ruleArn")
	}
	if in.Conditions == nil && in.Actions == nil {
		return nil, invalid("Either conditions or actions must be specified")
	}
	var conds []RuleCondition
	var actions []Action
	var err error
	if in.Conditions != nil {
		if conds, err = checkConditions(in.Conditions); err != nil {
			return nil, err
		}
	}
	if in.Actions != nil {
		if actions, err = checkActions(in.Actions, "actions"); err != nil {
			return nil, err
		}
	}
	ref, err := a.parseRuleARN(*in.RuleArn)
	if err != nil {
		return nil, err
	}
	var out func(r *lbRecord) Rule
	r, err := a.updateListener(ctx, ref.listenerRef, func(r *lbRecord, l *listenerRecord) error {
		if ref.ruleID == l.DefaultRuleID {
			if conds != nil {
				return clientErr("OperationNotPermitted", "Conditions cannot be set on default rule '%s'", *in.RuleArn)
			}
			l.DefaultActions = actions
			out = func(r *lbRecord) Rule { return a.defaultRule(r, l) }
			return nil
		}
		rule := l.rule(ref.ruleID)
		if rule == nil {
			return ruleNotFound()
		}
		if conds != nil {
			rule.Conditions = conds
		}
		if actions != nil {
			rule.Actions = actions
		}
		out = func(r *lbRecord) Rule { return a.describeRule(r, l, rule) }
		return nil
	})
	if isCode(err, "ListenerNotFound") {
		return nil, ruleNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &RulesOutput{Rules: []Rule{out(r)}}, nil
}

// RuleArnInput is the DeleteRule request.
type RuleArnInput struct {
	RuleArn *string
}

// deleteRule deletes a rule other than the default one.
func (a *API) deleteRule(ctx context.Context, in *RuleArnInput) (*empty, error) {
	if in.RuleArn == nil {
		return nil, missing("ruleArn")
	}
	ref, err := a.parseRuleARN(*in.RuleArn)
	if err != nil {
		return nil, err
	}
	_, err = a.updateListener(ctx, ref.listenerRef, func(r *lbRecord, l *listenerRecord) error {
		if ref.ruleID == l.DefaultRuleID {
			return clientErr("OperationNotPermitted", "Default rule '%s' cannot be deleted", *in.RuleArn)
		}
		if l.rule(ref.ruleID) == nil {
			return ruleNotFound()
		}
		l.Rules = slices.DeleteFunc(l.Rules, func(o *ruleRecord) bool { return o.ID == ref.ruleID })
		return nil
	})
	if isCode(err, "ListenerNotFound") {
		return nil, ruleNotFound()
	}
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

// SetRulePrioritiesInput is the SetRulePriorities request.
type SetRulePrioritiesInput struct {
	RulePriorities []RulePriorityPair
}

// setRulePriorities changes the priorities of rules of one load balancer
// at once, so that rules can swap priorities.
func (a *API) setRulePriorities(ctx context.Context, in *SetRulePrioritiesInput) (*RulesOutput, error) {
	if in.RulePriorities == nil {
		return nil, missing("rulePriorities")
	}
	if len(in.RulePriorities) == 0 {
		return &RulesOutput{Rules: []Rule{}}, nil
	}
	refs := make([]ruleRef, len(in.RulePriorities))
	seenRule, seenPrio := map[string]bool{}, map[int32]bool{}
	for i, p := range in.RulePriorities {
		m := fmt.Sprintf("rulePriorities.%d.member.", i+1)
		if p.RuleArn == nil {
			return nil, missing(m + "ruleArn")
		}
		if p.Priority == nil {
			return nil, missing(m + "priority")
		}
		if err := checkRange(p.Priority, m+"priority", 1, 50000); err != nil {
			return nil, err
		}
		ref, err := a.parseRuleARN(*p.RuleArn)
		if err != nil {
			return nil, err
		}
		if seenRule[*p.RuleArn] {
			return nil, invalid("Rule '%s' was provided multiple times", *p.RuleArn)
		}
		if seenPrio[*p.Priority] {
			return nil, invalid("Priority '%d' was provided multiple times", *p.Priority)
		}
		seenRule[*p.RuleArn], seenPrio[*p.Priority] = true, true
		if i > 0 && (ref.lbName != refs[0].lbName || ref.lbID != refs[0].lbID) {
			return nil, invalid("The rules must belong to listeners of the same load balancer")
		}
		refs[i] = ref
	}
	var changed []func(r *lbRecord) Rule
	r, err := a.updateLB(ctx, refs[0].lbName, refs[0].lbID, func(r *lbRecord) error {
		changed = changed[:0]
		touched := map[*listenerRecord]bool{}
		for i, ref := range refs {
			l := r.listener(ref.listenerID)
			if l == nil {
				return ruleNotFound()
			}
			if ref.ruleID == l.DefaultRuleID {
				return clientErr("OperationNotPermitted", "The priority of default rule '%s' cannot be changed", *in.RulePriorities[i].RuleArn)
			}
			rule := l.rule(ref.ruleID)
			if rule == nil {
				return ruleNotFound()
			}
			rule.Priority = *in.RulePriorities[i].Priority
			touched[l] = true
			changed = append(changed, func(r *lbRecord) Rule { return a.describeRule(r, l, rule) })
		}
		for l := range touched {
			seen := map[int32]bool{}
			for _, rule := range l.Rules {
				if seen[rule.Priority] {
					return priorityInUse(rule.Priority)
				}
				seen[rule.Priority] = true
			}
			sortRules(l)
		}
		return nil
	})
	if isCode(err, "LoadBalancerNotFound") {
		return nil, ruleNotFound()
	}
	if err != nil {
		return nil, err
	}
	out := &RulesOutput{Rules: []Rule{}}
	for _, f := range changed {
		out.Rules = append(out.Rules, f(r))
	}
	return out, nil
}
