// Package ecr is Amazon ECR's API (AmazonEC2ContainerRegistry_V20150921, AWS
// JSON 1.1) over Tide's registry: repositories, images, layer uploads,
// lifecycle policies, tags and authorization tokens. Images pushed with docker
// or crane through the OCI API and with this API are the same images.
//
// It depends on the registry's exported methods and on the lifecycle
// package's pure evaluation, never on the registry's storage. Every ECR-only
// repository setting (scanning, encryption, tags, policies, lifecycle state)
// lives as JSON in registry.Repository.ECR, which only this package reads.
package ecr

import (
	"errors"
	"log/slog"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/registry"
)

// TargetPrefix is the X-Amz-Target prefix of ECR operations.
const TargetPrefix = "AmazonEC2ContainerRegistry_V20150921"

// Config configures the API.
type Config struct {
	Region, AccountID string
	// Now is the clock of lifecycle evaluation and token expiry; time.Now
	// when nil.
	Now func() time.Time
}

// API serves ECR operations.
type API struct {
	reg *registry.Registry
	log *slog.Logger
	cfg Config
	now func() time.Time
}

// New returns the ECR API over reg.
func New(reg *registry.Registry, log *slog.Logger, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{reg: reg, log: log, cfg: cfg, now: cfg.Now}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.Service {
	return &edge.Service{TargetPrefix: TargetPrefix, JSONVersion: "1.1", Ops: map[string]edge.Handler{
		"GetAuthorizationToken": edge.Op(a.GetAuthorizationToken),

		"CreateRepository":              edge.Op(a.CreateRepository),
		"DescribeRepositories":          edge.Op(a.DescribeRepositories),
		"DeleteRepository":              edge.Op(a.DeleteRepository),
		"PutImageTagMutability":         edge.Op(a.PutImageTagMutability),
		"PutImageScanningConfiguration": edge.Op(a.PutImageScanningConfiguration),
		"SetRepositoryPolicy":           edge.Op(a.SetRepositoryPolicy),
		"GetRepositoryPolicy":           edge.Op(a.GetRepositoryPolicy),
		"DeleteRepositoryPolicy":        edge.Op(a.DeleteRepositoryPolicy),
		"TagResource":                   edge.Op(a.TagResource),
		"UntagResource":                 edge.Op(a.UntagResource),
		"ListTagsForResource":           edge.Op(a.ListTagsForResource),
		"ListImages":                    edge.Op(a.ListImages),
		"DescribeImages":                edge.Op(a.DescribeImages),
		"BatchGetImage":                 edge.Op(a.BatchGetImage),
		"BatchDeleteImage":              edge.Op(a.BatchDeleteImage),
		"PutImage":                      edge.Op(a.PutImage),
		"BatchCheckLayerAvailability":   edge.Op(a.BatchCheckLayerAvailability),
		"InitiateLayerUpload":           edge.Op(a.InitiateLayerUpload),
		"UploadLayerPart":               edge.Op(a.UploadLayerPart),
		"CompleteLayerUpload":           edge.Op(a.CompleteLayerUpload),
		"GetDownloadUrlForLayer":        edge.Op(a.GetDownloadUrlForLayer),
		"PutLifecyclePolicy":            edge.Op(a.PutLifecyclePolicy),
		"GetLifecyclePolicy":            edge.Op(a.GetLifecyclePolicy),
		"DeleteLifecyclePolicy":         edge.Op(a.DeleteLifecyclePolicy),
		"StartLifecyclePolicyPreview":   edge.Op(a.StartLifecyclePolicyPreview),
		"GetLifecyclePolicyPreview":     edge.Op(a.GetLifecyclePolicyPreview),
	}}
}

// ---------------------------------------------------------------- errors

// The errors below carry ECR's codes and messages. Every ECR error is a 400
// except ServerException.

func invalidParam(field, constraint string) error {
	return awserr.InvalidParameter("Invalid parameter at '%s' failed to satisfy constraint: '%s'", field, constraint)
}

func (a *API) repoNotFound(name, registryID string) error {
	if registryID == "" {
		registryID = a.cfg.AccountID
	}
	return awserr.Client("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, registryID)
}

// translate maps a registry error that names the repository onto ECR's;
// any other error stays as is (a 500 at the edge).
func (a *API) translate(err error, repo string) error {
	if errors.Is(err, registry.ErrRepoUnknown) {
		return a.repoNotFound(repo, "")
	}
	return err
}

// repo checks an operation's registryId and repositoryName and returns the
// repository they name.
func (a *API) repo(registryID *string, name *string) (*registry.Repository, error) {
	if err := a.checkRegistryID(registryID); err != nil {
		return nil, err
	}
	if err := checkRepoName("repositoryName", name); err != nil {
		return nil, err
	}
	rec, ok := a.reg.Repo(*name)
	if !ok || (registryID != nil && *registryID != a.cfg.AccountID) {
		return nil, a.repoNotFound(*name, deref(registryID))
	}
	return rec, nil
}

func (a *API) checkRegistryID(id *string) error {
	if id == nil {
		return nil
	}
	if !registryIDRE.MatchString(*id) {
		return invalidParam("registryId", "must satisfy regular expression '[0-9]{12}'")
	}
	return nil
}

func checkRepoName(field string, name *string) error {
	switch {
	case name == nil:
		return invalidParam(field, "must not be null")
	case len(*name) < 2:
		return invalidParam(field, "must have length greater than or equal to 2")
	case len(*name) > 256:
		return invalidParam(field, "must have length less than or equal to 256")
	case !registry.ValidName(*name):
		return invalidParam(field, "must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*'")
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
