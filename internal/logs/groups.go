package logs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tide/internal/awserr"
	"tide/internal/store"
)

// Empty is the response of the operations that return nothing.
type Empty struct{}

// LogGroup is CloudWatch Logs' LogGroup shape.
type LogGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int32 `json:"retentionInDays,omitempty"`
	MetricFilterCount *int32 `json:"metricFilterCount,omitempty"`
	Arn               string `json:"arn"`
	StoredBytes       *int64 `json:"storedBytes,omitempty"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass,omitempty"`
	LogGroupArn       string `json:"logGroupArn,omitempty"`
}

// retentionDays are the values PutRetentionPolicy accepts, as AWS lists them.
var retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var groupClasses = []string{"STANDARD", "INFREQUENT_ACCESS", "DELIVERY"}

// CreateLogGroupInput is the CreateLogGroup request.
type CreateLogGroupInput struct {
	LogGroupName              *string           `json:"logGroupName"`
	KmsKeyID                  *string           `json:"kmsKeyId"`
	Tags                      map[string]string `json:"tags"`
	LogGroupClass             *string           `json:"logGroupClass"`
	DeletionProtectionEnabled *bool             `json:"deletionProtectionEnabled"`
}

// CreateLogGroup creates a log group; its events never expire until a
// retention policy is put. kmsKeyId and tags are kept and reported, but
// Tide encrypts nothing and has no tagging operations for logs.
func (a *API) CreateLogGroup(ctx context.Context, in *CreateLogGroupInput) (*Empty, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	if err := checkString(in.KmsKeyID, "kmsKeyId", false, 0, 256, nil); err != nil {
		return nil, err
	}
	name := *in.LogGroupName
	if strings.HasPrefix(name, "aws/") {
		return nil, invalid("Log group names can't start with the string 'aws/'.")
	}
	if in.Tags != nil && (len(in.Tags) < 1 || len(in.Tags) > 50) {
		return nil, validation(strconv.Itoa(len(in.Tags)), "tags", "Member must have length between 1 and 50")
	}
	for k, v := range in.Tags {
		if k == "" || len(k) > 128 || strings.HasPrefix(k, "aws:") || len(v) > 256 {
			return nil, invalid("Invalid tag %q: keys are 1 to 128 characters not starting with aws:, values at most 256.", k)
		}
	}
	class := "STANDARD"
	if in.LogGroupClass != nil {
		if !slices.Contains(groupClasses, *in.LogGroupClass) {
			return nil, validation(*in.LogGroupClass, "logGroupClass", "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
		}
		class = *in.LogGroupClass
	}
	if in.DeletionProtectionEnabled != nil && *in.DeletionProtectionEnabled {
		return nil, invalid("Tide does not support deletion protection for log groups.")
	}
	g := &groupRecord{Name: name, ID: newID(), CreationTime: a.nowMs(), Class: class, Tags: in.Tags}
	if in.KmsKeyID != nil {
		g.KmsKeyID = *in.KmsKeyID
	}
	_, err := a.store.Create(ctx, groupKey(name), mustJSON(g))
	if errors.Is(err, store.ErrExists) {
		return nil, awserr.Client("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &Empty{}, nil
}

// DeleteLogGroupInput is the DeleteLogGroup request.
type DeleteLogGroupInput struct {
	LogGroupName *string `json:"logGroupName"`
}

// DeleteLogGroup deletes a group, its streams and (on this server at once,
// on others at their next sweep) their events.
func (a *API) DeleteLogGroup(ctx context.Context, in *DeleteLogGroupInput) (*Empty, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	g, kv, err := a.group(*in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Commit(ctx, store.Del(groupKey(g.Name), kv.ModRev)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, awserr.Client("OperationAbortedException", "Multiple concurrent requests to update the same resource were in conflict.")
		}
		return nil, storeErr(err)
	}
	// The group is gone; its streams go in batches (etcd bounds the
	// operations of a transaction). A crash here leaves records that no
	// group owns: they are ignored, and swept.
	if err := a.deleteStreamRecords(ctx, g); err != nil {
		a.log.Warn("delete streams of deleted log group", "group", g.Name, "err", err)
	}
	a.dropGroupFiles(g.ID)
	return &Empty{}, nil
}

// deleteStreamRecords deletes the records of g's streams.
func (a *API) deleteStreamRecords(ctx context.Context, g *groupRecord) error {
	var batch []store.Write
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := a.store.Commit(ctx, batch...)
		batch = batch[:0]
		if errors.Is(err, store.ErrConflict) {
			return nil // a record changed meanwhile; the sweeper retries
		}
		return err
	}
	for _, kv := range a.store.List(groupStreamsPrefix(g.Name)) {
		s, err := decode[streamRecord](kv)
		if err == nil && s.GroupID != g.ID {
			continue
		}
		if batch = append(batch, store.Del(kv.Key, kv.ModRev)); len(batch) == 100 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// dropGroupFiles deletes this server's events of a group.
func (a *API) dropGroupFiles(groupID string) {
	a.mu.Lock()
	var logs []*eventLog
	for k, l := range a.streams {
		if strings.HasPrefix(k, groupID+"/") {
			logs = append(logs, l)
			delete(a.streams, k)
		}
	}
	a.mu.Unlock()
	for _, l := range logs {
		l.destroy()
	}
	if err := os.RemoveAll(filepath.Join(a.dir, groupID)); err != nil {
		a.log.Warn("delete log group files", "group", groupID, "err", err)
	}
}

// DescribeLogGroupsInput is the DescribeLogGroups request.
type DescribeLogGroupsInput struct {
	AccountIdentifiers    []string `json:"accountIdentifiers"`
	LogGroupNamePrefix    *string  `json:"logGroupNamePrefix"`
	LogGroupNamePattern   *string  `json:"logGroupNamePattern"`
	NextToken             *string  `json:"nextToken"`
	Limit                 *int32   `json:"limit"`
	IncludeLinkedAccounts *bool    `json:"includeLinkedAccounts"`
	LogGroupClass         *string  `json:"logGroupClass"`
	LogGroupIdentifiers   []string `json:"logGroupIdentifiers"`
}

// DescribeLogGroupsOutput is the DescribeLogGroups response.
type DescribeLogGroupsOutput struct {
	LogGroups []LogGroup `json:"logGroups"`
	NextToken *string    `json:"nextToken,omitempty"`
}

type nameCursor struct {
	N string `json:"n"`
}

var patternRE = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]*$`)

// DescribeLogGroups lists groups in name order, 50 to a page.
func (a *API) DescribeLogGroups(ctx context.Context, in *DescribeLogGroupsInput) (*DescribeLogGroupsOutput, error) {
	if err := checkGroupName(in.LogGroupNamePrefix, "logGroupNamePrefix", false); err != nil {
		return nil, err
	}
	if err := checkString(in.LogGroupNamePattern, "logGroupNamePattern", false, 0, 512, patternRE); err != nil {
		return nil, err
	}
	if err := checkRange(in.Limit, "limit", 1, 50); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if in.LogGroupClass != nil && !slices.Contains(groupClasses, *in.LogGroupClass) {
		return nil, validation(*in.LogGroupClass, "logGroupClass", "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
	}
	var only []string
	if in.LogGroupIdentifiers != nil {
		if len(in.LogGroupIdentifiers) < 1 || len(in.LogGroupIdentifiers) > 50 {
			return nil, validation(strconv.Itoa(len(in.LogGroupIdentifiers)), "logGroupIdentifiers", "Member must have length between 1 and 50")
		}
		if in.LogGroupNamePrefix != nil || in.LogGroupNamePattern != nil {
			return nil, invalid("logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.")
		}
		for _, id := range in.LogGroupIdentifiers {
			name, err := a.identifierName(id)
			if err != nil {
				return nil, err
			}
			only = append(only, name)
		}
	}
	limit := 50
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	var cur nameCursor
	if err := decodeToken(in.NextToken, &cur); err != nil {
		return nil, err
	}
	prefix := groupsPrefix
	if in.LogGroupNamePrefix != nil {
		prefix += *in.LogGroupNamePrefix
	}
	after := ""
	if cur.N != "" {
		after = groupKey(cur.N)
	}
	var kvs []store.KV
	a.store.Range(prefix, after, func(kv store.KV) bool { kvs = append(kvs, kv); return true })
	out := &DescribeLogGroupsOutput{LogGroups: []LogGroup{}}
	for _, kv := range kvs {
		g, err := decode[groupRecord](kv)
		if err != nil {
			return nil, err
		}
		switch {
		case in.LogGroupNamePattern != nil && !strings.Contains(g.Name, *in.LogGroupNamePattern),
			in.LogGroupClass != nil && g.Class != *in.LogGroupClass,
			only != nil && !slices.Contains(only, g.Name):
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = encodeToken(nameCursor{N: out.LogGroups[limit-1].LogGroupName})
			break
		}
		lg := a.describeGroup(g)
		if in.LogGroupNamePattern != nil { // AWS reports only these then
			lg = LogGroup{LogGroupName: lg.LogGroupName, CreationTime: lg.CreationTime, Arn: lg.Arn}
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	return out, nil
}

func (a *API) describeGroup(g *groupRecord) LogGroup {
	zero := int32(0)
	bytes := a.storedBytes(g.ID)
	lg := LogGroup{
		LogGroupName: g.Name, CreationTime: g.CreationTime, RetentionInDays: g.RetentionInDays,
		MetricFilterCount: &zero, Arn: a.groupARN(g.Name) + ":*", StoredBytes: &bytes,
		KmsKeyID: g.KmsKeyID, LogGroupClass: g.Class, LogGroupArn: a.groupARN(g.Name),
	}
	if lg.LogGroupClass == "" {
		lg.LogGroupClass = "STANDARD"
	}
	return lg
}

// storedBytes is the size of this server's files of a group.
func (a *API) storedBytes(groupID string) int64 {
	var n int64
	filepath.WalkDir(filepath.Join(a.dir, groupID), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".seg") {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// PutRetentionPolicyInput is the PutRetentionPolicy request.
type PutRetentionPolicyInput struct {
	LogGroupName    *string `json:"logGroupName"`
	RetentionInDays *int32  `json:"retentionInDays"`
}

// PutRetentionPolicy sets how many days a group's events are kept. Expired
// events stop being returned at once; their files are deleted by the
// sweeper, a segment (a day or 64 MiB of a stream) at a time.
func (a *API) PutRetentionPolicy(ctx context.Context, in *PutRetentionPolicyInput) (*Empty, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	if in.RetentionInDays == nil {
		return nil, missing("retentionInDays")
	}
	if !slices.Contains(retentionDays, *in.RetentionInDays) {
		return nil, validation(strconv.Itoa(int(*in.RetentionInDays)), "retentionInDays",
			"Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	}
	days := *in.RetentionInDays
	return a.updateGroup(ctx, *in.LogGroupName, func(g *groupRecord) { g.RetentionInDays = &days })
}

// DeleteRetentionPolicyInput is the DeleteRetentionPolicy request.
type DeleteRetentionPolicyInput struct {
	LogGroupName *string `json:"logGroupName"`
}

// DeleteRetentionPolicy makes a group's events never expire.
func (a *API) DeleteRetentionPolicy(ctx context.Context, in *DeleteRetentionPolicyInput) (*Empty, error) {
	if err := checkGroupName(in.LogGroupName, "logGroupName", true); err != nil {
		return nil, err
	}
	return a.updateGroup(ctx, *in.LogGroupName, func(g *groupRecord) { g.RetentionInDays = nil })
}

func (a *API) updateGroup(ctx context.Context, name string, fn func(*groupRecord)) (*Empty, error) {
	_, err := a.store.Update(ctx, groupKey(name), func(cur store.KV) ([]byte, error) {
		g, err := decode[groupRecord](cur)
		if err != nil {
			return nil, err
		}
		fn(g)
		return mustJSON(g), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, groupNotFound()
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &Empty{}, nil
}

// expiredBefore is the oldest timestamp g still keeps, or 0.
func (g *groupRecord) expiredBefore(nowMs int64) int64 {
	if g.RetentionInDays == nil {
		return 0
	}
	return nowMs - int64(*g.RetentionInDays)*dayMs
}

const dayMs = 24 * 3600 * 1000
