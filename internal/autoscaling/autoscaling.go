// Package autoscaling is Tide's Application Auto Scaling (API version
// 2016-02-06, AWS JSON 1.1, target prefix AnyScaleFrontendService) for ECS
// services: scalable targets (ServiceNamespace ecs, ScalableDimension
// ecs:service:DesiredCount, ResourceId service/CLUSTER/SERVICE), target
// tracking, step and predictive scaling policies, scheduled actions, tags,
// and the scaling activities that record what happened and why.
//
// ECS auto scaling is a control system. The decisions are pure functions
// (decide.go, cooldown.go), table-tested against AWS's documented examples;
// ExecutePolicy applies them when an alarm invokes a policy (on the alarm's
// transition to ALARM and every period while it stays there), and the
// Controller, on the leader, runs scheduled actions, predictive
// ForecastAndScale and whatever work an earlier failure left pending. Target
// tracking policies create their AlarmHigh and AlarmLow alarms through the
// Alarms interface, named, described and sized as AWS does.
//
// State lives in the store under "autoscaling/". The package reads and sets
// services' counts only through Services, alarms only through Alarms and
// metric history only through Metrics: it must not depend on the ECS,
// CloudWatch or alarm packages, which the server adapts to those interfaces.
//
// Other service namespaces (dynamodb, ec2, ...) are valid requests about
// resources that do not exist in Tide: RegisterScalableTarget answers
// ValidationException ("<namespace> resource doesn't exist: <id>"), as AWS
// does for a resource it cannot find, and the Describe operations list
// nothing.
package autoscaling

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// The scalable dimension Tide serves.
const (
	namespaceECS = "ecs"
	dimensionECS = "ecs:service:DesiredCount"
)

// Config holds the API's collaborators.
type Config struct {
	Region, AccountID string
	Now               func() time.Time // nil: time.Now
	Timing            Timing           // zero: Fast()
	Alarms            Alarms
	Services          Services
	Metrics           Metrics // history for predictive scaling; nil: no forecasts
}

// API serves Application Auto Scaling and executes its policies.
type API struct {
	store *store.Store
	log   *slog.Logger
	cfg   Config
	now   func() time.Time
	locks sync.Map // resource ID -> *sync.Mutex: one scaling decision at a time per target
}

// New returns the API over st.
func New(st *store.Store, log *slog.Logger, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timing.AlarmPeriod <= 0 {
		cfg.Timing = Fast()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{store: st, log: log, cfg: cfg, now: cfg.Now}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.Service {
	return &edge.Service{TargetPrefix: "AnyScaleFrontendService", JSONVersion: "1.1", Ops: map[string]edge.Handler{
		"RegisterScalableTarget":       edge.Op(a.registerScalableTarget),
		"DescribeScalableTargets":      edge.Op(a.describeScalableTargets),
		"DeregisterScalableTarget":     edge.Op(a.deregisterScalableTarget),
		"PutScalingPolicy":             edge.Op(a.putScalingPolicy),
		"DescribeScalingPolicies":      edge.Op(a.describeScalingPolicies),
		"DeleteScalingPolicy":          edge.Op(a.deleteScalingPolicy),
		"DescribeScalingActivities":    edge.Op(a.describeScalingActivities),
		"PutScheduledAction":           edge.Op(a.putScheduledAction),
		"DescribeScheduledActions":     edge.Op(a.describeScheduledActions),
		"DeleteScheduledAction":        edge.Op(a.deleteScheduledAction),
		"GetPredictiveScalingForecast": edge.Op(a.getPredictiveScalingForecast),
		"TagResource":                  edge.Op(a.tagResource),
		"UntagResource":                edge.Op(a.untagResource),
		"ListTagsForResource":          edge.Op(a.listTagsForResource),
	}}
}

// lock serializes the scaling decisions of one scalable target.
func (a *API) lock(resource string) func() {
	m, _ := a.locks.LoadOrStore(resource, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// ---------------------------------------------------------------- errors

func validation(format string, args ...any) error {
	return awserr.Client("ValidationException", format, args...)
}

func notFound(format string, args ...any) error {
	return awserr.Client("ObjectNotFoundException", format, args...)
}

func limitExceeded(format string, args ...any) error {
	return awserr.Client("LimitExceededException", format, args...)
}

func concurrentUpdate(resource string) error {
	return awserr.Client("ConcurrentUpdateException", "Concurrent update on scalable target %s; try again", resource)
}

func noTarget(resource string) error {
	return notFound("No scalable target registered for service namespace: ecs, resource ID: %s, scalable dimension: %s", resource, dimensionECS)
}

func invalidToken() error {
	return awserr.Client("InvalidNextTokenException", "Invalid NextToken")
}

// ---------------------------------------------------------------- keys, IDs and ARNs

func esc(s string) string { return url.PathEscape(s) }

const (
	targetsPrefix    = "autoscaling/targets/"
	policiesPrefix   = "autoscaling/policies/"
	scheduledPrefix  = "autoscaling/scheduled/"
	activitiesPrefix = "autoscaling/activities/"
	orphansPrefix    = "autoscaling/orphans/" // alarms of deleted policies still to delete
)

func targetKey(resource string) string       { return targetsPrefix + esc(resource) }
func policyPrefix(resource string) string    { return policiesPrefix + esc(resource) + "/" }
func policyKey(resource, name string) string { return policyPrefix(resource) + esc(name) }
func scheduledPrefixOf(resource string) string {
	return scheduledPrefix + esc(resource) + "/"
}
func scheduledKey(resource, name string) string { return scheduledPrefixOf(resource) + esc(name) }
func activityPrefix(resource string) string {
	return activitiesPrefix + esc(resource) + "/"
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// targetARN is a new ScalableTargetARN:
// arn:aws:application-autoscaling:REGION:ACCOUNT:scalable-target/ID, the
// ID 36 hex digits as AWS's are.
func (a *API) targetARN() string {
	var b [18]byte
	rand.Read(b[:])
	return "arn:aws:application-autoscaling:" + a.cfg.Region + ":" + a.cfg.AccountID + ":scalable-target/" + hex.EncodeToString(b[:])
}

// policyARN is AWS's:
// arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:ID:resource/ecs/RESOURCE:policyName/NAME.
func (a *API) policyARN(id, resource, name string) string {
	return "arn:aws:autoscaling:" + a.cfg.Region + ":" + a.cfg.AccountID + ":scalingPolicy:" + id + ":resource/" + namespaceECS + "/" + resource + ":policyName/" + name
}

// scheduledActionARN is AWS's, whose ID is the scalable target's:
// arn:aws:autoscaling:REGION:ACCOUNT:scheduledAction:ID:resource/ecs/RESOURCE:scheduledActionName/NAME.
func (a *API) scheduledActionARN(id, resource, name string) string {
	return "arn:aws:autoscaling:" + a.cfg.Region + ":" + a.cfg.AccountID + ":scheduledAction:" + id + ":resource/" + namespaceECS + "/" + resource + ":scheduledActionName/" + name
}

func (a *API) alarmARN(name string) string {
	return "arn:aws:cloudwatch:" + a.cfg.Region + ":" + a.cfg.AccountID + ":alarm:" + name
}

// parsePolicyARN returns the resource and policy name a policy ARN names,
// with or without the ":createdBy/<uuid>" suffix of alarm actions.
func parsePolicyARN(arn string) (resource, name string, ok bool) {
	arn, _, _ = strings.Cut(arn, ":createdBy/")
	_, rest, ok := strings.Cut(arn, ":resource/"+namespaceECS+"/")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":policyName/")
}

// serviceOf returns the cluster and service of a resource ID
// "service/CLUSTER/SERVICE".
func serviceOf(resource string) (cluster, service string, ok bool) {
	parts := strings.Split(resource, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}
