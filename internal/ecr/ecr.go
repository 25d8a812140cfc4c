// Package ecr is Amazon ECR's API (AmazonEC2ContainerRegistry_V20150921, AWS
// JSON 1.1) over Tide's registry: repositories, images, layer uploads,
// lifecycle policies and authorization tokens. Images pushed with docker or
// crane through the OCI API and with this API are the same images.
//
// It depends on the registry's exported methods, never on its storage.
package ecr

import (
	"context"
	"encoding/base64"
	"log/slog"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/registry"
)

// TargetPrefix is the X-Amz-Target prefix of ECR operations.
const TargetPrefix = "AmazonEC2ContainerRegistry_V20150921"

// Config configures the API.
type Config struct {
	Region, AccountID string
	Now               func() time.Time
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
	return &API{reg: reg, log: log, cfg: cfg, now: cfg.Now}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.Service {
	return &edge.Service{TargetPrefix: TargetPrefix, JSONVersion: "1.1", Ops: map[string]edge.Handler{
		"GetAuthorizationToken": edge.Op(a.GetAuthorizationToken),
		"CreateRepository":      edge.Op(a.CreateRepository),
	}}
}

type getAuthorizationTokenInput struct {
	RegistryIds []string `json:"registryIds"`
}

type authorizationData struct {
	AuthorizationToken string        `json:"authorizationToken"`
	ExpiresAt          *awsjson.Time `json:"expiresAt"`
	ProxyEndpoint      string        `json:"proxyEndpoint"`
}

type getAuthorizationTokenOutput struct {
	AuthorizationData []authorizationData `json:"authorizationData"`
}

// GetAuthorizationToken returns base64("AWS:<password>") for docker login,
// valid for 12 hours, and the registry's address.
func (a *API) GetAuthorizationToken(ctx context.Context, in *getAuthorizationTokenInput) (*getAuthorizationTokenOutput, error) {
	caller, ok := edge.Caller(ctx)
	if !ok {
		return nil, awserr.Client("AccessDeniedException", "no verified caller")
	}
	expires := a.now().Add(registry.TokenTTL)
	pw, err := a.reg.Token(caller.AccessKeyID, expires)
	if err != nil {
		return nil, err
	}
	tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + pw))
	return &getAuthorizationTokenOutput{AuthorizationData: []authorizationData{{
		AuthorizationToken: tok, ExpiresAt: awsjson.At(expires), ProxyEndpoint: "http://" + edge.Host(ctx),
	}}}, nil
}

type createRepositoryInput struct {
	RepositoryName     string `json:"repositoryName"`
	ImageTagMutability string `json:"imageTagMutability"`
}

type repository struct {
	RepositoryArn      string        `json:"repositoryArn"`
	RegistryID         string        `json:"registryId"`
	RepositoryName     string        `json:"repositoryName"`
	RepositoryURI      string        `json:"repositoryUri"`
	CreatedAt          *awsjson.Time `json:"createdAt"`
	ImageTagMutability string        `json:"imageTagMutability"`
}

type createRepositoryOutput struct {
	Repository repository `json:"repository"`
}

// CreateRepository creates a repository (a first cut: name and tag mutability).
func (a *API) CreateRepository(ctx context.Context, in *createRepositoryInput) (*createRepositoryOutput, error) {
	if !registry.ValidName(in.RepositoryName) {
		return nil, awserr.InvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	rec := &registry.Repository{Name: in.RepositoryName, CreatedAt: a.now(), TagMutability: in.ImageTagMutability}
	if err := a.reg.CreateRepo(ctx, rec); err != nil {
		if err == registry.ErrRepoExists {
			return nil, awserr.Client("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", in.RepositoryName, a.cfg.AccountID)
		}
		return nil, err
	}
	return &createRepositoryOutput{Repository: a.describe(ctx, rec)}, nil
}

func (a *API) describe(ctx context.Context, rec *registry.Repository) repository {
	return repository{
		RepositoryArn:      "arn:aws:ecr:" + a.cfg.Region + ":" + a.cfg.AccountID + ":repository/" + rec.Name,
		RegistryID:         a.cfg.AccountID,
		RepositoryName:     rec.Name,
		RepositoryURI:      edge.Host(ctx) + "/" + rec.Name,
		CreatedAt:          awsjson.At(rec.CreatedAt),
		ImageTagMutability: rec.TagMutability,
	}
}
