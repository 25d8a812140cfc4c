package ecr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/lifecycle"
	"tide/internal/registry"
)

// preview is a stored StartLifecyclePolicyPreview: the policy it evaluated
// and the images it would expire, as they were then. It lives in the
// repository's record, whose size the store bounds, so it keeps the first
// maxPreviewResults results and the count of all.
type preview struct {
	PolicyText string          `json:"policy"`
	At         time.Time       `json:"at"`
	Total      int             `json:"total"`
	Results    []previewResult `json:"results"`
}

// maxPreviewResults bounds a stored preview (about 160 KB).
const maxPreviewResults = 1000

type previewResult struct {
	Digest   string    `json:"d"`
	Tags     []string  `json:"t,omitempty"`
	PushedAt time.Time `json:"p"`
	Rule     int       `json:"r"`
}

// parsePolicy validates policy text as ECR does.
func parsePolicy(text *string) (*lifecycle.Policy, error) {
	if text == nil {
		return nil, invalidParam("lifecyclePolicyText", "must not be null")
	}
	p, err := lifecycle.Parse(*text)
	if err != nil {
		var ve *lifecycle.ValidationError
		if errors.As(err, &ve) {
			return nil, awserr.InvalidParameter("%s", ve.Message)
		}
		return nil, awserr.InvalidParameter("%s", err.Error())
	}
	return p, nil
}

func (a *API) lifecycleNotFound(repo string) error {
	return awserr.Client("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", repo, a.cfg.AccountID)
}

// lifecycleImages is repo's images as lifecycle rules see them. An image
// that an index in the repository references goes with its index, so it is
// left out; once the index is gone it counts as an image of its own.
func (a *API) lifecycleImages(repo string) []lifecycle.Image {
	imgs := a.images(repo)
	children := indexChildren(imgs)
	var out []lifecycle.Image
	for _, im := range imgs {
		if len(children[im.m.Digest]) > 0 {
			continue
		}
		out = append(out, lifecycle.Image{Digest: im.m.Digest, Tags: im.tags, PushedAt: im.m.PushedAt})
	}
	return out
}

type putLifecyclePolicyInput struct {
	RegistryID          *string `json:"registryId"`
	RepositoryName      *string `json:"repositoryName"`
	LifecyclePolicyText *string `json:"lifecyclePolicyText"`
}

type lifecyclePolicyOutput struct {
	RegistryID          string        `json:"registryId"`
	RepositoryName      string        `json:"repositoryName"`
	LifecyclePolicyText string        `json:"lifecyclePolicyText"`
	LastEvaluatedAt     *awsjson.Time `json:"lastEvaluatedAt,omitempty"`
}

// PutLifecyclePolicy validates and stores a repository's lifecycle policy;
// ApplyLifecycle enforces it.
func (a *API) PutLifecyclePolicy(ctx context.Context, in *putLifecyclePolicyInput) (*lifecyclePolicyOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	if _, err := parsePolicy(in.LifecyclePolicyText); err != nil {
		return nil, err
	}
	rec, err := a.updateSettings(ctx, *in.RepositoryName, func(_ *registry.Repository, s *settings) error {
		s.LifecyclePolicy = *in.LifecyclePolicyText
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &lifecyclePolicyOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, LifecyclePolicyText: *in.LifecyclePolicyText}, nil
}

type repoInput struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName *string `json:"repositoryName"`
}

// GetLifecyclePolicy returns the policy and when it was last evaluated
// (absent until the first evaluation).
func (a *API) GetLifecyclePolicy(ctx context.Context, in *repoInput) (*lifecyclePolicyOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	s := settingsOf(rec)
	if s.LifecyclePolicy == "" {
		return nil, a.lifecycleNotFound(rec.Name)
	}
	return &lifecyclePolicyOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name,
		LifecyclePolicyText: s.LifecyclePolicy, LastEvaluatedAt: awsjson.At(s.LifecycleEvaluatedAt)}, nil
}

// DeleteLifecyclePolicy removes the policy and returns it.
func (a *API) DeleteLifecyclePolicy(ctx context.Context, in *repoInput) (*lifecyclePolicyOutput, error) {
	if _, err := a.repo(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	var old settings
	rec, err := a.updateSettings(ctx, *in.RepositoryName, func(r *registry.Repository, s *settings) error {
		if s.LifecyclePolicy == "" {
			return a.lifecycleNotFound(r.Name)
		}
		old = *s
		s.LifecyclePolicy, s.LifecycleEvaluatedAt = "", time.Time{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &lifecyclePolicyOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name,
		LifecyclePolicyText: old.LifecyclePolicy, LastEvaluatedAt: awsjson.At(old.LifecycleEvaluatedAt)}, nil
}

type startLifecyclePolicyPreviewInput struct {
	RegistryID          *string `json:"registryId"`
	RepositoryName      *string `json:"repositoryName"`
	LifecyclePolicyText *string `json:"lifecyclePolicyText"`
}

type previewStatusOutput struct {
	RegistryID          string `json:"registryId"`
	RepositoryName      string `json:"repositoryName"`
	LifecyclePolicyText string `json:"lifecyclePolicyText"`
	Status              string `json:"status"`
}

// StartLifecyclePolicyPreview evaluates the given policy, or the stored one,
// against the repository's images now. The evaluation is done before the
// call returns, so its status is COMPLETE at once.
func (a *API) StartLifecyclePolicyPreview(ctx context.Context, in *startLifecyclePolicyPreviewInput) (*previewStatusOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	text := in.LifecyclePolicyText
	if text == nil {
		stored := settingsOf(rec).LifecyclePolicy
		if stored == "" {
			return nil, a.lifecycleNotFound(rec.Name)
		}
		text = &stored
	}
	p, err := parsePolicy(text)
	if err != nil {
		return nil, err
	}
	now := a.now()
	results := lifecycle.Evaluate(p, a.lifecycleImages(rec.Name), now)
	pv := &preview{PolicyText: *text, At: now, Total: len(results), Results: []previewResult{}}
	for _, r := range results[:min(len(results), maxPreviewResults)] {
		pv.Results = append(pv.Results, previewResult{Digest: r.Image.Digest, Tags: r.Image.Tags, PushedAt: r.Image.PushedAt, Rule: r.RulePriority})
	}
	if _, err := a.updateSettings(ctx, rec.Name, func(_ *registry.Repository, s *settings) error {
		s.Preview = pv
		return nil
	}); err != nil {
		return nil, err
	}
	return &previewStatusOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name, LifecyclePolicyText: *text, Status: "COMPLETE"}, nil
}

type getLifecyclePolicyPreviewInput struct {
	RegistryID     *string           `json:"registryId"`
	RepositoryName *string           `json:"repositoryName"`
	ImageIds       []imageIdentifier `json:"imageIds"`
	NextToken      *string           `json:"nextToken"`
	MaxResults     *int32            `json:"maxResults"`
	Filter         *struct {
		TagStatus *string `json:"tagStatus"`
	} `json:"filter"`
}

type previewResultOut struct {
	ImageTags           []string      `json:"imageTags,omitempty"`
	ImageDigest         string        `json:"imageDigest"`
	ImagePushedAt       *awsjson.Time `json:"imagePushedAt"`
	Action              previewAction `json:"action"`
	AppliedRulePriority int           `json:"appliedRulePriority"`
}

type previewAction struct {
	Type string `json:"type"`
}

type getLifecyclePolicyPreviewOutput struct {
	RegistryID          string             `json:"registryId"`
	RepositoryName      string             `json:"repositoryName"`
	LifecyclePolicyText string             `json:"lifecyclePolicyText"`
	Status              string             `json:"status"`
	NextToken           *string            `json:"nextToken,omitempty"`
	PreviewResults      []previewResultOut `json:"previewResults"`
	Summary             struct {
		ExpiringImageTotalCount int `json:"expiringImageTotalCount"`
	} `json:"summary"`
}

// GetLifecyclePolicyPreview returns the last preview's results: the images
// it would expire, in rule priority order and oldest first within a rule.
func (a *API) GetLifecyclePolicyPreview(ctx context.Context, in *getLifecyclePolicyPreviewInput) (*getLifecyclePolicyPreviewOutput, error) {
	rec, err := a.repo(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	var ts *string
	if in.Filter != nil {
		ts = in.Filter.TagStatus
	}
	keep, err := tagStatus(ts, nil)
	if err != nil {
		return nil, err
	}
	if in.ImageIds != nil {
		if len(in.ImageIds) < 1 || len(in.ImageIds) > 100 {
			return nil, invalidParam("imageIds", "must have length between 1 and 100")
		}
		if in.NextToken != nil || in.MaxResults != nil {
			return nil, awserr.InvalidParameter("Invalid parameter: maxResults and nextToken cannot be used with imageIds")
		}
	}
	limit, after, err := parsePage(pagePreview, rec.Name, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	pv := settingsOf(rec).Preview
	if pv == nil {
		return nil, awserr.Client("LifecyclePolicyPreviewNotFoundException", "There is no dry run for the repository with name '%s' in the registry with id '%s'", rec.Name, a.cfg.AccountID)
	}
	start := 0 // the token holds the index of the next result to look at
	if after != "" {
		if start, err = strconv.Atoi(after); err != nil || start < 0 {
			return nil, invalidParam("nextToken", "Invalid NextToken")
		}
	}
	out := &getLifecyclePolicyPreviewOutput{RegistryID: a.cfg.AccountID, RepositoryName: rec.Name,
		LifecyclePolicyText: pv.PolicyText, Status: "COMPLETE", PreviewResults: []previewResultOut{}}
	out.Summary.ExpiringImageTotalCount = pv.Total
	for i := start; i < len(pv.Results); i++ {
		r := pv.Results[i]
		if !keep(r.Tags) || (in.ImageIds != nil && !slices.ContainsFunc(in.ImageIds, func(id imageIdentifier) bool { return idMatches(id, r) })) {
			continue
		}
		if len(out.PreviewResults) == limit {
			out.NextToken = pageToken(pagePreview, rec.Name, strconv.Itoa(i))
			break
		}
		out.PreviewResults = append(out.PreviewResults, previewResultOut{
			ImageTags: r.Tags, ImageDigest: r.Digest, ImagePushedAt: awsjson.At(r.PushedAt),
			Action: previewAction{Type: "EXPIRE"}, AppliedRulePriority: r.Rule,
		})
	}
	return out, nil
}

func idMatches(id imageIdentifier, r previewResult) bool {
	if id.ImageDigest != nil && *id.ImageDigest != r.Digest {
		return false
	}
	if id.ImageTag != nil && !slices.Contains(r.Tags, *id.ImageTag) {
		return false
	}
	return id.ImageDigest != nil || id.ImageTag != nil
}

// ApplyLifecycle evaluates every repository's lifecycle policy now and
// deletes the images it expires, through the registry (their blobs go with
// the registry's garbage collection). An image whose tags changed since the
// evaluation is left for the next one. It returns how many images it
// deleted; a failure in one repository does not stop the others.
func (a *API) ApplyLifecycle(ctx context.Context) (expired int, err error) {
	var errs []error
	for _, rec := range a.reg.Repos() {
		if ctx.Err() != nil {
			return expired, ctx.Err()
		}
		text := settingsOf(rec).LifecyclePolicy
		if text == "" {
			continue
		}
		n, err := a.applyLifecycle(ctx, rec.Name, text)
		expired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("lifecycle of repository %s: %w", rec.Name, err))
		}
	}
	return expired, errors.Join(errs...)
}

func (a *API) applyLifecycle(ctx context.Context, repo, text string) (int, error) {
	p, err := lifecycle.Parse(text)
	if err != nil {
		return 0, err
	}
	now := a.now()
	n := 0
	for _, r := range lifecycle.Evaluate(p, a.lifecycleImages(repo), now) {
		if !slices.Equal(a.reg.Tags(repo)[r.Image.Digest], r.Image.Tags) {
			continue
		}
		_, _, err := a.reg.DeleteManifest(ctx, repo, r.Image.Digest)
		if errors.Is(err, registry.ErrImageUnknown) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
		a.log.Info("lifecycle expired image", "repository", repo, "digest", r.Image.Digest, "tags", r.Image.Tags, "rule", r.RulePriority)
	}
	_, err = a.updateSettings(ctx, repo, func(_ *registry.Repository, s *settings) error {
		if s.LifecyclePolicy == text {
			s.LifecycleEvaluatedAt = now
		}
		return nil
	})
	return n, err
}
