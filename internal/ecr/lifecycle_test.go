package ecr_test

import (
	"context"
	"math/rand"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const policy = `{"rules":[
 {"rulePriority":1,"description":"untagged, after 14 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}},
 {"rulePriority":2,"description":"keep 2 releases","selection":{"tagStatus":"tagged","tagPrefixList":["release"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}
]}`

// TestLifecycle ages images with the injected clock and checks what the
// preview says and what ApplyLifecycle deletes.
func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	repo := aws.String("life")
	h.createRepo(t, "life", "")
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d time.Duration) time.Time { h.clock.Set(now.Add(-d)); return now.Add(-d) }

	oldPush := at(60 * day)
	u1 := digestOf(t, randomImage(t, 101))
	if err := remote.Write(h.ref(t, "life", u1), randomImage(t, 101), remote.WithAuth(h.auth(t))); err != nil {
		t.Fatal(err)
	}
	dev := h.push(t, "life", "dev", randomImage(t, 102))
	pushed := map[string]time.Time{}
	var releases []string
	for i, tag := range []string{"release-1", "release-2", "release-3", "release-4"} {
		pushed[tag] = at(time.Duration(50-i) * day)
		releases = append(releases, h.push(t, "life", tag, randomImage(t, int64(110+i))))
	}
	at(5 * day)
	u2 := digestOf(t, randomImage(t, 120))
	if err := remote.Write(h.ref(t, "life", u2), randomImage(t, 120), remote.WithAuth(h.auth(t))); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(now)

	_, err := h.sdk.GetLifecyclePolicyPreview(ctx, &awsecr.GetLifecyclePolicyPreviewInput{RepositoryName: repo})
	if errCode(err) != "LifecyclePolicyPreviewNotFoundException" {
		t.Fatalf("preview before any: %v", err)
	}
	_, err = h.sdk.StartLifecyclePolicyPreview(ctx, &awsecr.StartLifecyclePolicyPreviewInput{RepositoryName: repo})
	if errCode(err) != "LifecyclePolicyNotFoundException" {
		t.Fatalf("preview of no policy: %v", err)
	}
	_, err = h.sdk.GetLifecyclePolicy(ctx, &awsecr.GetLifecyclePolicyInput{RepositoryName: repo})
	if errCode(err) != "LifecyclePolicyNotFoundException" || errMessage(err) != "Lifecycle policy does not exist for the repository with name 'life' in the registry with id '000000000000'" {
		t.Fatalf("GetLifecyclePolicy before any: %v", err)
	}
	_, err = h.sdk.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{RepositoryName: repo, LifecyclePolicyText: aws.String(`{"rules":[{"rulePriority":1,"selection":{"tagStatus":"sometimes","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`)})
	if errCode(err) != "InvalidParameterException" || errMessage(err) == "" {
		t.Fatalf("invalid policy: %v", err)
	}

	put := must[*awsecr.PutLifecyclePolicyOutput](t)(h.sdk.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{RepositoryName: repo, LifecyclePolicyText: aws.String(policy)}))
	if aws.ToString(put.LifecyclePolicyText) != policy || aws.ToString(put.RepositoryName) != "life" {
		t.Fatalf("PutLifecyclePolicy: %+v", put)
	}
	got := must[*awsecr.GetLifecyclePolicyOutput](t)(h.sdk.GetLifecyclePolicy(ctx, &awsecr.GetLifecyclePolicyInput{RepositoryName: repo}))
	if aws.ToString(got.LifecyclePolicyText) != policy || got.LastEvaluatedAt != nil {
		t.Fatalf("GetLifecyclePolicy before evaluation: %+v", got)
	}

	start := must[*awsecr.StartLifecyclePolicyPreviewOutput](t)(h.sdk.StartLifecyclePolicyPreview(ctx, &awsecr.StartLifecyclePolicyPreviewInput{RepositoryName: repo}))
	if start.Status != types.LifecyclePolicyPreviewStatusComplete || aws.ToString(start.LifecyclePolicyText) != policy {
		t.Fatalf("StartLifecyclePolicyPreview: %s", start.Status)
	}
	want := []types.LifecyclePolicyPreviewResult{
		{ImageDigest: aws.String(u1), ImagePushedAt: aws.Time(oldPush), Action: &types.LifecyclePolicyRuleAction{Type: types.ImageActionTypeExpire}, AppliedRulePriority: aws.Int32(1)},
		{ImageDigest: aws.String(releases[0]), ImageTags: []string{"release-1"}, ImagePushedAt: aws.Time(pushed["release-1"]), Action: &types.LifecyclePolicyRuleAction{Type: types.ImageActionTypeExpire}, AppliedRulePriority: aws.Int32(2)},
		{ImageDigest: aws.String(releases[1]), ImageTags: []string{"release-2"}, ImagePushedAt: aws.Time(pushed["release-2"]), Action: &types.LifecyclePolicyRuleAction{Type: types.ImageActionTypeExpire}, AppliedRulePriority: aws.Int32(2)},
	}
	opts := cmpopts.IgnoreUnexported(types.LifecyclePolicyPreviewResult{}, types.LifecyclePolicyRuleAction{})
	var results []types.LifecyclePolicyPreviewResult
	var pages int
	p := awsecr.NewGetLifecyclePolicyPreviewPaginator(h.sdk, &awsecr.GetLifecyclePolicyPreviewInput{RepositoryName: repo, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out := must[*awsecr.GetLifecyclePolicyPreviewOutput](t)(p.NextPage(ctx))
		pages++
		if out.Status != types.LifecyclePolicyPreviewStatusComplete || aws.ToInt32(out.Summary.ExpiringImageTotalCount) != 3 {
			t.Fatalf("preview page: %s, summary %d", out.Status, aws.ToInt32(out.Summary.ExpiringImageTotalCount))
		}
		results = append(results, out.PreviewResults...)
	}
	if diff := cmp.Diff(want, results, opts); diff != "" || pages != 2 {
		t.Fatalf("preview in %d pages (-want +got):\n%s", pages, diff)
	}
	untagged := must[*awsecr.GetLifecyclePolicyPreviewOutput](t)(h.sdk.GetLifecyclePolicyPreview(ctx, &awsecr.GetLifecyclePolicyPreviewInput{RepositoryName: repo, Filter: &types.LifecyclePolicyPreviewFilter{TagStatus: types.TagStatusUntagged}}))
	if diff := cmp.Diff(want[:1], untagged.PreviewResults, opts); diff != "" {
		t.Fatalf("preview of untagged images (-want +got):\n%s", diff)
	}
	byID := must[*awsecr.GetLifecyclePolicyPreviewOutput](t)(h.sdk.GetLifecyclePolicyPreview(ctx, &awsecr.GetLifecyclePolicyPreviewInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{id("", "release-2")}}))
	if diff := cmp.Diff(want[2:], byID.PreviewResults, opts); diff != "" {
		t.Fatalf("preview of release-2 (-want +got):\n%s", diff)
	}

	// A preview changes nothing; ApplyLifecycle deletes what it showed.
	if n := len(listImages(t, h, "life", "")); n != 7 {
		t.Fatalf("%d images after the preview, want 7", n)
	}
	expired, err := h.api.ApplyLifecycle(ctx)
	if err != nil || expired != 3 {
		t.Fatalf("ApplyLifecycle: %d expired, %v", expired, err)
	}
	var left []string
	for _, im := range listImages(t, h, "life", "") {
		left = append(left, aws.ToString(im.ImageTag)+"@"+aws.ToString(im.ImageDigest))
	}
	if diff := cmp.Diff([]string{"@" + u2, "dev@" + dev, "release-3@" + releases[2], "release-4@" + releases[3]}, left,
		cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Fatalf("left after ApplyLifecycle (-want +got):\n%s", diff)
	}
	got = must[*awsecr.GetLifecyclePolicyOutput](t)(h.sdk.GetLifecyclePolicy(ctx, &awsecr.GetLifecyclePolicyInput{RepositoryName: repo}))
	if got.LastEvaluatedAt == nil || !got.LastEvaluatedAt.Equal(now) {
		t.Fatalf("lastEvaluatedAt %v, want %v", got.LastEvaluatedAt, now)
	}
	if expired, err := h.api.ApplyLifecycle(ctx); err != nil || expired != 0 {
		t.Fatalf("second ApplyLifecycle: %d expired, %v", expired, err)
	}

	// A preview of another text does not change the stored policy.
	other := `{"rules":[{"rulePriority":1,"description":"keep one","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
	must[*awsecr.StartLifecyclePolicyPreviewOutput](t)(h.sdk.StartLifecyclePolicyPreview(ctx, &awsecr.StartLifecyclePolicyPreviewInput{RepositoryName: repo, LifecyclePolicyText: aws.String(other)}))
	pv := must[*awsecr.GetLifecyclePolicyPreviewOutput](t)(h.sdk.GetLifecyclePolicyPreview(ctx, &awsecr.GetLifecyclePolicyPreviewInput{RepositoryName: repo}))
	if aws.ToString(pv.LifecyclePolicyText) != other || aws.ToInt32(pv.Summary.ExpiringImageTotalCount) != 3 {
		t.Fatalf("preview of another text: %q, %d expiring", aws.ToString(pv.LifecyclePolicyText), aws.ToInt32(pv.Summary.ExpiringImageTotalCount))
	}

	del := must[*awsecr.DeleteLifecyclePolicyOutput](t)(h.sdk.DeleteLifecyclePolicy(ctx, &awsecr.DeleteLifecyclePolicyInput{RepositoryName: repo}))
	if aws.ToString(del.LifecyclePolicyText) != policy || del.LastEvaluatedAt == nil {
		t.Fatalf("DeleteLifecyclePolicy: %+v", del)
	}
	_, err = h.sdk.DeleteLifecyclePolicy(ctx, &awsecr.DeleteLifecyclePolicyInput{RepositoryName: repo})
	if errCode(err) != "LifecyclePolicyNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
}

// TestLifecycleIndex: an index's images go with the index; once it is gone
// they are untagged images of their own.
func TestLifecycleIndex(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "multi", "")
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	h.clock.Set(now.Add(-30 * 24 * time.Hour))
	idx, err := random.Index(128, 1, 2, random.WithSource(rand.NewSource(9)))
	if err != nil {
		t.Fatal(err)
	}
	h.pushIndex(t, "multi", "v1", idx)
	h.clock.Set(now)
	text := `{"rules":[{"rulePriority":1,"description":"anything older than a week","selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}`
	must[*awsecr.PutLifecyclePolicyOutput](t)(h.sdk.PutLifecyclePolicy(ctx, &awsecr.PutLifecyclePolicyInput{RepositoryName: aws.String("multi"), LifecyclePolicyText: aws.String(text)}))
	if n, err := h.api.ApplyLifecycle(ctx); err != nil || n != 1 {
		t.Fatalf("first ApplyLifecycle: %d expired, %v; want the index alone", n, err)
	}
	if n := len(listImages(t, h, "multi", types.TagStatusUntagged)); n != 2 {
		t.Fatalf("%d untagged images after the index expired, want its 2", n)
	}
	if n, err := h.api.ApplyLifecycle(ctx); err != nil || n != 2 {
		t.Fatalf("second ApplyLifecycle: %d expired, %v", n, err)
	}
}
