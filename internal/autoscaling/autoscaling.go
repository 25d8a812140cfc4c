// Package autoscaling is Tide's Application Auto Scaling (API version
// 2016-02-06, AWS JSON 1.1, target prefix AnyScaleFrontendService) for ECS
// services: scalable targets (ecs:service:DesiredCount), target tracking
// and step scaling policies, scheduled actions, and the scaling activities
// that record what happened and why.
//
// The decisions are pure functions (scale.go), table-tested against AWS's
// documented examples; the API applies them when the CloudWatch alarm
// controller invokes a policy (InvokePolicy, on the alarm's transition to
// ALARM and every period while it stays there) and the Controller runs
// scheduled actions. Target tracking policies create their AlarmHigh and
// AlarmLow alarms through the CloudWatch API, named as AWS names them.
//
// It depends on the store, the edge's JSON adapter, awserr, the CloudWatch
// alarm shapes and the metric types; it reads and sets services' counts
// only through the Services interface, and knows nothing of ECS itself.
package autoscaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/cloudwatch"
	"tide/internal/edge"
	"tide/internal/store"
)

// The only scalable dimension Tide serves.
const (
	namespaceECS = "ecs"
	dimensionECS = "ecs:service:DesiredCount"
)

// Capacity is what the scaling decisions read of a service.
type Capacity struct {
	Desired, Running, Pending int
	Deploying                 bool
}

// Services reads and sets ECS services' desired counts.
type Services interface {
	Capacity(ctx context.Context, cluster, service string) (Capacity, error)
	SetDesiredCount(ctx context.Context, cluster, service string, n int) error
}

// Alarms creates and deletes the alarms of target tracking policies:
// *cloudwatch.API.
type Alarms interface {
	PutAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, managedBy string) error
	DeleteAlarms(ctx context.Context, names ...string) error
	AlarmARN(name string) string
}

// Timing is the alarm periods and default cooldowns of a timing profile.
type Timing struct {
	// AlarmPeriod is the period of target tracking alarms.
	AlarmPeriod time.Duration
	// HighDatapoints and LowDatapoints are how many periods in a row the
	// metric must be above the target (AlarmHigh) or below 90% of it
	// (AlarmLow).
	HighDatapoints, LowDatapoints int
	// DefaultCooldown is the cooldown of a policy that gives none.
	DefaultCooldown time.Duration
}

// FastTiming is Tide's default: one-second alarm periods with AWS's
// datapoint counts (3 and 15), and 30-second default cooldowns (ECS's 300
// scaled down): a service reacts within seconds.
func FastTiming() Timing {
	return Timing{AlarmPeriod: time.Second, HighDatapoints: 3, LowDatapoints: 15, DefaultCooldown: 30 * time.Second}
}

// AWSTiming is AWS's: 60-second periods, 3 and 15 datapoints, 300-second
// default cooldowns.
func AWSTiming() Timing {
	return Timing{AlarmPeriod: time.Minute, HighDatapoints: 3, LowDatapoints: 15, DefaultCooldown: 300 * time.Second}
}

// Config holds the API's collaborators.
type Config struct {
	Region, AccountID string
	Now               func() time.Time // nil: time.Now
	Timing            Timing           // zero: FastTiming
	Alarms            Alarms
	Services          Services
	Metrics           Metrics // history for predictive scaling; nil: no forecasts
}

// API serves Application Auto Scaling.
type API struct {
	store *store.Store
	log   *slog.Logger
	cfg   Config
	now   func() time.Time
}

// New returns the API over st.
func New(st *store.Store, log *slog.Logger, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timing.AlarmPeriod == 0 {
		cfg.Timing = FastTiming()
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

// ---------------------------------------------------------------- errors

func validation(format string, args ...any) error {
	return awserr.Client("ValidationException", format, args...)
}

func notFound(format string, args ...any) error {
	return awserr.Client("ObjectNotFoundException", format, args...)
}

// ---------------------------------------------------------------- keys and names

func esc(s string) string { return url.PathEscape(s) }

func targetKey(resource string) string { return "autoscaling/targets/" + esc(resource) }
func policyPrefix(resource string) string {
	return "autoscaling/policies/" + esc(resource) + "/"
}
func policyKey(resource, name string) string { return policyPrefix(resource) + esc(name) }
func activityPrefix(resource string) string {
	return "autoscaling/activities/" + esc(resource) + "/"
}
func scheduledPrefix(resource string) string {
	return "autoscaling/scheduled/" + esc(resource) + "/"
}
func scheduledKey(resource, name string) string { return scheduledPrefix(resource) + esc(name) }

// upsert writes key with what fn makes of its current value (nil when
// there is none), retrying on a conflicting write.
func (a *API) upsert(ctx context.Context, key string, fn func(cur []byte) ([]byte, error)) error {
	for {
		rev, cur := store.MustBeNew, []byte(nil)
		if kv, ok := a.store.Get(key); ok {
			rev, cur = kv.ModRev, kv.Value
		}
		val, err := fn(cur)
		if err != nil {
			return err
		}
		if _, err := a.store.Commit(ctx, store.Put(key, val, rev)); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// policyARN is AWS's: arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:ID:resource/ecs/RESOURCE:policyName/NAME.
func (a *API) policyARN(id, resource, name string) string {
	return "arn:aws:autoscaling:" + a.cfg.Region + ":" + a.cfg.AccountID + ":scalingPolicy:" + id + ":resource/" + namespaceECS + "/" + resource + ":policyName/" + name
}

// parsePolicyARN returns the resource and policy name a policy ARN names.
func parsePolicyARN(arn string) (resource, name string, ok bool) {
	_, rest, ok := strings.Cut(arn, ":resource/"+namespaceECS+"/")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ":policyName/")
}

// cluster and service of a resource ID "service/CLUSTER/SERVICE".
func serviceOf(resource string) (cluster, service string, ok bool) {
	parts := strings.Split(resource, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// checkRef validates the namespace, resource ID and dimension of a request.
func checkRef(ns, resource, dim *string) error {
	switch {
	case ns == nil:
		return validation("1 validation error detected: Value null at 'serviceNamespace' failed to satisfy constraint: Member must not be null")
	case *ns != namespaceECS:
		return validation("Unsupported service namespace %s: Tide scales ECS services (ecs) only", *ns)
	case resource == nil:
		return validation("1 validation error detected: Value null at 'resourceId' failed to satisfy constraint: Member must not be null")
	case dim == nil:
		return validation("1 validation error detected: Value null at 'scalableDimension' failed to satisfy constraint: Member must not be null")
	case *dim != dimensionECS:
		return validation("Unsupported scalable dimension %s for service namespace ecs", *dim)
	}
	if _, _, ok := serviceOf(*resource); !ok {
		return validation("Unsupported resource ID %s: an ECS service is service/CLUSTER/SERVICE", *resource)
	}
	return nil
}

func noTarget(resource string) error {
	return notFound("No scalable target registered for service namespace: ecs, resource ID: %s, scalable dimension: ecs:service:DesiredCount", resource)
}

func awserrInvalidToken() error {
	return awserr.Client("InvalidNextTokenException", "The NextToken is not valid")
}
