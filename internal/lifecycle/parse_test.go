package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pad makes text long enough for the API's minimum length, so that a test
// reaches the check it is about.
func pad(text string) string {
	return text + strings.Repeat(" ", max(0, MinTextLength-len(text)))
}

// policyText is a policy with the given rules, padded to the minimum length.
func policyText(rules ...string) string {
	return pad(`{"rules":[` + strings.Join(rules, ",") + `]}`)
}

// rule is one rule with the given priority and selection body.
func rule(priority int, selection string) string {
	return fmt.Sprintf(`{"rulePriority":%d,"selection":{%s},"action":{"type":"expire"}}`, priority, selection)
}

const (
	untaggedCount1 = `"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1`
	anyCount1      = `"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1`
	prodCount1     = `"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":1`
)

// validationFailure is the whole message ECR sends for a policy that fails
// validation with detail.
func validationFailure(detail string) string {
	return "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: " + detail + "'"
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *Policy
	}{{
		name: "doc example: untagged images older than 14 days",
		text: `{"rules":[{"rulePriority":1,"description":"Expire images older than 14 days","selection":{"tagStatus":"untagged",
			"countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`,
		want: &Policy{Rules: []Rule{{
			RulePriority: 1, Description: "Expire images older than 14 days",
			Selection: Selection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 14},
			Action:    Action{Type: "expire"},
		}}},
	}, {
		name: "doc example: tagPatternList prod* older than 14 days",
		text: `{"rules":[{"rulePriority":1,"description":"Expire images older than 14 days","selection":{"tagStatus":"tagged",
			"tagPatternList":["prod*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`,
		want: &Policy{Rules: []Rule{{
			RulePriority: 1, Description: "Expire images older than 14 days",
			Selection: Selection{TagStatus: "tagged", TagPatternList: []string{"prod*"}, CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 14},
			Action:    Action{Type: "expire"},
		}}},
	}, {
		name: "doc example: four wildcards per pattern are allowed",
		text: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["*test*1*2*3","test*1*2*3*"],"countType":"imageCountMoreThan","countNumber":3`)),
		want: &Policy{Rules: []Rule{{
			RulePriority: 1,
			Selection:    Selection{TagStatus: "tagged", TagPatternList: []string{"*test*1*2*3", "test*1*2*3*"}, CountType: "imageCountMoreThan", CountNumber: 3},
			Action:       Action{Type: "expire"},
		}}},
	}, {
		name: "rules come back sorted by priority, which need not be sequential",
		text: policyText(rule(100, anyCount1), rule(20, prodCount1), rule(7, untaggedCount1)),
		want: &Policy{Rules: []Rule{
			{RulePriority: 7, Selection: Selection{TagStatus: "untagged", CountType: "imageCountMoreThan", CountNumber: 1}, Action: Action{Type: "expire"}},
			{RulePriority: 20, Selection: Selection{TagStatus: "tagged", TagPrefixList: []string{"prod"}, CountType: "imageCountMoreThan", CountNumber: 1}, Action: Action{Type: "expire"}},
			{RulePriority: 100, Selection: Selection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: 1}, Action: Action{Type: "expire"}},
		}},
	}, {
		name: "the largest 32-bit countNumber",
		text: policyText(rule(1, `"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":2147483647`)),
		want: &Policy{Rules: []Rule{{
			RulePriority: 1,
			Selection:    Selection{TagStatus: "any", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 2147483647},
			Action:       Action{Type: "expire"},
		}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCanonical checks that a parsed policy marshals to the text ECR
// returns for it, taken from the aws-cli put-lifecycle-policy example.
func TestParseCanonical(t *testing.T) {
	in := `{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire images older than 14 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}`
	want := `{"rules":[{"rulePriority":1,"description":"Expire images older than 14 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`
	p, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("canonical text mismatch (-want +got):\n%s", diff)
	}
}

func TestParseInvalid(t *testing.T) {
	typed := func(got, want string) string {
		return validationFailure(fmt.Sprintf(`instance type (%s) does not match any allowed primitive type (allowed: ["%s"])`, got, want))
	}
	const (
		unmapped = "Could not map policyString into LifecyclePolicy."
		oneOf    = "instance failed to match exactly one schema (matched 0 out of 2)"
	)
	tests := []struct {
		name string
		text string
		want string
	}{
		{"shorter than 100 characters", `{"rules":[]}`,
			"Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: 'Member must have length greater than or equal to 100'"},
		{"longer than 30720 characters", policyText(rule(1, anyCount1)) + strings.Repeat(" ", MaxTextLength),
			"Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: 'Member must have length less than or equal to 30720'"},
		{"malformed JSON", pad(`{"rules":[`), validationFailure(unmapped)},
		{"doc example missing commas", pad(`{"rules":[{"rulePriority": 1 "description": "Rule 1"}]}`), validationFailure(unmapped)},
		{"not an object", pad(`[` + rule(1, anyCount1) + `]`), validationFailure(unmapped)},
		{"trailing data", policyText(rule(1, anyCount1)) + `{}`, validationFailure(unmapped)},
		{"rules missing", pad(`{"Rules":[]}`), validationFailure(`object has missing required properties (["rules"])`)},
		{"unknown top-level field", pad(`{"rules":[` + rule(1, anyCount1) + `],"version":1}`),
			validationFailure(`object instance has properties which are not allowed by the schema: ["version"]`)},
		{"rules not an array", pad(`{"rules":{}}`), typed("object", "array")},
		{"rules null", pad(`{"rules":null}`), typed("null", "array")},
		{"no rules", pad(`{"rules":[]}`), validationFailure("array is too short: must have at least 1 elements but instance has 0 elements")},
		{"rule not an object", policyText(`"rule"`), typed("string", "object")},
		{"rule missing fields", policyText(`{"selection":{` + anyCount1 + `}}`),
			validationFailure(`object has missing required properties (["action","rulePriority"])`)},
		{"rule unknown fields", policyText(`{"rulePriority":1,"priority":1,"name":"x","selection":{` + anyCount1 + `},"action":{"type":"expire"}}`),
			validationFailure(`object instance has properties which are not allowed by the schema: ["name","priority"]`)},
		{"rulePriority a string", policyText(`{"rulePriority":"1","selection":{` + anyCount1 + `},"action":{"type":"expire"}}`), typed("string", "integer")},
		{"rulePriority a fraction", policyText(`{"rulePriority":1.5,"selection":{` + anyCount1 + `},"action":{"type":"expire"}}`), typed("number", "integer")},
		{"rulePriority in exponent form", policyText(`{"rulePriority":1e0,"selection":{` + anyCount1 + `},"action":{"type":"expire"}}`), typed("number", "integer")},
		{"rulePriority zero", policyText(rule(0, anyCount1)),
			validationFailure("numeric instance is lower than the required minimum (minimum: 1, found: 0)")},
		{"rulePriority negative", policyText(rule(-3, anyCount1)),
			validationFailure("numeric instance is lower than the required minimum (minimum: 1, found: -3)")},
		{"rulePriority beyond 32 bits", policyText(rule(1<<31, anyCount1)), validationFailure(unmapped)},
		{"description not a string", policyText(`{"rulePriority":1,"description":7,"selection":{` + anyCount1 + `},"action":{"type":"expire"}}`),
			typed("integer", "string")},
		{"selection not an object", policyText(`{"rulePriority":1,"selection":[],"action":{"type":"expire"}}`), typed("array", "object")},
		{"selection missing fields", policyText(rule(1, `"countType":"imageCountMoreThan"`)),
			validationFailure(`object has missing required properties (["countNumber","tagStatus"])`)},
		{"selection storageClass unsupported", policyText(rule(1, anyCount1+`,"storageClass":"archive"`)),
			validationFailure(`object instance has properties which are not allowed by the schema: ["storageClass"]`)},
		{"tagStatus upper case", policyText(rule(1, `"tagStatus":"ANY","countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure(`instance value ("ANY") not found in enum (possible values: ["tagged","untagged","any"])`)},
		{"tagStatus not a string", policyText(rule(1, `"tagStatus":true,"countType":"imageCountMoreThan","countNumber":1`)), typed("boolean", "string")},
		{"tagPrefixList empty", policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":[],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("array is too short: must have at least 1 elements but instance has 0 elements")},
		{"tagPrefixList a string", policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":"prod","countType":"imageCountMoreThan","countNumber":1`)),
			typed("string", "array")},
		{"tagPrefixList holds a number", policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["v",1],"countType":"imageCountMoreThan","countNumber":1`)),
			typed("integer", "string")},
		{"tagPatternList holds an empty pattern", policyText(rule(1, `"tagStatus":"tagged","tagPatternList":[""],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure(`string "" is too short (length: 0, required minimum: 1)`)},
		{"countType unknown", policyText(rule(1, `"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":1`)), validationFailure(oneOf)},
		{"countUnit with imageCountMoreThan", policyText(rule(1, anyCount1+`,"countUnit":"days"`)), validationFailure(oneOf)},
		{"countUnit null", policyText(rule(1, anyCount1+`,"countUnit":null`)), validationFailure(oneOf)},
		{"sinceImagePushed without countUnit", policyText(rule(1, `"tagStatus":"any","countType":"sinceImagePushed","countNumber":1`)), validationFailure(oneOf)},
		{"countUnit hours", policyText(rule(1, `"tagStatus":"any","countType":"sinceImagePushed","countUnit":"hours","countNumber":1`)), validationFailure(oneOf)},
		{"countNumber zero", policyText(rule(1, `"tagStatus":"any","countType":"imageCountMoreThan","countNumber":0`)),
			validationFailure("numeric instance is lower than the required minimum (minimum: 1, found: 0)")},
		{"countNumber a string", policyText(rule(1, `"tagStatus":"any","countType":"imageCountMoreThan","countNumber":"5"`)), typed("string", "integer")},
		{"action not an object", policyText(`{"rulePriority":1,"selection":{` + anyCount1 + `},"action":"expire"}`), typed("string", "object")},
		{"action missing type", policyText(`{"rulePriority":1,"selection":{` + anyCount1 + `},"action":{}}`),
			validationFailure(`object has missing required properties (["type"])`)},
		{"action type not expire", policyText(`{"rulePriority":1,"selection":{` + anyCount1 + `},"action":{"type":"transition"}}`),
			validationFailure(`instance value ("transition") not found in enum (possible values: ["expire"])`)},
		{"action extra field", policyText(`{"rulePriority":1,"selection":{` + anyCount1 + `},"action":{"type":"expire","targetStorageClass":null}}`),
			validationFailure(`object instance has properties which are not allowed by the schema: ["targetStorageClass"]`)},
		{"tagged without tag lists", policyText(rule(1, `"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.")},
		{"tagged with both tag lists", policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["v"],"tagPatternList":["v*"],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("Must not specify both tagPrefixList and tagPatternList in one rule.")},
		{"untagged with tagPrefixList", policyText(rule(1, `"tagStatus":"untagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("tagPrefixList and tagPatternList are only allowed when tagStatus=TAGGED.")},
		{"any with tagPatternList", policyText(rule(1, `"tagStatus":"any","tagPatternList":["v*"],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("tagPrefixList and tagPatternList are only allowed when tagStatus=TAGGED.")},
		{"doc example: too many wildcards", policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["test*1*2*3*4*5*6"],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("tagPatternList entry 'test*1*2*3*4*5*6' has more than 4 wildcards (*).")},
		{"five wildcards", policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["ok","*a*b*c*d*"],"countType":"imageCountMoreThan","countNumber":1`)),
			validationFailure("tagPatternList entry '*a*b*c*d*' has more than 4 wildcards (*).")},
		{"duplicate rulePriority", policyText(rule(1, untaggedCount1), rule(1, prodCount1)),
			validationFailure("rulePriority 1 is used by more than one rule; each rule must have a unique rulePriority.")},
		{"two untagged rules", policyText(rule(1, untaggedCount1), rule(2, untaggedCount1)),
			validationFailure("Only one rule can select Untagged images.")},
		{"any rule not last", policyText(rule(1, anyCount1), rule(2, prodCount1)),
			validationFailure("Rule for tagStatus=ANY must have the lowest priority.")},
		{"two any rules", policyText(rule(1, untaggedCount1), rule(2, anyCount1), rule(3, anyCount1)),
			validationFailure("Rule for tagStatus=ANY must have the lowest priority.")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.text)
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse = %+v, %v; want a *ValidationError", p, err)
			}
			if diff := cmp.Diff(tt.want, verr.Message); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with an error: %+v", p)
			}
		})
	}
}
