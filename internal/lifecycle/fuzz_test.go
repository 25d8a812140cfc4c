package lifecycle

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzImages is a repository with tagged, untagged, multi-tagged and
// same-instant images, spread over a year.
var fuzzImages = []Image{
	{Digest: "sha256:1", PushedAt: now.AddDate(0, 0, -400)},
	{Digest: "sha256:2", Tags: []string{"prod-1", "beta-1"}, PushedAt: now.AddDate(0, 0, -30)},
	{Digest: "sha256:3", Tags: []string{"prod"}, PushedAt: now.AddDate(0, 0, -14)},
	{Digest: "sha256:4", Tags: []string{"v1.2.3", "latest"}, PushedAt: now.AddDate(0, 0, -2)},
	{Digest: "sha256:5", PushedAt: now.AddDate(0, 0, -2)},
	{Digest: "sha256:6", Tags: []string{"test123"}, PushedAt: now.Add(time.Hour)},
	{Digest: "sha256:1", Tags: []string{"dup"}, PushedAt: now.AddDate(0, 0, -1)},
}

func FuzzParse(f *testing.F) {
	f.Add(policyText(rule(1, `"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14`)))
	f.Add(policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":14`)))
	f.Add(policyText(rule(1, prodCount1), rule(2, `"tagStatus":"tagged","tagPrefixList":["beta"],"countType":"imageCountMoreThan","countNumber":1`)))
	f.Add(policyText(rule(1, untaggedCount1),
		rule(5, `"tagStatus":"tagged","tagPatternList":["*test*1*2*3","v*.*"],"countType":"imageCountMoreThan","countNumber":2`),
		rule(9, `"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30`)))
	f.Add(policyText(rule(1, anyCount1), rule(1, untaggedCount1)))
	f.Add(pad(`{"rules":[{"rulePriority":1e3,"description":null,"selection":{"tagStatus":"tagged","tagPrefixList":[""]},"action":{}}]}`))
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text)
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || !strings.HasPrefix(verr.Message, "Invalid parameter at '") {
				t.Fatalf("Parse error %v is not an ECR validation error", err)
			}
			if p != nil {
				t.Fatalf("Parse returned a policy with an error")
			}
			return
		}
		checkParsed(t, p)
		checkEvaluation(t, p, Evaluate(p, fuzzImages, now))
	})
}

// checkParsed checks the invariants of an accepted policy, and that its
// canonical text parses back to the same policy.
func checkParsed(t *testing.T, p *Policy) {
	t.Helper()
	if len(p.Rules) == 0 {
		t.Fatalf("accepted a policy without rules")
	}
	for i, r := range p.Rules {
		if i > 0 && p.Rules[i-1].RulePriority >= r.RulePriority {
			t.Fatalf("rules not in strictly ascending priority: %+v", p.Rules)
		}
		if r.Selection.TagStatus == TagStatusAny && i != len(p.Rules)-1 {
			t.Fatalf("an any rule is not last: %+v", p.Rules)
		}
		if r.RulePriority < 1 || r.Selection.CountNumber < 1 || r.Action.Type != ActionExpire {
			t.Fatalf("accepted an invalid rule: %+v", r)
		}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if textLength(b.String()) > MaxTextLength {
		return // escaping grew the text past the limit
	}
	again, err := Parse(b.String())
	if err != nil {
		t.Fatalf("canonical text %s does not parse: %v", b.String(), err)
	}
	if !slices.EqualFunc(p.Rules, again.Rules, equalRules) {
		t.Fatalf("round trip changed the policy:\n%+v\n%+v", p, again)
	}
}

func equalRules(a, b Rule) bool {
	return a.RulePriority == b.RulePriority && a.Description == b.Description && a.Action == b.Action &&
		a.Selection.TagStatus == b.Selection.TagStatus && a.Selection.CountType == b.Selection.CountType &&
		a.Selection.CountUnit == b.Selection.CountUnit && a.Selection.CountNumber == b.Selection.CountNumber &&
		slices.Equal(a.Selection.TagPrefixList, b.Selection.TagPrefixList) &&
		slices.Equal(a.Selection.TagPatternList, b.Selection.TagPatternList)
}

// checkEvaluation checks that results come in the documented order and name
// each input image at most once, with the priority of a rule of p.
func checkEvaluation(t *testing.T, p *Policy, results []Result) {
	t.Helper()
	if len(results) > len(fuzzImages) {
		t.Fatalf("%d results for %d images", len(results), len(fuzzImages))
	}
	for i, r := range results {
		if !slices.ContainsFunc(p.Rules, func(x Rule) bool { return x.RulePriority == r.RulePriority }) {
			t.Fatalf("result %+v names no rule of the policy", r)
		}
		if i == 0 {
			continue
		}
		prev := results[i-1]
		order := []int{prev.RulePriority - r.RulePriority, prev.Image.PushedAt.Compare(r.Image.PushedAt), strings.Compare(prev.Image.Digest, r.Image.Digest)}
		for _, c := range order {
			if c < 0 {
				break
			}
			if c > 0 {
				t.Fatalf("results out of order: %+v before %+v", prev, r)
			}
		}
	}
	for i := range fuzzImages {
		n := 0
		for _, r := range results {
			if r.Image.Digest == fuzzImages[i].Digest && r.Image.PushedAt.Equal(fuzzImages[i].PushedAt) {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("image %+v expired %d times", fuzzImages[i], n)
		}
	}
}

// FuzzMatchPattern checks matchPattern against a regular expression in which
// each '*' becomes ".*".
func FuzzMatchPattern(f *testing.F) {
	f.Add("prod1", "prod*")
	f.Add("xtestx1x2x3", "*test*1*2*3")
	f.Add("abab", "*ab*ab")
	f.Fuzz(func(t *testing.T, tag, pattern string) {
		if !utf8.ValidString(tag) || !utf8.ValidString(pattern) {
			t.Skip() // regexp reads invalid bytes as U+FFFD; tags are text
		}
		parts := strings.Split(pattern, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re, err := regexp.Compile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
		if err != nil {
			t.Fatalf("pattern %q: %v", pattern, err)
		}
		if got, want := matchPattern(tag, pattern), re.MatchString(tag); got != want {
			t.Fatalf("matchPattern(%q, %q) = %v, regexp says %v", tag, pattern, got, want)
		}
	})
}
