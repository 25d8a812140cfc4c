package ecr

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"strings"

	"tide/internal/awserr"
	"tide/internal/registry"
)

type putImageInput struct {
	RegistryID             *string `json:"registryId"`
	RepositoryName         *string `json:"repositoryName"`
	ImageManifest          *string `json:"imageManifest"`
	ImageManifestMediaType *string `json:"imageManifestMediaType"`
	ImageTag               *string `json:"imageTag"`
	ImageDigest            *string `json:"imageDigest"`
}

type putImageOutput struct {
	Image imageOut `json:"image"`
}

// PutImage stores a manifest whose layers (and config) are in the
// repository, optionally tagged, through the same path as an OCI manifest
// push: the registry checks the manifest and its references.
func (a *API) PutImage(ctx context.Context, in *putImageInput) (*putImageOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	switch {
	case in.ImageManifest == nil:
		return nil, invalidParam("imageManifest", "must not be null")
	case len(*in.ImageManifest) < 1:
		return nil, invalidParam("imageManifest", "must have length greater than or equal to 1")
	case len(*in.ImageManifest) > registry.MaxManifestBytes:
		return nil, invalidParam("imageManifest", "must have length less than or equal to 4194304")
	}
	tag := deref(in.ImageTag)
	if in.ImageTag != nil {
		if len(tag) < 1 || len(tag) > 300 {
			return nil, invalidParam("imageTag", "must have length between 1 and 300")
		}
		if !registry.ValidTag(tag) {
			return nil, invalidParam("imageTag", "must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'")
		}
	}
	body := []byte(*in.ImageManifest)
	d, err := manifestDigest(body, in.ImageDigest)
	if err != nil {
		return nil, err
	}
	if _, exists := a.reg.ManifestByDigest(rec.Name, d); exists {
		if tag == "" {
			return nil, awserr.Client("ImageAlreadyExistsException", "Image with digest '%s' already exists in the repository with name '%s' in registry with id '%s'", d, rec.Name, a.cfg.AccountID)
		}
		if td, _ := a.reg.TagDigest(rec.Name, tag); td == d {
			return nil, awserr.Client("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", d, tag, rec.Name, a.cfg.AccountID)
		}
	}
	// The registry accepts sparse manifests, as the OCI API must; ECR does
	// not, so PutImage checks the references itself.
	if err := a.checkReferences(rec.Name, body); err != nil {
		return nil, err
	}
	want := ""
	if in.ImageDigest != nil {
		want = d
	}
	m, err := a.reg.PutManifest(ctx, rec.Name, tag, want, deref(in.ImageManifestMediaType), body)
	if err != nil {
		return nil, a.putImageErr(rec.Name, tag, body, err)
	}
	id := imageIdentifier{ImageDigest: ptr(m.Digest)}
	if tag != "" {
		id.ImageTag = ptr(tag)
	}
	return &putImageOutput{Image: imageOut{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, ImageID: id,
		ImageManifest: *in.ImageManifest, ImageManifestMediaType: m.MediaType}}, nil
}

// manifestDigest returns the digest of body, in the algorithm of want if
// given, and checks that it is want.
func manifestDigest(body []byte, want *string) (string, error) {
	alg := "sha256"
	if want != nil {
		if !digestRE.MatchString(*want) {
			return "", invalidParam("imageDigest", "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
		}
		alg, _, _ = strings.Cut(*want, ":")
	}
	var h hash.Hash
	switch alg {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return "", awserr.InvalidParameter("Invalid parameter at 'imageDigest' failed to satisfy constraint: 'unsupported digest algorithm %s'", alg)
	}
	h.Write(body)
	d := alg + ":" + hex.EncodeToString(h.Sum(nil))
	if want != nil && !strings.EqualFold(*want, d) {
		return "", awserr.Client("ImageDigestDoesNotMatchException", "Provided digest '%s' does not match the digest '%s' of the image manifest", *want, d)
	}
	return d, nil
}

// putImageErr translates the registry's refusal of a manifest.
func (a *API) putImageErr(repo, tag string, body []byte, err error) error {
	var me *registry.ManifestError
	switch {
	case errors.Is(err, registry.ErrTagImmutable):
		return awserr.Client("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, repo)
	case errors.As(err, &me) && me.Code == "MANIFEST_BLOB_UNKNOWN":
		if err := a.checkReferences(repo, body); err != nil {
			return err
		}
		return awserr.InvalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: '%s'", me.Message)
	case errors.As(err, &me):
		return awserr.InvalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: '%s'", me.Message)
	}
	return a.translate(err, repo)
}

// checkReferences refuses a manifest whose child images
// (ReferencedImagesNotFoundException) or layers and config
// (LayersNotFoundException) repo lacks. Non-distributable layers need not
// be there. A body that is no manifest passes, for the registry to refuse.
func (a *API) checkReferences(repo string, body []byte) error {
	layers, images := a.missingReferences(repo, body)
	if len(images) > 0 {
		return awserr.Client("ReferencedImagesNotFoundException", "Images with digests '[%s]' required for pushing image into repository with name '%s' in registry with id '%s' do not exist", strings.Join(images, ", "), repo, a.cfg.AccountID)
	}
	if len(layers) > 0 {
		return awserr.Client("LayersNotFoundException", "Layers with digests '[%s]' required for pushing image into repository with name '%s' in registry with id '%s' do not exist", strings.Join(layers, ", "), repo, a.cfg.AccountID)
	}
	return nil
}

// missingReferences lists the blobs and child manifests that manifest body
// references and repo lacks.
func (a *API) missingReferences(repo string, body []byte) (layers, images []string) {
	var w struct {
		Config *registry.Descriptor  `json:"config"`
		Layers []registry.Descriptor `json:"layers"`
		Index  []registry.Descriptor `json:"manifests"`
	}
	if json.Unmarshal(body, &w) != nil {
		return nil, nil
	}
	blobs := w.Layers
	if w.Config != nil {
		blobs = append([]registry.Descriptor{*w.Config}, blobs...)
	}
	for _, l := range blobs {
		if !digestRE.MatchString(l.Digest) {
			continue // the registry refuses it
		}
		if _, ok := a.reg.BlobSize(repo, l.Digest); !ok && !strings.Contains(l.MediaType, "nondistributable") && !strings.Contains(l.MediaType, "foreign") {
			layers = append(layers, l.Digest)
		}
	}
	for _, c := range w.Index {
		if !digestRE.MatchString(c.Digest) {
			continue
		}
		if _, ok := a.reg.ManifestByDigest(repo, c.Digest); !ok {
			images = append(images, c.Digest)
		}
	}
	return layers, images
}
