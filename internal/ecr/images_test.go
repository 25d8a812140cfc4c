package ecr_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"

	"tide/internal/ecr"
)

// randomImage is a small Docker schema 2 image of two random layers,
// the same for the same seed.
func randomImage(t testing.TB, seed int64) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2, random.WithSource(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// ociImage is randomImage as an OCI image.
func ociImage(t testing.TB, seed int64) v1.Image {
	t.Helper()
	return mutate.ConfigMediaType(mutate.MediaType(randomImage(t, seed), ggcrtypes.OCIManifestSchema1), ggcrtypes.OCIConfigJSON)
}

func digestOf(t testing.TB, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func rawManifest(t testing.TB, img v1.Image) string {
	t.Helper()
	b, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// layerBytes is the sum of img's layer sizes: ECR's image size.
func layerBytes(t testing.TB, img v1.Image) int64 {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n
}

func id(digest, tag string) types.ImageIdentifier {
	var out types.ImageIdentifier
	if digest != "" {
		out.ImageDigest = aws.String(digest)
	}
	if tag != "" {
		out.ImageTag = aws.String(tag)
	}
	return out
}

var idOpts = cmpopts.IgnoreUnexported(types.ImageIdentifier{})

func listImages(t testing.TB, h *harness, repo string, status types.TagStatus) []types.ImageIdentifier {
	t.Helper()
	var out []types.ImageIdentifier
	p := awsecr.NewListImagesPaginator(h.sdk, &awsecr.ListImagesInput{RepositoryName: aws.String(repo), Filter: &types.ListImagesFilter{TagStatus: status}})
	for p.HasMorePages() {
		out = append(out, must[*awsecr.ListImagesOutput](t)(p.NextPage(context.Background())).ImageIds...)
	}
	return out
}

// TestOCIPushSeenThroughECR pushes images with go-containerregistry, as
// docker push does, and reads them back through the ECR API.
func TestOCIPushSeenThroughECR(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "app", "")
	pushedAt := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	h.clock.Set(pushedAt)
	img1, img2, img3 := randomImage(t, 1), ociImage(t, 2), randomImage(t, 3)
	d1 := h.push(t, "app", "v1", img1)
	h.push(t, "app", "latest", img1)
	d2 := h.push(t, "app", "v2", img2)
	d3 := digestOf(t, img3)
	if err := remote.Write(h.ref(t, "app", d3), img3, remote.WithAuth(h.auth(t))); err != nil { // by digest: untagged
		t.Fatal(err)
	}

	// ListImages: one ID per tag, one per untagged image.
	var all []types.ImageIdentifier
	for _, d := range slices.Sorted(slices.Values([]string{d1, d2, d3})) {
		switch d {
		case d1:
			all = append(all, id(d1, "latest"), id(d1, "v1"))
		case d2:
			all = append(all, id(d2, "v2"))
		case d3:
			all = append(all, id(d3, ""))
		}
	}
	if diff := cmp.Diff(all, listImages(t, h, "app", ""), idOpts); diff != "" {
		t.Fatalf("ListImages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]types.ImageIdentifier{id(d3, "")}, listImages(t, h, "app", types.TagStatusUntagged), idOpts); diff != "" {
		t.Fatalf("ListImages UNTAGGED (-want +got):\n%s", diff)
	}
	if got := listImages(t, h, "app", types.TagStatusTagged); len(got) != 3 {
		t.Fatalf("ListImages TAGGED: %d IDs", len(got))
	}
	var paged []types.ImageIdentifier
	p := awsecr.NewListImagesPaginator(h.sdk, &awsecr.ListImagesInput{RepositoryName: aws.String("app"), MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out := must[*awsecr.ListImagesOutput](t)(p.NextPage(ctx))
		if len(out.ImageIds) > 1 {
			t.Fatalf("page of %d with maxResults 1", len(out.ImageIds))
		}
		paged = append(paged, out.ImageIds...)
	}
	if diff := cmp.Diff(all, paged, idOpts); diff != "" {
		t.Fatalf("ListImages by pages of 1 (-want +got):\n%s", diff)
	}

	// DescribeImages.
	d := must[*awsecr.DescribeImagesOutput](t)(h.sdk.DescribeImages(ctx, &awsecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{id("", "v1"), id(d2, "")}}))
	want := []types.ImageDetail{{
		RegistryId: aws.String(testAcct), RepositoryName: aws.String("app"), ImageDigest: aws.String(d1), ImageTags: []string{"latest", "v1"},
		ImageSizeInBytes: aws.Int64(layerBytes(t, img1)), ImagePushedAt: aws.Time(pushedAt), ImageStatus: types.ImageStatusActive,
		ImageManifestMediaType: aws.String("application/vnd.docker.distribution.manifest.v2+json"), ArtifactMediaType: aws.String("application/vnd.docker.container.image.v1+json"),
	}, {
		RegistryId: aws.String(testAcct), RepositoryName: aws.String("app"), ImageDigest: aws.String(d2), ImageTags: []string{"v2"},
		ImageSizeInBytes: aws.Int64(layerBytes(t, img2)), ImagePushedAt: aws.Time(pushedAt), ImageStatus: types.ImageStatusActive,
		ImageManifestMediaType: aws.String("application/vnd.oci.image.manifest.v1+json"), ArtifactMediaType: aws.String("application/vnd.oci.image.config.v1+json"),
	}}
	detailOpts := cmpopts.IgnoreUnexported(types.ImageDetail{})
	if diff := cmp.Diff(want, d.ImageDetails, detailOpts); diff != "" {
		t.Fatalf("DescribeImages (-want +got):\n%s", diff)
	}
	var details []types.ImageDetail
	dp := awsecr.NewDescribeImagesPaginator(h.sdk, &awsecr.DescribeImagesInput{RepositoryName: aws.String("app"), MaxResults: aws.Int32(2)})
	for dp.HasMorePages() {
		details = append(details, must[*awsecr.DescribeImagesOutput](t)(dp.NextPage(ctx)).ImageDetails...)
	}
	if len(details) != 3 {
		t.Fatalf("DescribeImages by pages of 2: %d images", len(details))
	}
	_, err := h.sdk.DescribeImages(ctx, &awsecr.DescribeImagesInput{RepositoryName: aws.String("app"), ImageIds: []types.ImageIdentifier{id("", "nope")}})
	if errCode(err) != "ImageNotFoundException" || errMessage(err) != "The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name 'app' in the registry with id '000000000000'" {
		t.Fatalf("DescribeImages of a missing tag: %v", err)
	}

	// BatchGetImage returns the manifests as pushed.
	g := must[*awsecr.BatchGetImageOutput](t)(h.sdk.BatchGetImage(ctx, &awsecr.BatchGetImageInput{RepositoryName: aws.String("app"),
		ImageIds: []types.ImageIdentifier{id("", "v1"), id(d2, ""), id("", "nope")}}))
	if len(g.Images) != 2 || len(g.Failures) != 1 {
		t.Fatalf("BatchGetImage: %d images, %d failures", len(g.Images), len(g.Failures))
	}
	if aws.ToString(g.Images[0].ImageManifest) != rawManifest(t, img1) || aws.ToString(g.Images[0].ImageId.ImageDigest) != d1 || aws.ToString(g.Images[0].ImageId.ImageTag) != "v1" {
		t.Errorf("BatchGetImage v1: %+v", g.Images[0].ImageId)
	}
	if aws.ToString(g.Images[1].ImageManifest) != rawManifest(t, img2) || aws.ToString(g.Images[1].ImageManifestMediaType) != "application/vnd.oci.image.manifest.v1+json" {
		t.Errorf("BatchGetImage %s: %s", d2, aws.ToString(g.Images[1].ImageManifestMediaType))
	}
	if f := g.Failures[0]; f.FailureCode != types.ImageFailureCodeImageNotFound || aws.ToString(f.FailureReason) != "Requested image not found" || aws.ToString(f.ImageId.ImageTag) != "nope" {
		t.Errorf("BatchGetImage failure: %s %s", f.FailureCode, aws.ToString(f.FailureReason))
	}
	g = must[*awsecr.BatchGetImageOutput](t)(h.sdk.BatchGetImage(ctx, &awsecr.BatchGetImageInput{RepositoryName: aws.String("app"),
		ImageIds: []types.ImageIdentifier{id("", "v1"), id("", "v2")}, AcceptedMediaTypes: []string{"application/vnd.oci.image.manifest.v1+json"}}))
	if len(g.Images) != 1 || len(g.Failures) != 1 || g.Failures[0].FailureCode != "UnsupportedImageType" || aws.ToString(g.Images[0].ImageId.ImageTag) != "v2" {
		t.Fatalf("BatchGetImage OCI only: %d images, failures %+v", len(g.Images), g.Failures)
	}
	g = must[*awsecr.BatchGetImageOutput](t)(h.sdk.BatchGetImage(ctx, &awsecr.BatchGetImageInput{RepositoryName: aws.String("app"),
		ImageIds: []types.ImageIdentifier{id(d2, "v1"), {}, id("sha256:XYZ", "")}}))
	var codes []types.ImageFailureCode
	for _, f := range g.Failures {
		codes = append(codes, f.FailureCode)
	}
	if diff := cmp.Diff([]types.ImageFailureCode{"ImageTagDoesNotMatchDigest", "MissingDigestAndTag", "InvalidImageDigest"}, codes); diff != "" {
		t.Fatalf("BatchGetImage bad IDs (-want +got):\n%s", diff)
	}

	// BatchDeleteImage: a tag goes alone while others remain, the image
	// with its last tag; a digest takes the image and its tags.
	del := func(ids ...types.ImageIdentifier) *awsecr.BatchDeleteImageOutput {
		t.Helper()
		return must[*awsecr.BatchDeleteImageOutput](t)(h.sdk.BatchDeleteImage(ctx, &awsecr.BatchDeleteImageInput{RepositoryName: aws.String("app"), ImageIds: ids}))
	}
	out := del(id("", "latest"))
	if diff := cmp.Diff([]types.ImageIdentifier{id(d1, "latest")}, out.ImageIds, idOpts); diff != "" || len(out.Failures) != 0 {
		t.Fatalf("delete tag latest (-want +got):\n%s%+v", diff, out.Failures)
	}
	if _, err := remote.Image(h.ref(t, "app", "v1"), remote.WithAuth(h.auth(t))); err != nil {
		t.Fatalf("v1 gone with the tag latest: %v", err)
	}
	del(id("", "v1"))
	if _, err := remote.Image(h.ref(t, "app", d1), remote.WithAuth(h.auth(t))); err == nil {
		t.Fatal("the image is still there after its last tag was deleted")
	}
	out = del(id(d2, ""), id(d1, ""), types.ImageIdentifier{}, id("bad", ""))
	if diff := cmp.Diff([]types.ImageIdentifier{id(d2, "v2")}, out.ImageIds, idOpts); diff != "" {
		t.Fatalf("delete by digest (-want +got):\n%s", diff)
	}
	codes = nil
	for _, f := range out.Failures {
		codes = append(codes, f.FailureCode)
	}
	if diff := cmp.Diff([]types.ImageFailureCode{"ImageNotFound", "MissingDigestAndTag", "InvalidImageDigest"}, codes); diff != "" {
		t.Fatalf("BatchDeleteImage failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]types.ImageIdentifier{id(d3, "")}, listImages(t, h, "app", ""), idOpts); diff != "" {
		t.Fatalf("what is left (-want +got):\n%s", diff)
	}
}

// TestIndex pushes a multi-platform index: its images are listed, untagged,
// and cannot be deleted while the index references them.
func TestIndex(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "multi", "")
	idx, err := random.Index(256, 1, 2, random.WithSource(rand.NewSource(7)))
	if err != nil {
		t.Fatal(err)
	}
	di := h.pushIndex(t, "multi", "v1", idx)
	im, _ := idx.IndexManifest()
	var biggest int64
	for _, c := range im.Manifests {
		child, _ := idx.Image(c.Digest)
		biggest = max(biggest, layerBytes(t, child))
	}
	d := must[*awsecr.DescribeImagesOutput](t)(h.sdk.DescribeImages(ctx, &awsecr.DescribeImagesInput{RepositoryName: aws.String("multi"), ImageIds: []types.ImageIdentifier{id("", "v1")}})).ImageDetails[0]
	if aws.ToString(d.ImageDigest) != di || aws.ToString(d.ImageManifestMediaType) != string(ggcrtypes.OCIImageIndex) || aws.ToInt64(d.ImageSizeInBytes) != biggest {
		t.Fatalf("the index: %s %s size %d, want size %d", aws.ToString(d.ImageDigest), aws.ToString(d.ImageManifestMediaType), aws.ToInt64(d.ImageSizeInBytes), biggest)
	}
	if n := len(listImages(t, h, "multi", types.TagStatusUntagged)); n != 2 {
		t.Fatalf("%d untagged images, want the index's 2", n)
	}
	child := im.Manifests[0].Digest.String()
	out := must[*awsecr.BatchDeleteImageOutput](t)(h.sdk.BatchDeleteImage(ctx, &awsecr.BatchDeleteImageInput{RepositoryName: aws.String("multi"), ImageIds: []types.ImageIdentifier{id(child, "")}}))
	if len(out.Failures) != 1 || out.Failures[0].FailureCode != types.ImageFailureCodeImageReferencedByManifestList || !strings.Contains(aws.ToString(out.Failures[0].FailureReason), di) {
		t.Fatalf("deleting an index's image: %+v", out.Failures)
	}
	must[*awsecr.BatchDeleteImageOutput](t)(h.sdk.BatchDeleteImage(ctx, &awsecr.BatchDeleteImageInput{RepositoryName: aws.String("multi"), ImageIds: []types.ImageIdentifier{id(di, "")}}))
	out = must[*awsecr.BatchDeleteImageOutput](t)(h.sdk.BatchDeleteImage(ctx, &awsecr.BatchDeleteImageInput{RepositoryName: aws.String("multi"), ImageIds: []types.ImageIdentifier{id(child, "")}}))
	if len(out.Failures) != 0 || len(out.ImageIds) != 1 {
		t.Fatalf("deleting the image once its index is gone: %+v", out.Failures)
	}
}

// uploadBlob uploads data through the ECR layer API in parts of partSize
// and returns its digest.
func uploadBlob(t testing.TB, h *harness, repo string, data []byte, partSize int) string {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256(data)
	d := "sha256:" + hex.EncodeToString(sum[:])
	up := must[*awsecr.InitiateLayerUploadOutput](t)(h.sdk.InitiateLayerUpload(ctx, &awsecr.InitiateLayerUploadInput{RepositoryName: aws.String(repo)}))
	for off := 0; off < len(data); off += partSize {
		end := min(off+partSize, len(data))
		out := must[*awsecr.UploadLayerPartOutput](t)(h.sdk.UploadLayerPart(ctx, &awsecr.UploadLayerPartInput{
			RepositoryName: aws.String(repo), UploadId: up.UploadId, LayerPartBlob: data[off:end],
			PartFirstByte: aws.Int64(int64(off)), PartLastByte: aws.Int64(int64(end - 1)),
		}))
		if aws.ToInt64(out.LastByteReceived) != int64(end-1) {
			t.Fatalf("lastByteReceived %d, want %d", aws.ToInt64(out.LastByteReceived), end-1)
		}
	}
	c := must[*awsecr.CompleteLayerUploadOutput](t)(h.sdk.CompleteLayerUpload(ctx, &awsecr.CompleteLayerUploadInput{
		RepositoryName: aws.String(repo), UploadId: up.UploadId, LayerDigests: []string{d},
	}))
	if aws.ToString(c.LayerDigest) != d {
		t.Fatalf("CompleteLayerUpload: digest %s, want %s", aws.ToString(c.LayerDigest), d)
	}
	return d
}

// blobs returns img's config and compressed layers, keyed by digest, config
// first.
func blobs(t testing.TB, img v1.Image) (digests []string, data map[string][]byte) {
	t.Helper()
	data = map[string][]byte{}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := img.ConfigName()
	digests = append(digests, cd.String())
	data[cd.String()] = cfg
	layers, _ := img.Layers()
	for _, l := range layers {
		ld, _ := l.Digest()
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		digests = append(digests, ld.String())
		data[ld.String()] = b
	}
	return digests, data
}

// TestECRPushThenOCIPull pushes an image with the ECR layer API and PutImage,
// as the ECR SDKs' own push tools do, and pulls it with go-containerregistry.
func TestECRPushThenOCIPull(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "built", "")
	img := ociImage(t, 11)
	manifest := rawManifest(t, img)
	digests, data := blobs(t, img)

	_, err := h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("built"), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")})
	if errCode(err) != "LayersNotFoundException" || !strings.Contains(errMessage(err), "["+strings.Join(digests, ", ")+"]") {
		t.Fatalf("PutImage before the layers: %v", err)
	}
	check := must[*awsecr.BatchCheckLayerAvailabilityOutput](t)(h.sdk.BatchCheckLayerAvailability(ctx, &awsecr.BatchCheckLayerAvailabilityInput{RepositoryName: aws.String("built"), LayerDigests: digests}))
	for _, l := range check.Layers {
		if l.LayerAvailability != types.LayerAvailabilityUnavailable {
			t.Fatalf("layer %s %s before upload", aws.ToString(l.LayerDigest), l.LayerAvailability)
		}
	}
	for _, d := range digests {
		uploadBlob(t, h, "built", data[d], 300)
	}
	check = must[*awsecr.BatchCheckLayerAvailabilityOutput](t)(h.sdk.BatchCheckLayerAvailability(ctx, &awsecr.BatchCheckLayerAvailabilityInput{RepositoryName: aws.String("built"), LayerDigests: append(digests, "", "md5")}))
	for _, l := range check.Layers {
		if l.LayerAvailability != types.LayerAvailabilityAvailable || aws.ToInt64(l.LayerSize) != int64(len(data[aws.ToString(l.LayerDigest)])) {
			t.Fatalf("layer %s %s size %d after upload", aws.ToString(l.LayerDigest), l.LayerAvailability, aws.ToInt64(l.LayerSize))
		}
	}
	if len(check.Failures) != 2 || check.Failures[0].FailureCode != types.LayerFailureCodeMissingLayerDigest || check.Failures[1].FailureCode != types.LayerFailureCodeInvalidLayerDigest {
		t.Fatalf("layer failures: %+v", check.Failures)
	}

	put := must[*awsecr.PutImageOutput](t)(h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("built"), ImageManifest: aws.String(manifest),
		ImageTag: aws.String("v1"), ImageManifestMediaType: aws.String(string(ggcrtypes.OCIManifestSchema1)), ImageDigest: aws.String(digestOf(t, img))}))
	if aws.ToString(put.Image.ImageId.ImageDigest) != digestOf(t, img) || aws.ToString(put.Image.ImageId.ImageTag) != "v1" || aws.ToString(put.Image.ImageManifest) != manifest {
		t.Fatalf("PutImage: %+v", put.Image.ImageId)
	}
	_, err = h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("built"), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")})
	if errCode(err) != "ImageAlreadyExistsException" {
		t.Fatalf("PutImage again: %v", err)
	}
	must[*awsecr.PutImageOutput](t)(h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("built"), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1.0")}))
	_, err = h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("built"), ImageManifest: aws.String(manifest), ImageDigest: aws.String("sha256:" + strings.Repeat("0", 64))})
	if errCode(err) != "ImageDigestDoesNotMatchException" {
		t.Fatalf("PutImage with another digest: %v", err)
	}
	_, err = h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("built"), ImageManifest: aws.String(`{"schemaVersion":2}`), ImageTag: aws.String("bad")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("PutImage of a bad manifest: %v", err)
	}

	// The image pulls with the OCI API, byte for byte.
	pulled, err := remote.Image(h.ref(t, "built", "v1"), remote.WithAuth(h.auth(t)))
	if err != nil {
		t.Fatal(err)
	}
	if rawManifest(t, pulled) != manifest {
		t.Fatal("pulled manifest differs")
	}
	pd, pdata := blobs(t, pulled)
	if diff := cmp.Diff(digests, pd); diff != "" {
		t.Fatalf("pulled blobs (-want +got):\n%s", diff)
	}
	for _, d := range digests {
		if string(pdata[d]) != string(data[d]) {
			t.Fatalf("pulled blob %s differs", d)
		}
	}

	// GetDownloadUrlForLayer returns a presigned URL: it reads that blob with
	// no other credentials, and nothing else.
	u := must[*awsecr.GetDownloadUrlForLayerOutput](t)(h.sdk.GetDownloadUrlForLayer(ctx, &awsecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String("built"), LayerDigest: aws.String(digests[1])}))
	dl := aws.ToString(u.DownloadUrl)
	if want := h.url + "/v2/built/blobs/" + digests[1] + "?"; !strings.HasPrefix(dl, want) {
		t.Fatalf("downloadUrl %s, want %s...", dl, want)
	}
	resp, err := http.Get(dl)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != string(data[digests[1]]) {
		t.Fatalf("GET downloadUrl: %d, %d bytes", resp.StatusCode, len(got))
	}
	for _, bad := range []string{
		strings.Replace(dl, digests[1], digests[0], 1),                // another blob
		strings.Replace(dl, "X-Tide-Expires=", "X-Tide-Expires=1", 1), // another expiry
	} {
		resp, err := http.Get(bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("tampered download URL answered %d", resp.StatusCode)
		}
	}
	stray := uploadBlob(t, h, "built", []byte("a blob no image uses"), 100)
	_, err = h.sdk.GetDownloadUrlForLayer(ctx, &awsecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String("built"), LayerDigest: aws.String(stray)})
	if errCode(err) != "LayerInaccessibleException" {
		t.Fatalf("download URL of an unused blob: %v", err)
	}
	_, err = h.sdk.GetDownloadUrlForLayer(ctx, &awsecr.GetDownloadUrlForLayerInput{RepositoryName: aws.String("built"), LayerDigest: aws.String("sha256:" + strings.Repeat("1", 64))})
	if errCode(err) != "LayersNotFoundException" {
		t.Fatalf("download URL of a missing blob: %v", err)
	}
}

// TestLayerUploadErrors drives the upload state machine into each of its
// errors.
func TestLayerUploadErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "up", "")
	repo := aws.String("up")
	start := func() *string {
		return must[*awsecr.InitiateLayerUploadOutput](t)(h.sdk.InitiateLayerUpload(ctx, &awsecr.InitiateLayerUploadInput{RepositoryName: repo})).UploadId
	}
	part := func(id *string, first, last int64, data string) error {
		_, err := h.sdk.UploadLayerPart(ctx, &awsecr.UploadLayerPartInput{RepositoryName: repo, UploadId: id, PartFirstByte: aws.Int64(first), PartLastByte: aws.Int64(last), LayerPartBlob: []byte(data)})
		return err
	}
	complete := func(id *string, d string) error {
		_, err := h.sdk.CompleteLayerUpload(ctx, &awsecr.CompleteLayerUploadInput{RepositoryName: repo, UploadId: id, LayerDigests: []string{d}})
		return err
	}
	up := start()
	if err := part(up, 0, 4, "hello"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ first, last int64 }{{0, 4}, {6, 10}, {5, 5}} {
		err := part(up, c.first, c.last, " worl")
		if errCode(err) != "InvalidLayerPartException" || !strings.Contains(errMessage(err), "the last valid byte received is 4") {
			t.Fatalf("part %d-%d after 0-4: %v", c.first, c.last, err)
		}
	}
	if err := part(aws.String("00000000-0000-0000-0000-000000000000"), 0, 0, "x"); errCode(err) != "UploadNotFoundException" {
		t.Fatalf("unknown upload: %v", err)
	}
	if err := complete(up, "sha256:"+strings.Repeat("ab", 32)); errCode(err) != "InvalidLayerException" {
		t.Fatalf("wrong digest: %v", err)
	}
	sum := sha256.Sum256([]byte("hello"))
	hello := "sha256:" + hex.EncodeToString(sum[:])
	if err := complete(up, hello); err != nil {
		t.Fatalf("right digest after a wrong one: %v", err)
	}
	if err := complete(up, hello); errCode(err) != "UploadNotFoundException" {
		t.Fatalf("completed twice: %v", err)
	}
	again := start()
	if err := complete(again, hello); errCode(err) != "EmptyUploadException" {
		t.Fatalf("empty upload: %v", err)
	}
	part(again, 0, 4, "hello")
	if err := complete(again, hello); errCode(err) != "LayerAlreadyExistsException" {
		t.Fatalf("layer pushed twice: %v", err)
	}
	if err := part(again, 5, 5, "!"); errCode(err) != "UploadNotFoundException" {
		t.Fatalf("the upload of a layer that exists goes on: %v", err)
	}

	// A part of the size InitiateLayerUpload asks for fits in a request.
	big := must[*awsecr.InitiateLayerUploadOutput](t)(h.sdk.InitiateLayerUpload(ctx, &awsecr.InitiateLayerUploadInput{RepositoryName: repo}))
	if aws.ToInt64(big.PartSize) != ecr.PartSize {
		t.Fatalf("partSize %d", aws.ToInt64(big.PartSize))
	}
	if err := part(big.UploadId, 0, ecr.PartSize-1, strings.Repeat("x", ecr.PartSize)); err != nil {
		t.Fatalf("a part of partSize bytes: %v", err)
	}
}

// TestImmutableTags: an IMMUTABLE repository refuses to move a tag, through
// the OCI API and through PutImage alike.
func TestImmutableTags(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.createRepo(t, "fixed", "IMMUTABLE")
	img1, img2 := randomImage(t, 21), randomImage(t, 22)
	h.push(t, "fixed", "v1", img1)
	h.push(t, "fixed", "v1", img1) // the same image again: no move
	if err := remote.Write(h.ref(t, "fixed", "v1"), img2, remote.WithAuth(h.auth(t))); err == nil {
		t.Fatal("OCI push moved an immutable tag")
	}
	_, err := h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("fixed"), ImageManifest: aws.String(rawManifest(t, img2)), ImageTag: aws.String("v1")})
	if errCode(err) != "ImageTagAlreadyExistsException" || errMessage(err) != "The image tag 'v1' already exists in the 'fixed' repository and cannot be overwritten because the repository is immutable." {
		t.Fatalf("PutImage moving an immutable tag: %v", err)
	}
	d := must[*awsecr.DescribeImagesOutput](t)(h.sdk.DescribeImages(ctx, &awsecr.DescribeImagesInput{RepositoryName: aws.String("fixed"), ImageIds: []types.ImageIdentifier{id("", "v1")}})).ImageDetails[0]
	if aws.ToString(d.ImageDigest) != digestOf(t, img1) {
		t.Fatal("v1 moved")
	}
	must[*awsecr.PutImageTagMutabilityOutput](t)(h.sdk.PutImageTagMutability(ctx, &awsecr.PutImageTagMutabilityInput{RepositoryName: aws.String("fixed"), ImageTagMutability: types.ImageTagMutabilityMutable}))
	must[*awsecr.PutImageOutput](t)(h.sdk.PutImage(ctx, &awsecr.PutImageInput{RepositoryName: aws.String("fixed"), ImageManifest: aws.String(rawManifest(t, img2)), ImageTag: aws.String("v1")}))
	ids := listImages(t, h, "fixed", "")
	want := []types.ImageIdentifier{id(digestOf(t, img2), "v1"), id(digestOf(t, img1), "")}
	if want[0].ImageDigest != nil && *want[0].ImageDigest > *want[1].ImageDigest {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, ids, idOpts); diff != "" {
		t.Fatalf("after moving v1 in the now MUTABLE repository (-want +got):\n%s", diff)
	}
}
