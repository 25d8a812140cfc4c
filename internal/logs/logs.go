// Package logs implements the CloudWatch Logs API (Logs_20140328, AWS JSON
// 1.1) that Tide's agents ship awslogs container output to and that
// `aws logs tail` reads: log groups and streams, PutLogEvents,
// GetLogEvents, FilterLogEvents and retention, with AWS's shapes, errors,
// ARNs, epoch-millisecond timestamps and pagination tokens.
//
// Group and stream metadata live in the store under "logs/", so every
// server sees every group and stream. Events do not: they are appended,
// fsynced per batch, to files under the directory given to New, on the
// server that received the PutLogEvents. In a setup of several servers
// each server reads only the events it received, so a reader sees a
// stream's events only through the server its writer (the agent) talks to;
// DescribeLogStreams' event times and DescribeLogGroups' storedBytes are
// likewise this server's. The store holds no events because etcd is no
// place for a log's volume.
//
// Filter patterns are terms and quoted phrases, with ? (any of) and -
// (none of); JSON, space-delimited and regular-expression patterns are
// refused with InvalidParameterException.
//
// It depends on the store, the edge's operation adapter and awserr; it
// knows nothing of ECS or agents.
package logs

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of the CloudWatch Logs API.
const TargetPrefix = "Logs_20140328"

// Config holds what the API needs besides the store and its directory.
type Config struct {
	Region    string
	AccountID string
	Now       func() time.Time // nil means time.Now
}

// API serves the CloudWatch Logs operations.
type API struct {
	store   *store.Store
	dir     string
	log     *slog.Logger
	now     func() time.Time
	region  string
	account string

	mu      sync.Mutex
	streams map[string]*eventLog // by "<group id>/<stream id>"

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns the Logs API over st, keeping events under dir, and starts
// its sweeper (retention, deleted streams, idle indexes) until Close.
func New(st *store.Store, dir string, log *slog.Logger, cfg Config) (*API, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("logs dir: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &API{
		store: st, dir: dir, log: log, now: cfg.Now, region: cfg.Region, account: cfg.AccountID,
		streams: map[string]*eventLog{}, cancel: cancel, done: make(chan struct{}),
	}
	go a.sweepLoop(ctx, time.Minute)
	return a, nil
}

// Close stops the sweeper and closes every open file.
func (a *API) Close() {
	a.cancel()
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.streams {
		l.unload()
	}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.Service {
	return &edge.Service{TargetPrefix: TargetPrefix, JSONVersion: "1.1", Ops: map[string]edge.Handler{
		"CreateLogGroup":        edge.Op(a.CreateLogGroup),
		"DeleteLogGroup":        edge.Op(a.DeleteLogGroup),
		"DescribeLogGroups":     edge.Op(a.DescribeLogGroups),
		"PutRetentionPolicy":    edge.Op(a.PutRetentionPolicy),
		"DeleteRetentionPolicy": edge.Op(a.DeleteRetentionPolicy),
		"CreateLogStream":       edge.Op(a.CreateLogStream),
		"DeleteLogStream":       edge.Op(a.DeleteLogStream),
		"DescribeLogStreams":    edge.Op(a.DescribeLogStreams),
		"PutLogEvents":          edge.Op(a.PutLogEvents),
		"GetLogEvents":          edge.Op(a.GetLogEvents),
		"FilterLogEvents":       edge.Op(a.FilterLogEvents),
	}}
}

func (a *API) nowMs() int64 { return a.now().UnixMilli() }

// groupARN is the ARN DescribeLogGroups reports as arn, with AWS's
// trailing ":*"; logGroupArn is the same without it.
func (a *API) groupARN(name string) string {
	return "arn:aws:logs:" + a.region + ":" + a.account + ":log-group:" + name
}

func (a *API) streamARN(group, stream string) string {
	return a.groupARN(group) + ":log-stream:" + stream
}

// eventLog returns this server's event log of a stream.
func (a *API) eventLog(g *groupRecord, s *streamRecord) *eventLog {
	key := g.ID + "/" + s.ID
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.streams[key]
	if l == nil {
		l = newEventLog(filepath.Join(a.dir, g.ID, s.ID))
		a.streams[key] = l
	}
	return l
}

// dropEventLog deletes this server's events of a stream.
func (a *API) dropEventLog(groupID, streamID string) {
	key := groupID + "/" + streamID
	a.mu.Lock()
	l := a.streams[key]
	delete(a.streams, key)
	a.mu.Unlock()
	if l == nil {
		l = newEventLog(filepath.Join(a.dir, groupID, streamID))
	}
	if err := l.destroy(); err != nil {
		a.log.Warn("delete log stream files", "dir", l.dir, "err", err)
	}
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ---------------------------------------------------------------- errors

func groupNotFound() error {
	return awserr.Client("ResourceNotFoundException", "The specified log group does not exist.")
}

func streamNotFound() error {
	return awserr.Client("ResourceNotFoundException", "The specified log stream does not exist.")
}

func invalid(format string, args ...any) error {
	return awserr.Client("InvalidParameterException", format, args...)
}

// storeErr turns store failures into API errors.
func storeErr(err error) error {
	if err == nil || awserr.As(err) != nil || errors.Is(err, context.Canceled) {
		return err
	}
	return awserr.New(503, "ServiceUnavailableException", "The service cannot complete the request: %v", err)
}

// ---------------------------------------------------------------- validation

// The constraints of botocore's model, checked as AWS's front end does,
// with its "1 validation error detected" messages (as
// InvalidParameterException: CloudWatch Logs reports them so).
var (
	groupNameRE  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	streamNameRE = regexp.MustCompile(`^[^:*]*$`)
	identifierRE = regexp.MustCompile(`^[\w#+=/:,.@-]*$`)
)

func validation(value, field, constraint string) error {
	return invalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func missing(field string) error {
	return invalid("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func checkString(v *string, field string, required bool, minLen, maxLen int, re *regexp.Regexp) error {
	if v == nil {
		if required {
			return missing(field)
		}
		return nil
	}
	switch n := len([]rune(*v)); {
	case n < minLen:
		return validation(*v, field, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case n > maxLen:
		return validation(*v, field, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	}
	if re != nil && !re.MatchString(*v) {
		return validation(*v, field, "Member must satisfy regular expression pattern: "+strings.Trim(re.String(), "^$"))
	}
	return nil
}

func checkGroupName(v *string, field string, required bool) error {
	return checkString(v, field, required, 1, 512, groupNameRE)
}

func checkStreamName(v *string, field string, required bool) error {
	return checkString(v, field, required, 1, 512, streamNameRE)
}

func checkRange[T int32 | int64](v *T, field string, lo, hi T) error {
	if v == nil {
		return nil
	}
	if *v < lo {
		return validation(strconv.FormatInt(int64(*v), 10), field, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	}
	if *v > hi {
		return validation(strconv.FormatInt(int64(*v), 10), field, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
	return nil
}

// groupRef resolves the logGroupName / logGroupIdentifier pair that the
// read operations take (exactly one of them) to a group name.
func (a *API) groupRef(name, ident *string) (string, error) {
	if err := checkGroupName(name, "logGroupName", false); err != nil {
		return "", err
	}
	if err := checkString(ident, "logGroupIdentifier", false, 1, 2048, identifierRE); err != nil {
		return "", err
	}
	switch {
	case name != nil && ident != nil:
		return "", invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != nil:
		return *name, nil
	case ident != nil:
		return a.identifierName(*ident)
	}
	return "", invalid("Either logGroupName or logGroupIdentifier must be specified.")
}

// identifierName accepts a group name or a group ARN of this region and
// account, with or without the trailing ":*".
func (a *API) identifierName(id string) (string, error) {
	if !strings.HasPrefix(id, "arn:") {
		return id, nil
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(id, ":*"), a.groupARN(""))
	if !ok || rest == "" || !groupNameRE.MatchString(rest) {
		return "", invalid("Invalid log group identifier: %s", id)
	}
	return rest, nil
}

// ---------------------------------------------------------------- tokens

// encodeToken and decodeToken make the opaque nextToken of the Describe
// and Filter operations: a cursor, in JSON, in URL-safe base64.
func encodeToken(v any) *string {
	b, _ := json.Marshal(v)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

func decodeToken(tok *string, v any) error {
	if tok == nil {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || json.Unmarshal(b, v) != nil {
		return invalid("The specified nextToken is invalid.")
	}
	return nil
}
