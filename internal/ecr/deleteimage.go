package ecr

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"tide/internal/registry"
)

type batchDeleteImageInput struct {
	RegistryID     *string           `json:"registryId"`
	RepositoryName *string           `json:"repositoryName"`
	ImageIds       []imageIdentifier `json:"imageIds"`
}

type batchDeleteImageOutput struct {
	ImageIds []imageIdentifier `json:"imageIds"`
	Failures []imageFailure    `json:"failures"`
}

// BatchDeleteImage deletes images. An ID with a tag removes that tag, and
// the image with its last tag; an ID with only a digest removes the image
// and every tag pointing at it. An image that an index in the repository
// references cannot be deleted by digest (ImageReferencedByManifestList).
func (a *API) BatchDeleteImage(ctx context.Context, in *batchDeleteImageInput) (*batchDeleteImageOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if err := checkImageIDs(in.ImageIds); err != nil {
		return nil, err
	}
	out := &batchDeleteImageOutput{ImageIds: []imageIdentifier{}, Failures: []imageFailure{}}
	parents := indexChildren(a.images(rec.Name))
	for _, id := range in.ImageIds {
		deleted, code, reason, err := a.deleteImage(ctx, rec.Name, id, parents)
		if err != nil {
			return nil, err
		}
		if code != "" {
			out.Failures = append(out.Failures, imageFailure{ImageID: id, FailureCode: code, FailureReason: reason})
			continue
		}
		out.ImageIds = append(out.ImageIds, deleted...)
	}
	return out, nil
}

// deleteImage deletes what id names and returns the IDs deleted, or a
// failure code and reason. parents maps the images that indexes reference
// to those indexes; it follows the deletions.
func (a *API) deleteImage(ctx context.Context, repo string, id imageIdentifier, parents map[string][]string) ([]imageIdentifier, string, string, error) {
	m, code, reason := a.resolve(repo, id)
	if m == nil {
		return nil, code, reason, nil
	}
	if id.ImageTag != nil {
		d, err := a.reg.DeleteTag(ctx, repo, *id.ImageTag)
		if err == registry.ErrImageUnknown {
			return nil, "ImageNotFound", "Requested image not found", nil
		}
		if err != nil {
			return nil, "", "", err
		}
		if len(a.reg.Tags(repo)[d]) == 0 && len(parents[d]) == 0 {
			gone, _, err := a.reg.DeleteManifest(ctx, repo, d)
			if err != nil && err != registry.ErrImageUnknown {
				return nil, "", "", err
			}
			forget(parents, gone)
		}
		return []imageIdentifier{{ImageDigest: ptr(d), ImageTag: id.ImageTag}}, "", "", nil
	}
	if p := parents[m.Digest]; len(p) > 0 {
		return nil, "ImageReferencedByManifestList", fmt.Sprintf("Requested image referenced by manifest list: [%s]", strings.Join(p, ", ")), nil
	}
	gone, tags, err := a.reg.DeleteManifest(ctx, repo, m.Digest)
	if err == registry.ErrImageUnknown {
		return nil, "ImageNotFound", "Requested image not found", nil
	}
	if err != nil {
		return nil, "", "", err
	}
	forget(parents, gone)
	if len(tags) == 0 {
		return []imageIdentifier{{ImageDigest: ptr(m.Digest)}}, "", "", nil
	}
	var ids []imageIdentifier
	for _, t := range tags {
		ids = append(ids, imageIdentifier{ImageDigest: ptr(m.Digest), ImageTag: ptr(t)})
	}
	return ids, "", "", nil
}

// forget removes a deleted index from parents.
func forget(parents map[string][]string, gone *registry.Manifest) {
	if gone == nil {
		return
	}
	for _, c := range gone.Manifests {
		parents[c.Digest] = slices.DeleteFunc(parents[c.Digest], func(p string) bool { return p == gone.Digest })
	}
}
