package lifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// img is an image pushed the given number of days before now.
func img(digest string, daysAgo float64, tags ...string) Image {
	return Image{Digest: "sha256:" + digest, Tags: tags, PushedAt: now.Add(-time.Duration(daysAgo * float64(24*time.Hour)))}
}

func mustParse(t *testing.T, text string) *Policy {
	t.Helper()
	p, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	// The repositories of "Filtering on multiple rules" and "Filtering on
	// multiple tags in a single rule" in Examples of lifecycle policies.
	multiA, multiB, multiC := img("a", 10, "beta-1", "prod-1"), img("b", 9, "beta-2", "prod-2"), img("c", 8, "beta-3")
	tagsA, tagsB, tagsC := img("a", 12, "alpha-1"), img("b", 11, "beta-1"), img("c", 10, "alpha-2", "beta-2")
	tagsD, tagsE, tagsF := img("d", 4, "alpha-3"), img("e", 3, "beta-3"), img("f", 2, "alpha-4", "beta-4")
	exclA, exclB, exclC := img("a", 10, "alpha-1", "beta-1", "gamma-1"), img("b", 9, "alpha-2", "beta-2"), img("c", 8, "alpha-3", "beta-3", "gamma-2")

	u20, u15, u14, u13, t30 := img("u20", 20), img("u15", 15), img("u14", 14), img("u13", 13), img("t30", 30, "v1")
	p20, p10, pre30 := img("p20", 20, "prod-1"), img("p10", 10, "prod"), img("pre30", 30, "preprod")
	u1, u2, v1, v2, v3 := img("u1", 1), img("u2", 40), img("v1", 50, "v1"), img("v2", 45, "v2"), img("v3", 2, "v3")
	dev1, dev2 := img("dev1", 60, "dev-1"), img("dev2", 5, "dev-2")
	prod1, prod2, x3, y4 := img("prod1", 1, "prod-1"), img("prod2", 2, "prod-2"), img("x3", 3, "x"), img("y4", 4)
	same := func(d string) Image { return Image{Digest: d, Tags: []string{"t"}, PushedAt: now} }

	tests := []struct {
		name   string
		policy string
		images []Image
		want   []Result
	}{{
		name:   "doc: expire untagged images older than 14 days",
		policy: policyText(rule(1, `"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14`)),
		images: []Image{u13, u14, u15, u20, t30},
		want:   []Result{{u20, 1}, {u15, 1}},
	}, {
		name:   "doc: expire prod* images older than 14 days",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":14`)),
		images: []Image{p10, p20, pre30, u20},
		want:   []Result{{p20, 1}},
	}, {
		name:   "doc: keep only one untagged image",
		policy: policyText(rule(1, untaggedCount1)),
		images: []Image{u13, t30, u20, u14},
		want:   []Result{{u20, 1}, {u14, 1}},
	}, {
		name: "doc: multiple rules, example A: rule 2 cannot expire what rule 1 matched",
		policy: policyText(rule(1, prodCount1),
			rule(2, `"tagStatus":"tagged","tagPrefixList":["beta"],"countType":"imageCountMoreThan","countNumber":1`)),
		images: []Image{multiA, multiB, multiC},
		want:   []Result{{multiA, 1}},
	}, {
		name: "doc: multiple rules, example A with tagPatternList",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"imageCountMoreThan","countNumber":1`),
			rule(2, `"tagStatus":"tagged","tagPatternList":["beta*"],"countType":"imageCountMoreThan","countNumber":1`)),
		images: []Image{multiC, multiB, multiA},
		want:   []Result{{multiA, 1}},
	}, {
		name: "doc: multiple rules, example B: rule 2 sees no images",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["beta"],"countType":"imageCountMoreThan","countNumber":1`),
			rule(2, prodCount1)),
		images: []Image{multiA, multiB, multiC},
		want:   []Result{{multiA, 1}, {multiB, 1}},
	}, {
		name:   "doc: multiple tags in one rule, example A: all prefixes must match",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["alpha","beta"],"countType":"sinceImagePushed","countNumber":5,"countUnit":"days"`)),
		images: []Image{tagsA, tagsB, tagsC, tagsD, tagsE, tagsF},
		want:   []Result{{tagsC, 1}},
	}, {
		name:   "doc: multiple tags in one rule, example B: tags are not exclusive",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["alpha","beta"],"countType":"imageCountMoreThan","countNumber":1`)),
		images: []Image{exclA, exclB, exclC},
		want:   []Result{{exclA, 1}, {exclB, 1}},
	}, {
		name: "untagged, tagged and an any rule last; results ordered by rule first",
		policy: policyText(rule(1, untaggedCount1),
			rule(2, `"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":2`),
			rule(3, `"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30`)),
		images: []Image{u1, u2, v1, v2, v3, dev1, dev2},
		want:   []Result{{u2, 1}, {v1, 2}, {dev1, 3}},
	}, {
		name: "images kept by a higher rule still count toward a lower rule's count",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":100`),
			rule(2, `"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2`)),
		images: []Image{x3, prod1, y4, prod2},
		want:   []Result{{y4, 2}, {x3, 2}},
	}, {
		name:   "equal push times: the greater digest is the newer",
		policy: policyText(rule(1, anyCount1)),
		images: []Image{same("c"), same("a"), same("b")},
		want:   []Result{{same("a"), 1}, {same("b"), 1}},
	}, {
		name:   "one tag can satisfy several prefixes",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPrefixList":["v","v1"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1`)),
		images: []Image{img("a", 2, "v1.2"), img("b", 2, "v2"), img("c", 2, "x", "v10")},
		want:   []Result{{img("a", 2, "v1.2"), 1}, {img("c", 2, "x", "v10"), 1}},
	}, {
		name:   "patterns are whole-tag and case-sensitive; * may match nothing",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["prod*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1`)),
		images: []Image{img("a", 3, "prod"), img("b", 2, "prod1"), img("c", 2, "preprod"), img("d", 2, "PROD1")},
		want:   []Result{{img("a", 3, "prod"), 1}, {img("b", 2, "prod1"), 1}},
	}, {
		name:   "a pattern without wildcards matches exactly",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["latest"],"countType":"imageCountMoreThan","countNumber":1`)),
		images: []Image{img("a", 3, "latest"), img("b", 2, "latest2"), img("c", 1, "old", "latest")},
		want:   []Result{{img("a", 3, "latest"), 1}},
	}, {
		name:   "several patterns must all match some tag",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["*-latest","v*.*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1`)),
		images: []Image{img("a", 2, "main-latest", "v1.2"), img("b", 2, "main-latest"), img("c", 2, "v1.2")},
		want:   []Result{{img("a", 2, "main-latest", "v1.2"), 1}},
	}, {
		name:   "a tagged rule ignores untagged images",
		policy: policyText(rule(1, `"tagStatus":"tagged","tagPatternList":["*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1`)),
		images: []Image{img("a", 5), img("b", 5, "x")},
		want:   []Result{{img("b", 5, "x"), 1}},
	}, {
		name:   "count not exceeded",
		policy: policyText(rule(1, `"tagStatus":"any","countType":"imageCountMoreThan","countNumber":3`)),
		images: []Image{u1, u2, v1},
	}, {
		name:   "no images",
		policy: policyText(rule(1, anyCount1)),
	}, {
		name:   "the oldest possible countNumber never expires anything",
		policy: policyText(rule(1, `"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":2147483647`)),
		images: []Image{{Digest: "zero"}, u20},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(mustParse(t, tt.policy), tt.images, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Evaluate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvaluateAgeBoundary checks that sinceImagePushed expires images older
// than countNumber whole days, whatever the time zones of now and pushedAt.
func TestEvaluateAgeBoundary(t *testing.T) {
	p := mustParse(t, policyText(rule(1, `"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":1`)))
	sydney := time.FixedZone("AEST", 10*60*60)
	at := now.In(sydney)
	exact := Image{Digest: "exact", PushedAt: now.Add(-24 * time.Hour)}
	older := Image{Digest: "older", PushedAt: now.Add(-24*time.Hour - time.Second)}
	newer := Image{Digest: "newer", PushedAt: now.Add(-24*time.Hour + time.Second).In(sydney)}
	got := Evaluate(p, []Image{exact, older, newer}, at)
	if diff := cmp.Diff([]Result{{older, 1}}, got); diff != "" {
		t.Errorf("Evaluate mismatch (-want +got):\n%s", diff)
	}
}

func TestEvaluateLeavesInputAlone(t *testing.T) {
	p := mustParse(t, policyText(rule(2, anyCount1), rule(1, untaggedCount1)))
	images := []Image{img("b", 1, "x"), img("a", 3), img("c", 2)}
	wantImages := slices.Clone(images)
	wantPolicy := *p
	wantPolicy.Rules = slices.Clone(p.Rules)
	Evaluate(p, images, now)
	if diff := cmp.Diff(wantImages, images); diff != "" {
		t.Errorf("images changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&wantPolicy, p); diff != "" {
		t.Errorf("policy changed (-want +got):\n%s", diff)
	}
}

// TestEvaluateHandBuilt checks that policies Parse would refuse, built by hand,
// are evaluated without panicking and in the order of their priorities.
func TestEvaluateHandBuilt(t *testing.T) {
	images := []Image{img("a", 3, "x"), img("b", 2)}
	p := &Policy{Rules: []Rule{
		{RulePriority: 9, Selection: Selection{TagStatus: "any", CountType: "imageCountMoreThan", CountNumber: -1}},
		{RulePriority: 1, Selection: Selection{TagStatus: "bogus", CountType: "imageCountMoreThan"}},
		{RulePriority: 2, Selection: Selection{TagStatus: "tagged", TagPrefixList: []string{"y"}, CountType: "bogus"}},
		{RulePriority: 3, Selection: Selection{TagStatus: "tagged", TagPatternList: []string{"y*"}, CountType: "sinceImagePushed", CountNumber: 1 << 62}},
	}}
	want := []Result{{img("a", 3, "x"), 9}, {img("b", 2), 9}}
	if diff := cmp.Diff(want, Evaluate(p, images, now)); diff != "" {
		t.Errorf("Evaluate mismatch (-want +got):\n%s", diff)
	}
	if got := Evaluate(nil, images, now); got != nil {
		t.Errorf("Evaluate(nil) = %v, want nil", got)
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		tag, pattern string
		want         bool
	}{
		{"prod", "prod*", true},
		{"prod1", "prod*", true},
		{"preprod", "prod*", false},
		{"prod", "prod", true},
		{"prod1", "prod", false},
		{"", "*", true},
		{"anything", "*", true},
		{"main-latest", "*-latest", true},
		{"latest", "*-latest", false},
		{"test123", "*test*1*2*3", true},
		{"xtestx1x2x3", "*test*1*2*3", true},
		{"test1233", "test*1*2*3*", true},
		{"test13", "test*1*2*3*", false},
		{"aXbXb", "a*b", true},
		{"ab", "a**b", true},
		{"abab", "*ab*ab", true},
		{"aba", "*ab*ab", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.tag, tt.pattern); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.tag, tt.pattern, got, tt.want)
		}
	}
}
