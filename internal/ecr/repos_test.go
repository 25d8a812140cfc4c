package ecr_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRepositories(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.clock.Set(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))

	created := must[*awsecr.CreateRepositoryOutput](t)(h.sdk.CreateRepository(ctx, &awsecr.CreateRepositoryInput{
		RepositoryName:             aws.String("team/app"),
		ImageTagMutability:         types.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		EncryptionConfiguration:    &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms, KmsKey: aws.String("arn:aws:kms:us-east-1:000000000000:key/k")},
		Tags:                       []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})).Repository
	want := types.Repository{
		RepositoryArn:              aws.String("arn:aws:ecr:us-east-1:000000000000:repository/team/app"),
		RegistryId:                 aws.String(testAcct),
		RepositoryName:             aws.String("team/app"),
		RepositoryUri:              aws.String(h.host + "/team/app"),
		CreatedAt:                  aws.Time(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)),
		ImageTagMutability:         types.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		EncryptionConfiguration:    &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms, KmsKey: aws.String("arn:aws:kms:us-east-1:000000000000:key/k")},
	}
	opts := cmpopts.IgnoreUnexported(types.Repository{}, types.ImageScanningConfiguration{}, types.EncryptionConfiguration{})
	if d := cmp.Diff(want, *created, opts); d != "" {
		t.Fatalf("CreateRepository (-want +got):\n%s", d)
	}
	d := must[*awsecr.DescribeRepositoriesOutput](t)(h.sdk.DescribeRepositories(ctx, &awsecr.DescribeRepositoriesInput{RepositoryNames: []string{"team/app"}}))
	if len(d.Repositories) != 1 {
		t.Fatalf("DescribeRepositories: %d repositories", len(d.Repositories))
	}
	if diff := cmp.Diff(want, d.Repositories[0], opts); diff != "" {
		t.Fatalf("DescribeRepositories (-want +got):\n%s", diff)
	}

	// Defaults: MUTABLE, no scan on push, AES256.
	def := must[*awsecr.CreateRepositoryOutput](t)(h.sdk.CreateRepository(ctx, &awsecr.CreateRepositoryInput{RepositoryName: aws.String("plain")})).Repository
	if def.ImageTagMutability != types.ImageTagMutabilityMutable || def.ImageScanningConfiguration.ScanOnPush || def.EncryptionConfiguration.EncryptionType != types.EncryptionTypeAes256 {
		t.Fatalf("defaults: %+v %+v %+v", def.ImageTagMutability, def.ImageScanningConfiguration, def.EncryptionConfiguration)
	}

	_, err := h.sdk.CreateRepository(ctx, &awsecr.CreateRepositoryInput{RepositoryName: aws.String("plain")})
	if errCode(err) != "RepositoryAlreadyExistsException" || errMessage(err) != "The repository with name 'plain' already exists in the registry with id '000000000000'" {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = h.sdk.DescribeRepositories(ctx, &awsecr.DescribeRepositoriesInput{RepositoryNames: []string{"plain", "nope"}})
	if errCode(err) != "RepositoryNotFoundException" || errMessage(err) != "The repository with name 'nope' does not exist in the registry with id '000000000000'" {
		t.Fatalf("missing: %v", err)
	}

	// Settings change.
	m := must[*awsecr.PutImageTagMutabilityOutput](t)(h.sdk.PutImageTagMutability(ctx, &awsecr.PutImageTagMutabilityInput{RepositoryName: aws.String("plain"), ImageTagMutability: types.ImageTagMutabilityImmutable}))
	if m.ImageTagMutability != types.ImageTagMutabilityImmutable || aws.ToString(m.RepositoryName) != "plain" || aws.ToString(m.RegistryId) != testAcct {
		t.Fatalf("PutImageTagMutability: %+v", m)
	}
	must[*awsecr.PutImageScanningConfigurationOutput](t)(h.sdk.PutImageScanningConfiguration(ctx, &awsecr.PutImageScanningConfigurationInput{RepositoryName: aws.String("plain"), ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true}}))
	got := must[*awsecr.DescribeRepositoriesOutput](t)(h.sdk.DescribeRepositories(ctx, &awsecr.DescribeRepositoriesInput{RepositoryNames: []string{"plain"}})).Repositories[0]
	if got.ImageTagMutability != types.ImageTagMutabilityImmutable || !got.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("after the settings changed: %+v %+v", got.ImageTagMutability, got.ImageScanningConfiguration)
	}
	_, err = h.sdk.PutImageTagMutability(ctx, &awsecr.PutImageTagMutabilityInput{RepositoryName: aws.String("plain"), ImageTagMutability: types.ImageTagMutabilityImmutableWithExclusion})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("IMMUTABLE_WITH_EXCLUSION: %v", err)
	}

	// Delete: empty repositories go; a repository with images needs force.
	del := must[*awsecr.DeleteRepositoryOutput](t)(h.sdk.DeleteRepository(ctx, &awsecr.DeleteRepositoryInput{RepositoryName: aws.String("plain")})).Repository
	if aws.ToString(del.RepositoryName) != "plain" || aws.ToString(del.RepositoryArn) != "arn:aws:ecr:us-east-1:000000000000:repository/plain" {
		t.Fatalf("DeleteRepository: %+v", del)
	}
	_, err = h.sdk.DeleteRepository(ctx, &awsecr.DeleteRepositoryInput{RepositoryName: aws.String("plain")})
	if errCode(err) != "RepositoryNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
	h.push(t, "team/app", "v1", randomImage(t, 1))
	_, err = h.sdk.DeleteRepository(ctx, &awsecr.DeleteRepositoryInput{RepositoryName: aws.String("team/app")})
	if errCode(err) != "RepositoryNotEmptyException" || errMessage(err) != "The repository with name 'team/app' in registry with id '000000000000' cannot be deleted because it still contains images" {
		t.Fatalf("delete non-empty: %v", err)
	}
	must[*awsecr.DeleteRepositoryOutput](t)(h.sdk.DeleteRepository(ctx, &awsecr.DeleteRepositoryInput{RepositoryName: aws.String("team/app"), Force: true}))
	if n := len(must[*awsecr.DescribeRepositoriesOutput](t)(h.sdk.DescribeRepositories(ctx, &awsecr.DescribeRepositoriesInput{})).Repositories); n != 0 {
		t.Fatalf("%d repositories after deleting both", n)
	}
	// The name is free again, and the new repository is empty.
	h.createRepo(t, "team/app", "")
	if ids := must[*awsecr.ListImagesOutput](t)(h.sdk.ListImages(ctx, &awsecr.ListImagesInput{RepositoryName: aws.String("team/app")})).ImageIds; len(ids) != 0 {
		t.Fatalf("re-created repository lists %d images", len(ids))
	}
}

func TestDescribeRepositoriesPagination(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		n := fmt.Sprintf("repo-%02d", i)
		h.createRepo(t, n, "")
		want = append(want, n)
	}
	var got []string
	var pages int
	p := awsecr.NewDescribeRepositoriesPaginator(h.sdk, &awsecr.DescribeRepositoriesInput{MaxResults: aws.Int32(3)})
	for p.HasMorePages() {
		out := must[*awsecr.DescribeRepositoriesOutput](t)(p.NextPage(ctx))
		pages++
		for _, r := range out.Repositories {
			got = append(got, aws.ToString(r.RepositoryName))
		}
	}
	if d := cmp.Diff(want, got); d != "" || pages != 3 {
		t.Fatalf("%d pages (-want +got):\n%s", pages, d)
	}
	_, err := h.sdk.DescribeRepositories(ctx, &awsecr.DescribeRepositoriesInput{NextToken: aws.String("bogus")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("bogus token: %v", err)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "tagged", "")
	arn := aws.String("arn:aws:ecr:us-east-1:000000000000:repository/tagged")
	must[*awsecr.TagResourceOutput](t)(h.sdk.TagResource(ctx, &awsecr.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")},
	}}))
	must[*awsecr.TagResourceOutput](t)(h.sdk.TagResource(ctx, &awsecr.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("3")}}}))
	must[*awsecr.UntagResourceOutput](t)(h.sdk.UntagResource(ctx, &awsecr.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"b", "absent"}}))
	tags := must[*awsecr.ListTagsForResourceOutput](t)(h.sdk.ListTagsForResource(ctx, &awsecr.ListTagsForResourceInput{ResourceArn: arn})).Tags
	if d := cmp.Diff([]types.Tag{{Key: aws.String("a"), Value: aws.String("3")}}, tags, cmpopts.IgnoreUnexported(types.Tag{})); d != "" {
		t.Fatalf("tags (-want +got):\n%s", d)
	}
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
	}
	_, err := h.sdk.TagResource(ctx, &awsecr.TagResourceInput{ResourceArn: arn, Tags: many})
	if errCode(err) != "TooManyTagsException" {
		t.Fatalf("51 tags: %v", err)
	}
	_, err = h.sdk.TagResource(ctx, &awsecr.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	if errCode(err) != "InvalidTagParameterException" {
		t.Fatalf("aws: key: %v", err)
	}
	_, err = h.sdk.ListTagsForResource(ctx, &awsecr.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecr:us-east-1:000000000000:repository/nope")})
	if errCode(err) != "RepositoryNotFoundException" {
		t.Fatalf("missing repository: %v", err)
	}
	_, err = h.sdk.ListTagsForResource(ctx, &awsecr.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/x")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("not an ECR ARN: %v", err)
	}
}

func TestRepositoryPolicy(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "pol", "")
	_, err := h.sdk.GetRepositoryPolicy(ctx, &awsecr.GetRepositoryPolicyInput{RepositoryName: aws.String("pol")})
	if errCode(err) != "RepositoryPolicyNotFoundException" {
		t.Fatalf("no policy yet: %v", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}`
	must[*awsecr.SetRepositoryPolicyOutput](t)(h.sdk.SetRepositoryPolicy(ctx, &awsecr.SetRepositoryPolicyInput{RepositoryName: aws.String("pol"), PolicyText: aws.String(policy)}))
	got := must[*awsecr.GetRepositoryPolicyOutput](t)(h.sdk.GetRepositoryPolicy(ctx, &awsecr.GetRepositoryPolicyInput{RepositoryName: aws.String("pol")}))
	if aws.ToString(got.PolicyText) != policy {
		t.Fatalf("policy %q", aws.ToString(got.PolicyText))
	}
	must[*awsecr.DeleteRepositoryPolicyOutput](t)(h.sdk.DeleteRepositoryPolicy(ctx, &awsecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("pol")}))
	_, err = h.sdk.DeleteRepositoryPolicy(ctx, &awsecr.DeleteRepositoryPolicyInput{RepositoryName: aws.String("pol")})
	if errCode(err) != "RepositoryPolicyNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
	_, err = h.sdk.SetRepositoryPolicy(ctx, &awsecr.SetRepositoryPolicyInput{RepositoryName: aws.String("pol"), PolicyText: aws.String("not json")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("bad policy: %v", err)
	}
}

// TestAuthorizationToken logs in to the registry as docker login does, with
// the token GetAuthorizationToken returns.
func TestAuthorizationToken(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	out := must[*awsecr.GetAuthorizationTokenOutput](t)(h.sdk.GetAuthorizationToken(ctx, &awsecr.GetAuthorizationTokenInput{}))
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("%d authorization data", len(out.AuthorizationData))
	}
	ad := out.AuthorizationData[0]
	if aws.ToString(ad.ProxyEndpoint) != h.url {
		t.Errorf("proxyEndpoint %q, want %q", aws.ToString(ad.ProxyEndpoint), h.url)
	}
	if want := h.clock.Now().Add(12 * time.Hour); ad.ExpiresAt == nil || ad.ExpiresAt.Sub(want).Abs() > time.Second {
		t.Errorf("expiresAt %v, want %v", ad.ExpiresAt, want)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken))
	if err != nil || !strings.HasPrefix(string(raw), "AWS:") {
		t.Fatalf("token %q: %v", raw, err)
	}
	for _, c := range []struct {
		token string
		want  int
	}{
		{aws.ToString(ad.AuthorizationToken), http.StatusOK},
		{base64.StdEncoding.EncodeToString([]byte("AWS:forged")), http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(http.MethodGet, h.url+"/v2/", nil)
		req.Header.Set("Authorization", "Basic "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET /v2/ with token %.20s...: %d, want %d", c.token, resp.StatusCode, c.want)
		}
	}
	two := must[*awsecr.GetAuthorizationTokenOutput](t)(h.sdk.GetAuthorizationToken(ctx, &awsecr.GetAuthorizationTokenInput{RegistryIds: []string{testAcct, "111111111111"}}))
	if len(two.AuthorizationData) != 2 {
		t.Fatalf("two registry IDs: %d authorization data", len(two.AuthorizationData))
	}
}
