package ecr

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"tide/internal/awserr"
	"tide/internal/registry"
)

type createRepositoryInput struct {
	RegistryID                         *string                     `json:"registryId"`
	RepositoryName                     *string                     `json:"repositoryName"`
	Tags                               []Tag                       `json:"tags"`
	ImageTagMutability                 *string                     `json:"imageTagMutability"`
	ImageTagMutabilityExclusionFilters []json.RawMessage           `json:"imageTagMutabilityExclusionFilters"`
	ImageScanningConfiguration         *imageScanningConfiguration `json:"imageScanningConfiguration"`
	EncryptionConfiguration            *encryptionConfiguration    `json:"encryptionConfiguration"`
}

type repositoryOutput struct {
	Repository repository `json:"repository"`
}

// CreateRepository creates a repository with its tag mutability, scanning
// and encryption settings and tags.
func (a *API) CreateRepository(ctx context.Context, in *createRepositoryInput) (*repositoryOutput, error) {
	if err := a.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	if err := checkRepoName("repositoryName", in.RepositoryName); err != nil {
		return nil, err
	}
	if in.RegistryID != nil && *in.RegistryID != a.cfg.AccountID {
		return nil, invalidParam("registryId", "must be the caller's registry id '"+a.cfg.AccountID+"'")
	}
	mut, err := checkMutability(in.ImageTagMutability, in.ImageTagMutabilityExclusionFilters)
	if err != nil {
		return nil, err
	}
	s := settings{Encryption: encryptionConfiguration{EncryptionType: "AES256"}}
	if in.ImageScanningConfiguration != nil {
		s.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
	}
	if e := in.EncryptionConfiguration; e != nil {
		if err := checkEncryption(e); err != nil {
			return nil, err
		}
		s.Encryption = *e
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	s.Tags = mergeTags(nil, in.Tags)
	rec := &registry.Repository{Name: *in.RepositoryName, CreatedAt: a.now(), TagMutability: mut, ECR: s.encode()}
	if err := a.reg.CreateRepo(ctx, rec); err != nil {
		if errors.Is(err, registry.ErrRepoExists) {
			return nil, awserr.Client("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", rec.Name, a.cfg.AccountID)
		}
		return nil, err
	}
	return &repositoryOutput{Repository: a.describe(ctx, rec)}, nil
}

// checkMutability accepts MUTABLE and IMMUTABLE (the default is MUTABLE).
// Tide does not implement exclusion filters, so the *_WITH_EXCLUSION
// settings and the filters are refused rather than ignored.
func checkMutability(v *string, filters []json.RawMessage) (string, error) {
	if filters != nil {
		return "", awserr.InvalidParameter("Tide does not support imageTagMutabilityExclusionFilters")
	}
	if v == nil {
		return registry.Mutable, nil
	}
	switch *v {
	case registry.Mutable, registry.Immutable:
		return *v, nil
	case "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION":
		return "", awserr.InvalidParameter("Tide does not support imageTagMutability %s: use MUTABLE or IMMUTABLE", *v)
	}
	return "", invalidParam("imageTagMutability", "must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]")
}

func checkEncryption(e *encryptionConfiguration) error {
	switch e.EncryptionType {
	case "":
		return invalidParam("encryptionConfiguration.encryptionType", "must not be null")
	case "AES256":
		if e.KmsKey != nil {
			return awserr.InvalidParameter("Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE'")
		}
	case "KMS", "KMS_DSSE":
		if e.KmsKey != nil && (len(*e.KmsKey) < 1 || len(*e.KmsKey) > 2048) {
			return invalidParam("encryptionConfiguration.kmsKey", "must have length between 1 and 2048")
		}
	default:
		return invalidParam("encryptionConfiguration.encryptionType", "must satisfy enum value set: [AES256, KMS, KMS_DSSE]")
	}
	return nil
}

type describeRepositoriesInput struct {
	RegistryID      *string  `json:"registryId"`
	RepositoryNames []string `json:"repositoryNames"`
	NextToken       *string  `json:"nextToken"`
	MaxResults      *int32   `json:"maxResults"`
}

type describeRepositoriesOutput struct {
	Repositories []repository `json:"repositories"`
	NextToken    *string      `json:"nextToken,omitempty"`
}

// DescribeRepositories describes the named repositories (every one must
// exist), or pages through all of them in name order.
func (a *API) DescribeRepositories(ctx context.Context, in *describeRepositoriesInput) (*describeRepositoriesOutput, error) {
	if err := a.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	foreign := in.RegistryID != nil && *in.RegistryID != a.cfg.AccountID
	out := &describeRepositoriesOutput{Repositories: []repository{}}
	if in.RepositoryNames != nil {
		if len(in.RepositoryNames) < 1 || len(in.RepositoryNames) > 100 {
			return nil, invalidParam("repositoryNames", "must have length between 1 and 100")
		}
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, awserr.InvalidParameter("Invalid parameter: maxResults and nextToken cannot be used with repositoryNames")
		}
		var seen []string
		for _, name := range in.RepositoryNames {
			if err := checkRepoName("repositoryNames", &name); err != nil {
				return nil, err
			}
			if slices.Contains(seen, name) {
				continue
			}
			seen = append(seen, name)
			rec, ok := a.reg.Repo(name)
			if !ok || foreign {
				return nil, a.repoNotFound(name, deref(in.RegistryID))
			}
			out.Repositories = append(out.Repositories, a.describe(ctx, rec))
		}
		return out, nil
	}
	limit, after, err := parsePage(pageRepos, "", in.NextToken, in.MaxResults, 1000)
	if err != nil {
		return nil, err
	}
	if foreign {
		return out, nil
	}
	for _, rec := range a.reg.Repos() {
		if rec.Name <= after && after != "" {
			continue
		}
		if len(out.Repositories) == limit {
			out.NextToken = pageToken(pageRepos, "", out.Repositories[limit-1].RepositoryName)
			break
		}
		out.Repositories = append(out.Repositories, a.describe(ctx, rec))
	}
	return out, nil
}

type deleteRepositoryInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
	Force          bool    `json:"force"`
}

// DeleteRepository deletes a repository; one that holds images only with
// force, and then with them.
func (a *API) DeleteRepository(ctx context.Context, in *deleteRepositoryInput) (*repositoryOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	rec, err := a.reg.DeleteRepo(ctx, *in.RepositoryName, in.Force)
	switch {
	case errors.Is(err, registry.ErrRepoNotEmpty):
		return nil, awserr.Client("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", *in.RepositoryName, a.cfg.AccountID)
	case errors.Is(err, registry.ErrRepoUnknown):
		return nil, a.repoNotFound(*in.RepositoryName, "")
	case err != nil && rec == nil:
		return nil, err
	case err != nil: // deleted; only the cleanup of its records failed
		a.log.Warn("delete repository: leftover records", "repository", rec.Name, "err", err)
	}
	return &repositoryOutput{Repository: a.describe(ctx, rec)}, nil
}

type putImageTagMutabilityInput struct {
	RegistryID                         *string           `json:"registryId"`
	RepositoryName                     *string           `json:"repositoryName"`
	ImageTagMutability                 *string           `json:"imageTagMutability"`
	ImageTagMutabilityExclusionFilters []json.RawMessage `json:"imageTagMutabilityExclusionFilters"`
}

type putImageTagMutabilityOutput struct {
	RegistryID         string `json:"registryId"`
	RepositoryName     string `json:"repositoryName"`
	ImageTagMutability string `json:"imageTagMutability"`
}

// PutImageTagMutability sets a repository's tag mutability. Making a
// repository IMMUTABLE leaves its existing tags where they are.
func (a *API) PutImageTagMutability(ctx context.Context, in *putImageTagMutabilityInput) (*putImageTagMutabilityOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageTagMutability == nil {
		return nil, invalidParam("imageTagMutability", "must not be null")
	}
	mut, err := checkMutability(in.ImageTagMutability, in.ImageTagMutabilityExclusionFilters)
	if err != nil {
		return nil, err
	}
	rec, err := a.reg.UpdateRepo(ctx, *in.RepositoryName, func(r *registry.Repository) error {
		r.TagMutability = mut
		return nil
	})
	if err != nil {
		return nil, a.translate(err, *in.RepositoryName)
	}
	return &putImageTagMutabilityOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, ImageTagMutability: rec.TagMutability}, nil
}

type putImageScanningConfigurationInput struct {
	RegistryID                 *string                     `json:"registryId"`
	RepositoryName             *string                     `json:"repositoryName"`
	ImageScanningConfiguration *imageScanningConfiguration `json:"imageScanningConfiguration"`
}

type putImageScanningConfigurationOutput struct {
	RegistryID                 string                     `json:"registryId"`
	RepositoryName             string                     `json:"repositoryName"`
	ImageScanningConfiguration imageScanningConfiguration `json:"imageScanningConfiguration"`
}

// PutImageScanningConfiguration stores scanOnPush. Tide scans nothing.
func (a *API) PutImageScanningConfiguration(ctx context.Context, in *putImageScanningConfigurationInput) (*putImageScanningConfigurationOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageScanningConfiguration == nil {
		return nil, invalidParam("imageScanningConfiguration", "must not be null")
	}
	rec, err := a.updateSettings(ctx, *in.RepositoryName, func(_ *registry.Repository, s *settings) error {
		s.ScanOnPush = in.ImageScanningConfiguration.ScanOnPush
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &putImageScanningConfigurationOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name,
		ImageScanningConfiguration: imageScanningConfiguration{ScanOnPush: settingsOf(rec).ScanOnPush}}, nil
}

// ---------------------------------------------------------------- repository policy

type setRepositoryPolicyInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
	PolicyText     *string `json:"policyText"`
	Force          bool    `json:"force"`
}

type repositoryPolicyInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
}

type repositoryPolicyOutput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
	PolicyText     string `json:"policyText"`
}

// SetRepositoryPolicy stores a repository policy. Tide checks that it is a
// JSON object but does not enforce it: every holder of the server's
// credentials may do everything.
func (a *API) SetRepositoryPolicy(ctx context.Context, in *setRepositoryPolicyInput) (*repositoryPolicyOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if in.PolicyText == nil {
		return nil, invalidParam("policyText", "must not be null")
	}
	if len(*in.PolicyText) > 10240 {
		return nil, invalidParam("policyText", "must have length less than or equal to 10240")
	}
	var doc map[string]any
	if json.Unmarshal([]byte(*in.PolicyText), &doc) != nil || doc["Statement"] == nil {
		return nil, invalidParam("PolicyText", "Invalid repository policy provided")
	}
	rec, err := a.updateSettings(ctx, *in.RepositoryName, func(_ *registry.Repository, s *settings) error {
		s.RepositoryPolicy = *in.PolicyText
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &repositoryPolicyOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, PolicyText: *in.PolicyText}, nil
}

func (a *API) policyNotFound(name string) error {
	return awserr.Client("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", name, a.cfg.AccountID)
}

// GetRepositoryPolicy returns the stored repository policy.
func (a *API) GetRepositoryPolicy(ctx context.Context, in *repositoryPolicyInput) (*repositoryPolicyOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	s := settingsOf(rec)
	if s.RepositoryPolicy == "" {
		return nil, a.policyNotFound(rec.Name)
	}
	return &repositoryPolicyOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, PolicyText: s.RepositoryPolicy}, nil
}

// DeleteRepositoryPolicy removes the repository policy and returns it.
func (a *API) DeleteRepositoryPolicy(ctx context.Context, in *repositoryPolicyInput) (*repositoryPolicyOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	var old string
	rec, err := a.updateSettings(ctx, *in.RepositoryName, func(r *registry.Repository, s *settings) error {
		if s.RepositoryPolicy == "" {
			return a.policyNotFound(r.Name)
		}
		old, s.RepositoryPolicy = s.RepositoryPolicy, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &repositoryPolicyOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, PolicyText: old}, nil
}
