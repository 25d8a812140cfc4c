package ecr

import (
	"context"
	"encoding/json"
	"regexp"
	"time"

	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/registry"
)

var registryIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// settings are a repository's ECR-only settings, kept as JSON in
// registry.Repository.ECR. Tide stores them and returns them; it scans
// nothing and encrypts with nothing but the disk's own means.
type settings struct {
	ScanOnPush       bool                    `json:"scanOnPush,omitempty"`
	Encryption       encryptionConfiguration `json:"encryption"`
	Tags             []Tag                   `json:"tags,omitempty"`
	RepositoryPolicy string                  `json:"repositoryPolicy,omitempty"`
	// LifecyclePolicy is the policy text as the client sent it.
	LifecyclePolicy string `json:"lifecyclePolicy,omitempty"`
	// LifecycleEvaluatedAt is when ApplyLifecycle last evaluated the policy.
	LifecycleEvaluatedAt time.Time `json:"lifecycleEvaluatedAt,omitzero"`
	// Preview is the result of the last StartLifecyclePolicyPreview.
	Preview *preview `json:"preview,omitempty"`
}

// settingsOf decodes rec's ECR settings; a repository created through the
// OCI API, or with none stored, has the defaults.
func settingsOf(rec *registry.Repository) settings {
	s := settings{Encryption: encryptionConfiguration{EncryptionType: "AES256"}}
	if len(rec.ECR) > 0 {
		json.Unmarshal(rec.ECR, &s)
	}
	if s.Encryption.EncryptionType == "" {
		s.Encryption.EncryptionType = "AES256"
	}
	return s
}

func (s *settings) encode() json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // our own type
	}
	return b
}

// updateSettings applies fn to repository name's settings and stores them.
func (a *API) updateSettings(ctx context.Context, name string, fn func(*registry.Repository, *settings) error) (*registry.Repository, error) {
	rec, err := a.reg.UpdateRepo(ctx, name, func(r *registry.Repository) error {
		s := settingsOf(r)
		if err := fn(r, &s); err != nil {
			return err
		}
		r.ECR = s.encode()
		return nil
	})
	if err != nil {
		return nil, a.translate(err, name)
	}
	return rec, nil
}

// ---------------------------------------------------------------- wire shapes

// Tag is an ECR resource tag. ECR, unlike ECS, spells its members Key and Value.
type Tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type imageScanningConfiguration struct {
	ScanOnPush bool `json:"scanOnPush"`
}

type encryptionConfiguration struct {
	EncryptionType string  `json:"encryptionType"`
	KmsKey         *string `json:"kmsKey,omitempty"`
}

type repository struct {
	RepositoryArn              string                      `json:"repositoryArn"`
	RegistryID                 string                      `json:"registryId"`
	RepositoryName             string                      `json:"repositoryName"`
	RepositoryURI              string                      `json:"repositoryUri"`
	CreatedAt                  *awsjson.Time               `json:"createdAt"`
	ImageTagMutability         string                      `json:"imageTagMutability"`
	ImageScanningConfiguration *imageScanningConfiguration `json:"imageScanningConfiguration"`
	EncryptionConfiguration    *encryptionConfiguration    `json:"encryptionConfiguration"`
}

func (a *API) repoARN(name string) string {
	return "arn:aws:ecr:" + a.cfg.Region + ":" + a.cfg.AccountID + ":repository/" + name
}

func (a *API) describe(ctx context.Context, rec *registry.Repository) repository {
	s := settingsOf(rec)
	mut := rec.TagMutability
	if mut == "" {
		mut = registry.Mutable
	}
	return repository{
		RepositoryArn:              a.repoARN(rec.Name),
		RegistryID:                 a.cfg.AccountID,
		RepositoryName:             rec.Name,
		RepositoryURI:              edge.Host(ctx) + "/" + rec.Name,
		CreatedAt:                  awsjson.At(rec.CreatedAt),
		ImageTagMutability:         mut,
		ImageScanningConfiguration: &imageScanningConfiguration{ScanOnPush: s.ScanOnPush},
		EncryptionConfiguration:    &s.Encryption,
	}
}
