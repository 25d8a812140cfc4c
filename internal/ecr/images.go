package ecr

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/registry"
)

// digestRE is the model's pattern of an image or layer digest.
var digestRE = regexp.MustCompile(`^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$`)

type imageIdentifier struct {
	ImageDigest *string `json:"imageDigest,omitempty"`
	ImageTag    *string `json:"imageTag,omitempty"`
}

func (id imageIdentifier) String() string {
	q := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	return fmt.Sprintf("{imageDigest:'%s', imageTag:'%s'}", q(id.ImageDigest), q(id.ImageTag))
}

// image is one manifest of a repository with the tags pointing at it.
type image struct {
	m    *registry.Manifest
	tags []string
}

// images returns repo's images in digest order, each with its descriptors
// (the registry records those of a very large manifest only in its bytes).
func (a *API) images(repo string) []image {
	tags := a.reg.Tags(repo)
	var out []image
	for _, m := range a.reg.Manifests(repo) {
		if full, err := a.reg.Full(m); err == nil {
			m = full
		}
		out = append(out, image{m: m, tags: tags[m.Digest]})
	}
	return out
}

// indexChildren returns the digests that the indexes among imgs reference,
// each with the digests of the indexes that reference it.
func indexChildren(imgs []image) map[string][]string {
	out := map[string][]string{}
	for _, im := range imgs {
		for _, c := range im.m.Manifests {
			out[c.Digest] = append(out[c.Digest], im.m.Digest)
		}
	}
	return out
}

// tagStatus checks a filter's tagStatus and imageStatus; keep reports
// whether an image with tags passes.
func tagStatus(ts, status *string) (keep func(tags []string) bool, err error) {
	switch deref(status) {
	case "", "ACTIVE", "ANY":
	case "ARCHIVED", "ACTIVATING": // Tide archives nothing
		return func([]string) bool { return false }, nil
	default:
		return nil, invalidParam("filter.imageStatus", "must satisfy enum value set: [ACTIVE, ARCHIVED, ACTIVATING, ANY]")
	}
	switch deref(ts) {
	case "", "ANY":
		return func([]string) bool { return true }, nil
	case "TAGGED":
		return func(t []string) bool { return len(t) > 0 }, nil
	case "UNTAGGED":
		return func(t []string) bool { return len(t) == 0 }, nil
	}
	return nil, invalidParam("filter.tagStatus", "must satisfy enum value set: [TAGGED, UNTAGGED, ANY]")
}

type imageFilter struct {
	TagStatus   *string `json:"tagStatus"`
	ImageStatus *string `json:"imageStatus"`
}

// ---------------------------------------------------------------- ListImages

type listImagesInput struct {
	RegistryID     *string      `json:"registryId"`
	RepositoryName *string      `json:"repositoryName"`
	NextToken      *string      `json:"nextToken"`
	MaxResults     *int32       `json:"maxResults"`
	Filter         *imageFilter `json:"filter"`
}

type listImagesOutput struct {
	ImageIds  []imageIdentifier `json:"imageIds"`
	NextToken *string           `json:"nextToken,omitempty"`
}

// ListImages lists a repository's image IDs: one per tag, and one with only
// the digest for each untagged image, in digest then tag order.
func (a *API) ListImages(ctx context.Context, in *listImagesInput) (*listImagesOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var f imageFilter
	if in.Filter != nil {
		f = *in.Filter
	}
	keep, err := tagStatus(f.TagStatus, f.ImageStatus)
	if err != nil {
		return nil, err
	}
	limit, after, err := parsePage(pageList, rec.Name, in.NextToken, in.MaxResults, 1000)
	if err != nil {
		return nil, err
	}
	out := &listImagesOutput{ImageIds: []imageIdentifier{}}
	var last string
	for _, im := range a.images(rec.Name) {
		if !keep(im.tags) {
			continue
		}
		tags := im.tags
		if len(tags) == 0 {
			tags = []string{""}
		}
		for _, t := range tags {
			key := im.m.Digest + " " + t
			if after != "" && key <= after {
				continue
			}
			if len(out.ImageIds) == limit {
				out.NextToken = pageToken(pageList, rec.Name, last)
				return out, nil
			}
			id := imageIdentifier{ImageDigest: ptr(im.m.Digest)}
			if t != "" {
				id.ImageTag = ptr(t)
			}
			out.ImageIds = append(out.ImageIds, id)
			last = key
		}
	}
	return out, nil
}

// ---------------------------------------------------------------- DescribeImages

type describeImagesInput struct {
	RegistryID     *string           `json:"registryId"`
	RepositoryName *string           `json:"repositoryName"`
	ImageIds       []imageIdentifier `json:"imageIds"`
	NextToken      *string           `json:"nextToken"`
	MaxResults     *int32            `json:"maxResults"`
	Filter         *imageFilter      `json:"filter"`
}

type imageDetail struct {
	RegistryID             string        `json:"registryId"`
	RepositoryName         string        `json:"repositoryName"`
	ImageDigest            string        `json:"imageDigest"`
	ImageTags              []string      `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64         `json:"imageSizeInBytes"`
	ImagePushedAt          *awsjson.Time `json:"imagePushedAt"`
	ImageManifestMediaType string        `json:"imageManifestMediaType"`
	ArtifactMediaType      string        `json:"artifactMediaType,omitempty"`
	SubjectManifestDigest  string        `json:"subjectManifestDigest,omitempty"`
	ImageStatus            string        `json:"imageStatus"`
}

type describeImagesOutput struct {
	ImageDetails []imageDetail `json:"imageDetails"`
	NextToken    *string       `json:"nextToken,omitempty"`
}

// DescribeImages describes a repository's images, or the ones imageIds
// name (ImageNotFoundException if one is missing).
func (a *API) DescribeImages(ctx context.Context, in *describeImagesInput) (*describeImagesOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var f imageFilter
	if in.Filter != nil {
		f = *in.Filter
	}
	keep, err := tagStatus(f.TagStatus, f.ImageStatus)
	if err != nil {
		return nil, err
	}
	imgs := a.images(rec.Name)
	byDigest := map[string]image{}
	for _, im := range imgs {
		byDigest[im.m.Digest] = im
	}
	out := &describeImagesOutput{ImageDetails: []imageDetail{}}
	if in.ImageIds != nil {
		if len(in.ImageIds) < 1 || len(in.ImageIds) > 100 {
			return nil, invalidParam("imageIds", "must have length between 1 and 100")
		}
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, awserr.InvalidParameter("Invalid parameter: maxResults and nextToken cannot be used with imageIds")
		}
		var seen []string
		for _, id := range in.ImageIds {
			m, code, reason := a.resolve(rec.Name, id)
			if code == "MissingDigestAndTag" || code == "InvalidImageDigest" || code == "InvalidImageTag" {
				return nil, awserr.InvalidParameter("%s", reason)
			}
			if m == nil {
				return nil, awserr.Client("ImageNotFoundException", "The image with imageId %s does not exist within the repository with name '%s' in the registry with id '%s'", id, rec.Name, a.cfg.AccountID)
			}
			if slices.Contains(seen, m.Digest) || !keep(byDigest[m.Digest].tags) {
				continue
			}
			seen = append(seen, m.Digest)
			out.ImageDetails = append(out.ImageDetails, a.detail(rec.Name, byDigest[m.Digest], byDigest))
		}
		return out, nil
	}
	limit, after, err := parsePage(pageImages, rec.Name, in.NextToken, in.MaxResults, 1000)
	if err != nil {
		return nil, err
	}
	for _, im := range imgs {
		if !keep(im.tags) || (after != "" && im.m.Digest <= after) {
			continue
		}
		if len(out.ImageDetails) == limit {
			out.NextToken = pageToken(pageImages, rec.Name, out.ImageDetails[limit-1].ImageDigest)
			break
		}
		out.ImageDetails = append(out.ImageDetails, a.detail(rec.Name, im, byDigest))
	}
	return out, nil
}

// detail is im as DescribeImages shows it. The size of an image is the sum
// of its layers' sizes; that of an index, the largest size of the images it
// references.
func (a *API) detail(repo string, im image, byDigest map[string]image) imageDetail {
	d := imageDetail{
		RegistryID: a.cfg.AccountID, RepositoryName: repo, ImageDigest: im.m.Digest, ImageTags: im.tags,
		ImageSizeInBytes: im.m.LayerBytes(), ImagePushedAt: awsjson.At(im.m.PushedAt),
		ImageManifestMediaType: im.m.MediaType, SubjectManifestDigest: im.m.Subject, ImageStatus: "ACTIVE",
	}
	if im.m.Config != nil {
		d.ArtifactMediaType = im.m.Config.MediaType
	}
	for _, c := range im.m.Manifests {
		if child, ok := byDigest[c.Digest]; ok {
			d.ImageSizeInBytes = max(d.ImageSizeInBytes, child.m.LayerBytes())
		}
	}
	return d
}

// resolve finds the manifest id names in repo. When it finds none it
// returns BatchGetImage's and BatchDeleteImage's failure code and reason.
func (a *API) resolve(repo string, id imageIdentifier) (*registry.Manifest, string, string) {
	if id.ImageDigest == nil && id.ImageTag == nil {
		return nil, "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
	}
	if id.ImageDigest != nil && !digestRE.MatchString(*id.ImageDigest) {
		return nil, "InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"
	}
	if id.ImageTag != nil && (len(*id.ImageTag) < 1 || len(*id.ImageTag) > 300) {
		return nil, "InvalidImageTag", "Invalid request parameters: image tag should have length between 1 and 300"
	}
	d := deref(id.ImageDigest)
	if id.ImageTag != nil {
		td, ok := a.reg.TagDigest(repo, *id.ImageTag)
		if !ok {
			return nil, "ImageNotFound", "Requested image not found"
		}
		if d != "" && td != d {
			return nil, "ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest"
		}
		d = td
	}
	m, ok := a.reg.ManifestByDigest(repo, d)
	if !ok {
		return nil, "ImageNotFound", "Requested image not found"
	}
	return m, "", ""
}

type imageFailure struct {
	ImageID       imageIdentifier `json:"imageId"`
	FailureCode   string          `json:"failureCode"`
	FailureReason string          `json:"failureReason"`
}

// ---------------------------------------------------------------- BatchGetImage

type batchGetImageInput struct {
	RegistryID         *string           `json:"registryId"`
	RepositoryName     *string           `json:"repositoryName"`
	ImageIds           []imageIdentifier `json:"imageIds"`
	AcceptedMediaTypes []string          `json:"acceptedMediaTypes"`
}

type imageOut struct {
	RegistryID             string          `json:"registryId"`
	RepositoryName         string          `json:"repositoryName"`
	ImageID                imageIdentifier `json:"imageId"`
	ImageManifest          string          `json:"imageManifest"`
	ImageManifestMediaType string          `json:"imageManifestMediaType"`
}

type batchGetImageOutput struct {
	Images   []imageOut     `json:"images"`
	Failures []imageFailure `json:"failures"`
}

// BatchGetImage returns the manifests of the images imageIds name, exactly
// as pushed. Tide converts no manifest: an image whose media type is not
// among acceptedMediaTypes is a failure (UnsupportedImageType).
func (a *API) BatchGetImage(ctx context.Context, in *batchGetImageInput) (*batchGetImageOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := checkImageIDs(in.ImageIds); err != nil {
		return nil, err
	}
	if in.AcceptedMediaTypes != nil && (len(in.AcceptedMediaTypes) < 1 || len(in.AcceptedMediaTypes) > 100) {
		return nil, invalidParam("acceptedMediaTypes", "must have length between 1 and 100")
	}
	out := &batchGetImageOutput{Images: []imageOut{}, Failures: []imageFailure{}}
	var seen []imageIdentifier
	for _, id := range in.ImageIds {
		if slices.ContainsFunc(seen, func(s imageIdentifier) bool { return sameID(s, id) }) {
			continue
		}
		seen = append(seen, id)
		m, code, reason := a.resolve(rec.Name, id)
		if m == nil {
			out.Failures = append(out.Failures, imageFailure{ImageID: id, FailureCode: code, FailureReason: reason})
			continue
		}
		if in.AcceptedMediaTypes != nil && !slices.Contains(in.AcceptedMediaTypes, m.MediaType) {
			out.Failures = append(out.Failures, imageFailure{ImageID: id, FailureCode: "UnsupportedImageType",
				FailureReason: fmt.Sprintf("The image's manifest media type %s is not among the accepted media types", m.MediaType)})
			continue
		}
		body, err := a.reg.ManifestBytes(m)
		if err != nil {
			return nil, fmt.Errorf("read manifest %s of %s: %w", m.Digest, rec.Name, err)
		}
		out.Images = append(out.Images, imageOut{
			RegistryID: a.cfg.AccountID, RepositoryName: rec.Name,
			ImageID:       imageIdentifier{ImageDigest: ptr(m.Digest), ImageTag: id.ImageTag},
			ImageManifest: string(body), ImageManifestMediaType: m.MediaType,
		})
	}
	return out, nil
}

func checkImageIDs(ids []imageIdentifier) error {
	if ids == nil {
		return invalidParam("imageIds", "must not be null")
	}
	if len(ids) < 1 || len(ids) > 100 {
		return invalidParam("imageIds", "must have length between 1 and 100")
	}
	return nil
}

func sameID(a, b imageIdentifier) bool {
	return deref(a.ImageDigest) == deref(b.ImageDigest) && (a.ImageDigest == nil) == (b.ImageDigest == nil) &&
		deref(a.ImageTag) == deref(b.ImageTag) && (a.ImageTag == nil) == (b.ImageTag == nil)
}
