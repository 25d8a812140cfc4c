package ecr

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/registry"
)

// PartSize is the part size InitiateLayerUpload asks for. A part travels
// base64-encoded in a JSON body, which the edge bounds to
// edge.MaxBodyBytes, so a part may be at most about three quarters of that.
const PartSize = 5 << 20

// maxPartBytes is the model's bound on layerPartBlob.
const maxPartBytes = 20 << 20

var uploadIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

type layer struct {
	LayerDigest       string `json:"layerDigest"`
	LayerAvailability string `json:"layerAvailability"`
	LayerSize         *int64 `json:"layerSize,omitempty"`
}

type layerFailure struct {
	LayerDigest   string `json:"layerDigest"`
	FailureCode   string `json:"failureCode"`
	FailureReason string `json:"failureReason"`
}

type batchCheckLayerAvailabilityInput struct {
	RegistryID     *string  `json:"registryId"`
	RepositoryName *string  `json:"repositoryName"`
	LayerDigests   []string `json:"layerDigests"`
}

type batchCheckLayerAvailabilityOutput struct {
	Layers   []layer        `json:"layers"`
	Failures []layerFailure `json:"failures"`
}

// BatchCheckLayerAvailability tells which blobs the repository has.
func (a *API) BatchCheckLayerAvailability(ctx context.Context, in *batchCheckLayerAvailabilityInput) (*batchCheckLayerAvailabilityOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if in.LayerDigests == nil {
		return nil, invalidParam("layerDigests", "must not be null")
	}
	if len(in.LayerDigests) < 1 || len(in.LayerDigests) > 100 {
		return nil, invalidParam("layerDigests", "must have length between 1 and 100")
	}
	out := &batchCheckLayerAvailabilityOutput{Layers: []layer{}, Failures: []layerFailure{}}
	for _, d := range in.LayerDigests {
		switch {
		case d == "":
			out.Failures = append(out.Failures, layerFailure{LayerDigest: d, FailureCode: "MissingLayerDigest", FailureReason: "The layer digest is missing"})
		case len(d) > 1000 || !digestRE.MatchString(d):
			out.Failures = append(out.Failures, layerFailure{LayerDigest: d, FailureCode: "InvalidLayerDigest", FailureReason: "Invalid layer digest"})
		default:
			if size, ok := a.reg.BlobSize(rec.Name, d); ok {
				out.Layers = append(out.Layers, layer{LayerDigest: d, LayerAvailability: "AVAILABLE", LayerSize: ptr(size)})
			} else {
				out.Layers = append(out.Layers, layer{LayerDigest: d, LayerAvailability: "UNAVAILABLE"})
			}
		}
	}
	return out, nil
}

type initiateLayerUploadInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
}

type initiateLayerUploadOutput struct {
	UploadID string `json:"uploadId"`
	PartSize int64  `json:"partSize"`
}

// InitiateLayerUpload starts a blob upload, the same kind of upload as an
// OCI POST /v2/<name>/blobs/uploads/.
func (a *API) InitiateLayerUpload(ctx context.Context, in *initiateLayerUploadInput) (*initiateLayerUploadOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	id, err := a.reg.StartUpload(rec.Name)
	if err != nil {
		return nil, a.translate(err, rec.Name)
	}
	return &initiateLayerUploadOutput{UploadID: id, PartSize: PartSize}, nil
}

type uploadLayerPartInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
	UploadID       *string `json:"uploadId"`
	PartFirstByte  *int64  `json:"partFirstByte"`
	PartLastByte   *int64  `json:"partLastByte"`
	LayerPartBlob  []byte  `json:"layerPartBlob"`
}

type uploadOutput struct {
	RegistryID       string `json:"registryId"`
	RepositoryName   string `json:"repositoryName"`
	UploadID         string `json:"uploadId"`
	LastByteReceived *int64 `json:"lastByteReceived,omitempty"`
	LayerDigest      string `json:"layerDigest,omitempty"`
}

func (a *API) uploadNotFound(repo, id string) error {
	return awserr.Client("UploadNotFoundException", "The upload with id '%s' does not exist in the repository with name '%s' in the registry with id '%s'", id, repo, a.cfg.AccountID)
}

// checkUploadID validates an uploadId; registry upload IDs are lower case.
func checkUploadID(id *string) (string, error) {
	if id == nil {
		return "", invalidParam("uploadId", "must not be null")
	}
	if !uploadIDRE.MatchString(*id) {
		return "", invalidParam("uploadId", "must satisfy regular expression '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'")
	}
	return strings.ToLower(*id), nil
}

// UploadLayerPart appends a part to an upload. Parts come in order: a part
// must start right after the last byte received (InvalidLayerPartException
// names it otherwise) and its last byte must match its length.
func (a *API) UploadLayerPart(ctx context.Context, in *uploadLayerPartInput) (*uploadOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	id, err := checkUploadID(in.UploadID)
	if err != nil {
		return nil, err
	}
	switch {
	case in.PartFirstByte == nil:
		return nil, invalidParam("partFirstByte", "must not be null")
	case in.PartLastByte == nil:
		return nil, invalidParam("partLastByte", "must not be null")
	case *in.PartFirstByte < 0:
		return nil, invalidParam("partFirstByte", "must be greater than or equal to 0")
	case *in.PartLastByte < 0:
		return nil, invalidParam("partLastByte", "must be greater than or equal to 0")
	case in.LayerPartBlob == nil:
		return nil, invalidParam("layerPartBlob", "must not be null")
	case len(in.LayerPartBlob) > maxPartBytes:
		return nil, invalidParam("layerPartBlob", "must have length less than or equal to 20971520")
	}
	offset, err := a.reg.UploadOffset(rec.Name, id)
	if err != nil {
		return nil, a.uploadErr(rec.Name, id, err)
	}
	first, last, n := *in.PartFirstByte, *in.PartLastByte, int64(len(in.LayerPartBlob))
	if n == 0 || first != offset || last != first+n-1 {
		return nil, a.invalidPart(rec.Name, id, first, last, offset)
	}
	size, err := a.reg.AppendUpload(rec.Name, id, first, bytes.NewReader(in.LayerPartBlob))
	if errors.Is(err, registry.ErrUploadRange) {
		return nil, a.invalidPart(rec.Name, id, first, last, size)
	}
	if err != nil {
		return nil, a.uploadErr(rec.Name, id, err)
	}
	return &uploadOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, UploadID: id, LastByteReceived: ptr(size - 1)}, nil
}

// invalidPart is InvalidLayerPartException. AWS also returns the last valid
// byte received as a member of the error, which the edge's error shape does
// not carry: Tide says it in the message.
func (a *API) invalidPart(repo, id string, first, last, offset int64) error {
	return awserr.Client("InvalidLayerPartException", "The layer part with first byte %d and last byte %d is not valid for upload '%s' in the repository with name '%s' in registry with id '%s': the last valid byte received is %d", first, last, id, repo, a.cfg.AccountID, offset-1)
}

func (a *API) uploadErr(repo, id string, err error) error {
	if errors.Is(err, registry.ErrUploadUnknown) {
		return a.uploadNotFound(repo, id)
	}
	return a.translate(err, repo)
}

type completeLayerUploadInput struct {
	RegistryID     *string  `json:"registryId"`
	RepositoryName *string  `json:"repositoryName"`
	UploadID       *string  `json:"uploadId"`
	LayerDigests   []string `json:"layerDigests"`
}

// CompleteLayerUpload verifies an upload against its digest and makes it a
// blob of the repository. Of layerDigests, Tide uses the first: an upload
// is one blob.
func (a *API) CompleteLayerUpload(ctx context.Context, in *completeLayerUploadInput) (*uploadOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	id, err := checkUploadID(in.UploadID)
	if err != nil {
		return nil, err
	}
	if in.LayerDigests == nil {
		return nil, invalidParam("layerDigests", "must not be null")
	}
	if len(in.LayerDigests) < 1 || len(in.LayerDigests) > 100 {
		return nil, invalidParam("layerDigests", "must have length between 1 and 100")
	}
	for _, d := range in.LayerDigests {
		if !digestRE.MatchString(d) {
			return nil, invalidParam("layerDigests", "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
		}
	}
	d := in.LayerDigests[0]
	offset, err := a.reg.UploadOffset(rec.Name, id)
	if err != nil {
		return nil, a.uploadErr(rec.Name, id, err)
	}
	if offset == 0 {
		return nil, awserr.Client("EmptyUploadException", "The upload with id '%s' in the repository with name '%s' does not contain any layer parts", id, rec.Name)
	}
	if _, ok := a.reg.BlobSize(rec.Name, d); ok {
		a.reg.CancelUpload(rec.Name, id)
		return nil, awserr.Client("LayerAlreadyExistsException", "The layer with digest '%s' already exists in the repository with name '%s' in registry with id '%s'", d, rec.Name, a.cfg.AccountID)
	}
	if _, err := a.reg.CompleteUpload(ctx, rec.Name, id, d); err != nil {
		if errors.Is(err, registry.ErrDigestInvalid) {
			return nil, awserr.Client("InvalidLayerException", "The layer digest calculation performed upon receipt of the image layer does not match the digest '%s' specified", d)
		}
		return nil, a.uploadErr(rec.Name, id, err)
	}
	return &uploadOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, UploadID: id, LayerDigest: d}, nil
}

type getDownloadURLForLayerInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
	LayerDigest    *string `json:"layerDigest"`
}

type getDownloadURLForLayerOutput struct {
	DownloadURL string `json:"downloadUrl"`
	LayerDigest string `json:"layerDigest"`
}

// GetDownloadUrlForLayer returns a URL of a layer that an image of the
// repository uses; like ECR's presigned S3 URLs it needs no other
// credentials, opens that layer only, and expires after an hour.
func (a *API) GetDownloadUrlForLayer(ctx context.Context, in *getDownloadURLForLayerInput) (*getDownloadURLForLayerOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if in.LayerDigest == nil {
		return nil, invalidParam("layerDigest", "must not be null")
	}
	d := *in.LayerDigest
	if !digestRE.MatchString(d) {
		return nil, invalidParam("layerDigest", "must satisfy regular expression '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
	}
	if _, ok := a.reg.BlobSize(rec.Name, d); !ok {
		return nil, awserr.Client("LayersNotFoundException", "The layer with digest '%s' does not exist in the repository with name '%s' in registry with id '%s'", d, rec.Name, a.cfg.AccountID)
	}
	if !a.layerInUse(rec.Name, d) {
		return nil, awserr.Client("LayerInaccessibleException", "The layer with digest '%s' is not associated with an image in the repository with name '%s'", d, rec.Name)
	}
	caller, _ := edge.Caller(ctx)
	path, err := a.reg.PresignBlob(caller.AccessKeyID, rec.Name, d, a.now().Add(time.Hour))
	if err != nil {
		return nil, err
	}
	return &getDownloadURLForLayerOutput{DownloadURL: "http://" + edge.Host(ctx) + path, LayerDigest: d}, nil
}

// layerInUse reports whether a manifest of repo references blob d.
func (a *API) layerInUse(repo, d string) bool {
	for _, im := range a.images(repo) {
		m := im.m
		if m.Config != nil && m.Config.Digest == d {
			return true
		}
		for _, l := range m.Layers {
			if l.Digest == d {
				return true
			}
		}
	}
	return false
}
