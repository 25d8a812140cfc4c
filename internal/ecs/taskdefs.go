package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/store"
	"tide/internal/taskdef"
)

// taskDefRecord is what the store holds for one revision.
type taskDefRecord struct {
	TaskDefinition *taskdef.TaskDefinition `json:"taskDefinition"`
	Tags           []Tag                   `json:"tags"`
}

// familyRecord numbers a family's revisions; revisions are never reused.
type familyRecord struct {
	Family       string `json:"family"`
	LastRevision int32  `json:"lastRevision"`
}

func taskDefKey(family string, rev int32) string {
	return fmt.Sprintf("taskdefs/%s/%010d", family, rev)
}

func familyKey(family string) string { return "families/" + family }

func (a *API) taskDefinitionOps(ops map[string]edge.Handler) {
	ops["RegisterTaskDefinition"] = edge.Op(a.RegisterTaskDefinition)
	ops["DescribeTaskDefinition"] = edge.Op(a.DescribeTaskDefinition)
	ops["DeregisterTaskDefinition"] = edge.Op(a.DeregisterTaskDefinition)
	ops["ListTaskDefinitions"] = edge.Op(a.ListTaskDefinitions)
	ops["ListTaskDefinitionFamilies"] = edge.Op(a.ListTaskDefinitionFamilies)
	ops["DeleteTaskDefinitions"] = edge.Op(a.DeleteTaskDefinitions)
}

// TaskDefinitionOutput is the response of Register/Describe/DeregisterTaskDefinition.
type TaskDefinitionOutput struct {
	TaskDefinition *taskdef.TaskDefinition `json:"taskDefinition"`
	Tags           []Tag                   `json:"tags,omitempty"`
}

// RegisterTaskDefinition validates and stores the next revision of a family.
func (a *API) RegisterTaskDefinition(ctx context.Context, in *taskdef.RegisterInput) (*TaskDefinitionOutput, error) {
	if err := taskdef.Validate(in); err != nil {
		return nil, err
	}
	var tags []Tag
	if len(in.Tags) > 0 {
		if err := json.Unmarshal(mustJSON(in.Tags), &tags); err != nil {
			return nil, awserr.InvalidParameter("invalid tags")
		}
		if err := validateTags(tags); err != nil {
			return nil, err
		}
	}
	lock := &a.familyLocks[fnv32(in.Family)%uint32(len(a.familyLocks))]
	lock.Lock()
	defer lock.Unlock()
	for {
		var fam familyRecord
		kv, ok, err := a.getJSON(familyKey(in.Family), &fam)
		if err != nil {
			return nil, err
		}
		guard := store.MustBeNew
		if ok {
			guard = kv.ModRev
		}
		fam.Family = in.Family
		fam.LastRevision++
		td := taskdef.New(in, a.arn(fmt.Sprintf("task-definition/%s:%d", in.Family, fam.LastRevision)), fam.LastRevision, a.now(), a.principal())
		rec := taskDefRecord{TaskDefinition: td, Tags: nonNil(tags)}
		_, err = a.store.Commit(ctx,
			store.Put(familyKey(in.Family), mustJSON(fam), guard),
			store.Put(taskDefKey(in.Family, fam.LastRevision), mustJSON(rec), store.MustBeNew))
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		out := &TaskDefinitionOutput{TaskDefinition: td}
		if len(tags) > 0 {
			out.Tags = tags
		}
		return out, nil
	}
}

// principal is the ARN recorded as registeredBy/createdBy.
func (a *API) principal() string { return "arn:aws:iam::" + a.account + ":root" }

// resolveTaskDef finds the revision that ref names: "family" (the latest
// ACTIVE revision), "family:revision" or a full ARN.
func (a *API) resolveTaskDef(ref string) (store.KV, *taskDefRecord, error) {
	s := ref
	if kind, rest, ok := a.parseARN(ref); ok {
		if kind != "task-definition" {
			return store.KV{}, nil, awserr.ClientException("Unable to describe task definition.")
		}
		s = rest
	}
	family, revStr, hasRev := strings.Cut(s, ":")
	if hasRev {
		rev, err := strconv.ParseInt(revStr, 10, 32)
		if err != nil || rev < 1 {
			return store.KV{}, nil, awserr.ClientException("Invalid revision number. Number: %s", revStr)
		}
		var rec taskDefRecord
		kv, ok, err := a.getJSON(taskDefKey(family, int32(rev)), &rec)
		if err != nil {
			return kv, nil, err
		}
		if !ok || rec.TaskDefinition.Status == "DELETE_IN_PROGRESS" {
			return kv, nil, awserr.ClientException("Unable to describe task definition.")
		}
		return kv, &rec, nil
	}
	var latest *taskDefRecord
	var latestKV store.KV
	a.store.Range("taskdefs/"+family+"/", "", func(kv store.KV) bool {
		var rec taskDefRecord
		if json.Unmarshal(kv.Value, &rec) == nil && rec.TaskDefinition.Status == "ACTIVE" {
			latest, latestKV = &rec, kv
		}
		return true
	})
	if latest == nil {
		return store.KV{}, nil, awserr.ClientException("Unable to describe task definition.")
	}
	return latestKV, latest, nil
}

// DescribeTaskDefinitionInput is the DescribeTaskDefinition request.
type DescribeTaskDefinitionInput struct {
	TaskDefinition *string  `json:"taskDefinition"`
	Include        []string `json:"include"`
}

// DescribeTaskDefinition returns one revision, with its tags if asked.
func (a *API) DescribeTaskDefinition(ctx context.Context, in *DescribeTaskDefinitionInput) (*TaskDefinitionOutput, error) {
	if deref(in.TaskDefinition) == "" {
		return nil, awserr.ClientException("TaskDefinition can not be blank.")
	}
	_, rec, err := a.resolveTaskDef(*in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	out := &TaskDefinitionOutput{TaskDefinition: rec.TaskDefinition}
	if slices.Contains(in.Include, "TAGS") {
		out.Tags = nonNil(rec.Tags)
	}
	return out, nil
}

// DeregisterTaskDefinitionInput is the DeregisterTaskDefinition request.
type DeregisterTaskDefinitionInput struct {
	TaskDefinition *string `json:"taskDefinition"`
}

// DeregisterTaskDefinition marks a revision INACTIVE.
func (a *API) DeregisterTaskDefinition(ctx context.Context, in *DeregisterTaskDefinitionInput) (*TaskDefinitionOutput, error) {
	ref := deref(in.TaskDefinition)
	if ref == "" {
		return nil, awserr.ClientException("TaskDefinition can not be blank.")
	}
	if _, rest, ok := a.parseARN(ref); ok {
		ref = rest
	}
	if !strings.Contains(ref, ":") {
		return nil, awserr.ClientException("Invalid revision number. Number: %s", ref)
	}
	kv, _, err := a.resolveTaskDef(ref)
	if err != nil {
		return nil, err
	}
	now := a.now()
	rec, err := updateJSON(ctx, a.store, kv.Key, func(r *taskDefRecord) error {
		if r.TaskDefinition.Status == "ACTIVE" {
			r.TaskDefinition.Status = "INACTIVE"
			r.TaskDefinition.DeregisteredAt = awsjson.At(now)
		}
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &TaskDefinitionOutput{TaskDefinition: rec.TaskDefinition}, nil
}

// DeleteTaskDefinitionsInput is the DeleteTaskDefinitions request.
type DeleteTaskDefinitionsInput struct {
	TaskDefinitions []string `json:"taskDefinitions"`
}

// DeleteTaskDefinitionsOutput is the DeleteTaskDefinitions response.
type DeleteTaskDefinitionsOutput struct {
	TaskDefinitions []*taskdef.TaskDefinition `json:"taskDefinitions"`
	Failures        []Failure                 `json:"failures"`
}

// DeleteTaskDefinitions moves INACTIVE revisions to DELETE_IN_PROGRESS; after
// that they can no longer be described or used.
func (a *API) DeleteTaskDefinitions(ctx context.Context, in *DeleteTaskDefinitionsInput) (*DeleteTaskDefinitionsOutput, error) {
	if len(in.TaskDefinitions) == 0 || len(in.TaskDefinitions) > 10 {
		return nil, awserr.InvalidParameter("taskDefinitions must contain between 1 and 10 items.")
	}
	out := &DeleteTaskDefinitionsOutput{TaskDefinitions: []*taskdef.TaskDefinition{}, Failures: []Failure{}}
	for _, ref := range in.TaskDefinitions {
		s := ref
		if _, rest, ok := a.parseARN(ref); ok {
			s = rest
		}
		if !strings.Contains(s, ":") {
			out.Failures = append(out.Failures, Failure{Arn: ref, Reason: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."})
			continue
		}
		kv, rec, err := a.resolveTaskDef(s)
		if err != nil {
			out.Failures = append(out.Failures, Failure{Arn: ref, Reason: "TASK_DEFINITION_NOT_FOUND"})
			continue
		}
		if rec.TaskDefinition.Status == "ACTIVE" {
			out.Failures = append(out.Failures, Failure{Arn: rec.TaskDefinition.TaskDefinitionARN, Reason: "The specified task definition is still in ACTIVE status. Please deregister the target and try again."})
			continue
		}
		now := a.now()
		r, err := updateJSON(ctx, a.store, kv.Key, func(r *taskDefRecord) error {
			r.TaskDefinition.Status = "DELETE_IN_PROGRESS"
			r.TaskDefinition.DeleteRequestedAt = awsjson.At(now)
			return nil
		})
		if err != nil {
			return nil, storeErr(err)
		}
		out.TaskDefinitions = append(out.TaskDefinitions, r.TaskDefinition)
	}
	return out, nil
}

// ListTaskDefinitionsInput is the ListTaskDefinitions request.
type ListTaskDefinitionsInput struct {
	FamilyPrefix *string `json:"familyPrefix"`
	Status       *string `json:"status"`
	Sort         *string `json:"sort"`
	NextToken    *string `json:"nextToken"`
	MaxResults   *int32  `json:"maxResults"`
}

// ListTaskDefinitionsOutput is the ListTaskDefinitions response.
type ListTaskDefinitionsOutput struct {
	TaskDefinitionArns []string `json:"taskDefinitionArns"`
	NextToken          *string  `json:"nextToken,omitempty"`
}

// ListTaskDefinitions lists revisions by family and revision, either way.
func (a *API) ListTaskDefinitions(ctx context.Context, in *ListTaskDefinitionsInput) (*ListTaskDefinitionsOutput, error) {
	status := deref(in.Status)
	if status == "" {
		status = "ACTIVE"
	}
	if !slices.Contains([]string{"ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"}, status) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [ACTIVE, INACTIVE, DELETE_IN_PROGRESS]", status)
	}
	sort := deref(in.Sort)
	if sort != "" && sort != "ASC" && sort != "DESC" {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'sort' failed to satisfy constraint: Member must satisfy enum value set: [ASC, DESC]", sort)
	}
	prefix := "taskdefs/"
	if f := deref(in.FamilyPrefix); f != "" {
		prefix += f + "/"
	}
	keep := func(kv store.KV) (string, bool) {
		var rec taskDefRecord
		if json.Unmarshal(kv.Value, &rec) != nil || rec.TaskDefinition.Status != status {
			return "", false
		}
		return rec.TaskDefinition.TaskDefinitionARN, true
	}
	var arns []string
	var next *string
	var err error
	if sort == "DESC" {
		arns, next, err = a.pageDesc(prefix, pageArgs{in.NextToken, in.MaxResults}, keep)
	} else {
		arns, next, err = a.page(prefix, pageArgs{in.NextToken, in.MaxResults}, 100, keep)
	}
	if err != nil {
		return nil, err
	}
	return &ListTaskDefinitionsOutput{TaskDefinitionArns: arns, NextToken: next}, nil
}

// ListTaskDefinitionFamiliesInput is the ListTaskDefinitionFamilies request.
type ListTaskDefinitionFamiliesInput struct {
	FamilyPrefix *string `json:"familyPrefix"`
	Status       *string `json:"status"`
	NextToken    *string `json:"nextToken"`
	MaxResults   *int32  `json:"maxResults"`
}

// ListTaskDefinitionFamiliesOutput is the ListTaskDefinitionFamilies response.
type ListTaskDefinitionFamiliesOutput struct {
	Families  []string `json:"families"`
	NextToken *string  `json:"nextToken,omitempty"`
}

// ListTaskDefinitionFamilies lists families; a family is ACTIVE while any of
// its revisions is. Without a status it lists them all, as AWS does.
func (a *API) ListTaskDefinitionFamilies(ctx context.Context, in *ListTaskDefinitionFamiliesInput) (*ListTaskDefinitionFamiliesOutput, error) {
	status := deref(in.Status)
	if status == "" {
		status = "ALL"
	}
	if !slices.Contains([]string{"ACTIVE", "INACTIVE", "ALL"}, status) {
		return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [ACTIVE, INACTIVE, ALL]", status)
	}
	prefix := "families/" + deref(in.FamilyPrefix)
	fams, next, err := a.page(prefix, pageArgs{in.NextToken, in.MaxResults}, 100, func(kv store.KV) (string, bool) {
		family := strings.TrimPrefix(kv.Key, "families/")
		if status == "ALL" {
			return family, true
		}
		active := false
		a.store.Range("taskdefs/"+family+"/", "", func(kv store.KV) bool {
			var rec taskDefRecord
			if json.Unmarshal(kv.Value, &rec) == nil && rec.TaskDefinition.Status == "ACTIVE" {
				active = true
				return false
			}
			return true
		})
		return family, active == (status == "ACTIVE")
	})
	if err != nil {
		return nil, err
	}
	return &ListTaskDefinitionFamiliesOutput{Families: fams, NextToken: next}, nil
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
