package lifecycle

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Result is one image the policy expires.
type Result struct {
	Image        Image
	RulePriority int
}

// Evaluate returns the images among images that p expires at time now, each
// with the priority of the rule that expires it, ordered by rule priority,
// then pushedAt ascending, then digest. It is a pure function: it neither
// modifies its arguments nor reads the clock.
//
// It follows "Lifecycle policy evaluation rules" (Amazon ECR User Guide, How
// lifecycle policies work):
//
//   - Rules are applied in ascending rulePriority order, and an image is
//     expired by exactly one or zero rules.
//   - "An image that matches the tagging requirements of a rule cannot be
//     expired by a rule with a lower priority": once a rule's selection
//     matches an image, whether or not that rule expires it, no later rule
//     expires it.
//   - "Rules can never mark images that are marked by higher priority rules,
//     but can still identify them as if they haven't been expired": for
//     imageCountMoreThan a rule counts every image its selection matches,
//     including images matched (or expired) by higher-priority rules; it
//     keeps the newest countNumber of them and marks the rest, and only the
//     marked images no higher-priority rule matched are expired. This is the
//     outcome of the guide's "Filtering on multiple rules" Example A, where
//     rule 2 counts images A, B and C, marks A and B, and expires neither
//     because rule 1 matched both.
//   - With sinceImagePushed a rule marks the images it matches that were
//     pushed more than countNumber days (of 24 hours) before now.
//   - tagPrefixList and tagPatternList entries are ANDed: "an image is
//     successfully matched if all of the tags in the tagPrefixList value are
//     matched against any of the image's tags", and for tagPatternList "if
//     you specify multiple tags, only the images with all specified tags are
//     selected".
//
// Among images pushed at the same instant, the one with the greater digest
// counts as the newer. Images are told apart by position, not digest, so a
// repeated digest is evaluated as a separate image.
func Evaluate(p *Policy, images []Image, now time.Time) []Result {
	if p == nil {
		return nil
	}
	rules := slices.Clone(p.Rules)
	slices.SortStableFunc(rules, func(a, b Rule) int { return cmp.Compare(a.RulePriority, b.RulePriority) })

	oldestFirst := make([]int, len(images))
	for i := range oldestFirst {
		oldestFirst[i] = i
	}
	slices.SortStableFunc(oldestFirst, func(a, b int) int {
		return cmp.Or(images[a].PushedAt.Compare(images[b].PushedAt), strings.Compare(images[a].Digest, images[b].Digest))
	})

	matchedBefore := make([]bool, len(images)) // matched by a higher-priority rule
	var out []Result
	for _, r := range rules {
		var matched []int // oldest first
		for _, i := range oldestFirst {
			if selects(&r.Selection, images[i].Tags) {
				matched = append(matched, i)
			}
		}
		for _, i := range marked(&r.Selection, images, matched, now) {
			if !matchedBefore[i] {
				out = append(out, Result{Image: images[i], RulePriority: r.RulePriority})
			}
		}
		for _, i := range matched {
			matchedBefore[i] = true
		}
	}
	return out
}

// marked returns the images among matched, which is ordered oldest first, that
// the selection's count criterion marks for expiry, oldest first.
func marked(s *Selection, images []Image, matched []int, now time.Time) []int {
	switch s.CountType {
	case CountTypeImageCountMoreThan:
		// "images are sorted from youngest to oldest based on pushed_at_time
		// and then all images greater than the specified count are expired."
		excess := len(matched) - max(s.CountNumber, 0)
		if excess <= 0 {
			return nil
		}
		return matched[:excess]
	case CountTypeSinceImagePushed:
		cutoff := pushedBefore(now, s.CountNumber)
		n := 0
		for n < len(matched) && images[matched[n]].PushedAt.Before(cutoff) {
			n++
		}
		return matched[:n]
	}
	return nil
}

// maxDays bounds the age a rule can ask for; ECR's countNumber is a 32-bit
// integer, and larger values from a hand-built Policy mean "never".
const maxDays = 1<<31 - 1

// pushedBefore is the instant countNumber days before now: images pushed
// before it are older than countNumber days.
func pushedBefore(now time.Time, days int) time.Time {
	days = min(max(days, 0), maxDays)
	return now.UTC().AddDate(0, 0, -days)
}

// selects reports whether an image with tags meets the selection's tagging
// requirements.
func selects(s *Selection, tags []string) bool {
	switch s.TagStatus {
	case TagStatusAny:
		return true
	case TagStatusUntagged:
		return len(tags) == 0
	case TagStatusTagged:
		return len(tags) > 0 &&
			allMatch(s.TagPrefixList, tags, strings.HasPrefix) &&
			allMatch(s.TagPatternList, tags, matchPattern)
	}
	return false
}

// allMatch reports whether every entry of list matches at least one tag.
func allMatch(list, tags []string, match func(tag, entry string) bool) bool {
	for _, entry := range list {
		if !slices.ContainsFunc(tags, func(tag string) bool { return match(tag, entry) }) {
			return false
		}
	}
	return true
}

// matchPattern reports whether tag matches a tagPatternList entry, in which
// '*' matches any run of characters, the empty run included, and every other
// character matches itself. The whole tag must match.
func matchPattern(tag, pattern string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return tag == pattern
	}
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(tag, first) {
		return false
	}
	rest := tag[len(first):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, mid)
		if i < 0 {
			return false
		}
		rest = rest[i+len(mid):]
	}
	return strings.HasSuffix(rest, last)
}
