// Package lifecycle implements Amazon ECR lifecycle policies: it parses and
// validates the policy text the way ECR's PutLifecyclePolicy and
// StartLifecyclePolicyPreview do, and decides, as a pure computation over a
// snapshot of a repository's images and an injected time, which images a
// policy expires.
//
// The rules follow the Amazon ECR User Guide: "Lifecycle policy properties",
// "How lifecycle policies work" (the lifecycle policy evaluation rules) and
// "Examples of lifecycle policies". Only the expire action and the
// imageCountMoreThan and sinceImagePushed count types are supported; the
// archive storage class and its transition action are not.
//
// The package depends only on the standard library. It must not depend on the
// store or the HTTP layer: callers read images from the store, call Evaluate,
// and translate a *ValidationError into ECR's InvalidParameterException at the
// edge.
package lifecycle

import (
	"cmp"
	"slices"
	"time"
)

// Values of the policy's enumerated fields.
const (
	TagStatusTagged   = "tagged"
	TagStatusUntagged = "untagged"
	TagStatusAny      = "any"

	CountTypeImageCountMoreThan = "imageCountMoreThan"
	CountTypeSinceImagePushed   = "sinceImagePushed"

	CountUnitDays = "days"

	ActionExpire = "expire"
)

// Limits on the policy text, from the PutLifecyclePolicy API reference
// (lifecyclePolicyText: minimum length 100, maximum length 30720) and the ECR
// service quota "Lifecycle policy length".
const (
	MinTextLength = 100
	MaxTextLength = 30720
)

// MaxPatternWildcards is the most '*' wildcards one tagPatternList entry may
// hold ("There is a maximum limit of four wildcards (*) per string",
// Lifecycle policy properties, tagPatternList).
const MaxPatternWildcards = 4

// Image is one image in a repository as the evaluator sees it.
type Image struct {
	Digest   string
	Tags     []string
	PushedAt time.Time
}

// Policy is a parsed lifecycle policy. Parse returns its rules in ascending
// rulePriority order, so json.Marshal of a parsed Policy gives the compact,
// priority-ordered form in which ECR returns a stored policy (as in the
// aws-cli put-lifecycle-policy example output).
type Policy struct {
	Rules []Rule `json:"rules"`
}

// Rule is one rule of a lifecycle policy.
type Rule struct {
	RulePriority int       `json:"rulePriority"`
	Description  string    `json:"description,omitempty"`
	Selection    Selection `json:"selection"`
	Action       Action    `json:"action"`
}

// Selection says which images a rule considers and how many of them, or which
// of them by age, it expires.
type Selection struct {
	TagStatus      string   `json:"tagStatus"`
	TagPrefixList  []string `json:"tagPrefixList,omitempty"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"`
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    int      `json:"countNumber"`
}

// Action is what a rule does to the images it selects; only "expire" exists.
type Action struct {
	Type string `json:"type"`
}

// ValidationError reports a policy text ECR would refuse. Message is the full
// text of ECR's InvalidParameterException message, for example
// "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint:
// 'Lifecycle policy validation failure: Only one rule can select Untagged
// images.'", so the caller can send it unchanged.
type ValidationError struct {
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

// Parse validates a lifecycle policy text and returns the policy it describes,
// with its rules sorted by rulePriority. Any text ECR would refuse, malformed
// JSON and unknown fields included, yields a *ValidationError.
func Parse(text string) (*Policy, error) {
	p, verr := parse(text)
	if verr != nil {
		return nil, verr
	}
	return p, nil
}

func parse(text string) (*Policy, *ValidationError) {
	if n := textLength(text); n < MinTextLength {
		return nil, lengthError("greater than or equal to", MinTextLength)
	} else if n > MaxTextLength {
		return nil, lengthError("less than or equal to", MaxTextLength)
	}
	p, verr := decode(text)
	if verr != nil {
		return nil, verr
	}
	for i := range p.Rules {
		if verr := checkRule(&p.Rules[i]); verr != nil {
			return nil, verr
		}
	}
	if verr := checkRules(p.Rules); verr != nil {
		return nil, verr
	}
	slices.SortStableFunc(p.Rules, func(a, b Rule) int { return cmp.Compare(a.RulePriority, b.RulePriority) })
	return p, nil
}

// checkRule applies ECR's rules for one rule that the schema cannot express.
func checkRule(r *Rule) *ValidationError {
	s := &r.Selection
	hasPrefix, hasPattern := s.TagPrefixList != nil, s.TagPatternList != nil
	switch s.TagStatus {
	case TagStatusTagged:
		if !hasPrefix && !hasPattern {
			return failure("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.")
		}
		if hasPrefix && hasPattern {
			return failure("Must not specify both tagPrefixList and tagPatternList in one rule.")
		}
	default:
		if hasPrefix || hasPattern {
			return failure("tagPrefixList and tagPatternList are only allowed when tagStatus=TAGGED.")
		}
	}
	for _, pat := range s.TagPatternList {
		if countWildcards(pat) > MaxPatternWildcards {
			return failure("tagPatternList entry '%s' has more than %d wildcards (*).", pat, MaxPatternWildcards)
		}
	}
	return nil
}

// checkRules applies ECR's rules that relate the rules of a policy.
func checkRules(rules []Rule) *ValidationError {
	seen := make(map[int]bool, len(rules))
	untagged, highest := 0, 0
	for _, r := range rules {
		if seen[r.RulePriority] {
			return failure("rulePriority %d is used by more than one rule; each rule must have a unique rulePriority.", r.RulePriority)
		}
		seen[r.RulePriority] = true
		highest = max(highest, r.RulePriority)
		if r.Selection.TagStatus == TagStatusUntagged {
			untagged++
		}
	}
	if untagged > 1 {
		return failure("Only one rule can select Untagged images.")
	}
	for _, r := range rules {
		if r.Selection.TagStatus == TagStatusAny && r.RulePriority != highest {
			return failure("Rule for tagStatus=ANY must have the lowest priority.")
		}
	}
	return nil
}
