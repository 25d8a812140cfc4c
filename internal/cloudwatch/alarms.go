// Package cloudwatch is Tide's CloudWatch API (version 2010-08-01, served in
// awsquery, AWS JSON 1.0 and Smithy RPC v2 CBOR): the metric operations
// (PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics, over the
// store of package metrics) and the metric alarms: the API (PutMetricAlarm,
// DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, DescribeAlarmHistory,
// SetAlarmState, Enable/DisableAlarmActions and tagging, CloudWatch API
// 2010-08-01), the evaluator that decides an alarm's state from its
// metric's datapoints (a pure function, AWS's M-out-of-N and missing-data
// rules and reason texts), and the controller that evaluates every alarm
// once per period on the leader and fires its actions.
//
// Where Tide differs from AWS, on purpose or by choice (docs/alarms.md has
// the details): periods may be any whole number of seconds from 1 (AWS: 10,
// 20, 30 or multiples of 60; Config.AWSPeriods restores that), because
// Tide's metrics have one-second resolution; a period is evaluated Delay
// (2 s) after it ends, periods aligned to the Unix epoch; the evaluation
// range is N + max(2, N/3) periods; metric math is a subset of
// CloudWatch's (mathparse.go lists it); only SNS and Application Auto
// Scaling actions execute; DeleteAlarms skips unknown names; history keeps
// the newest 100 items per alarm for 30 days.
//
// It depends on the store, the edge's operation adapter, awserr, awsjson
// and the metric types; it reads metrics, publishes to SNS topics and
// invokes scaling policies only through the small interfaces it defines
// (MetricSource, Notifier, PolicyInvoker), and knows nothing of those
// services.
package cloudwatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// The API's version and XML namespace.
const (
	Version   = "2010-08-01"
	Namespace = "http://monitoring.amazonaws.com/doc/2010-08-01/"
)

// Defaults of Config.
const (
	DefaultMaxAlarms        = 10000
	DefaultHistoryPerAlarm  = 100
	DefaultHistoryRetention = 30 * 24 * time.Hour
)

// Config holds what the API needs besides the store.
type Config struct {
	Region    string
	AccountID string
	Now       func() time.Time // nil means time.Now
	// AWSPeriods restricts Period to AWS's values: 10, 20, 30 and
	// multiples of 60 seconds. Without it Tide takes any period of one
	// second or more, because its metrics have one-second resolution.
	AWSPeriods bool
	// MaxAlarms bounds the number of alarms (LimitExceeded beyond);
	// 0 means DefaultMaxAlarms.
	MaxAlarms int
	// HistoryPerAlarm bounds the history items kept per alarm name and
	// HistoryRetention their age (AWS keeps 30 days); 0 means the default.
	HistoryPerAlarm  int
	HistoryRetention time.Duration
	// Metrics is the metric store the metric operations serve; nil leaves
	// them out.
	Metrics MetricStore
}

// API serves the alarm operations of CloudWatch.
type API struct {
	store *store.Store
	log   *slog.Logger
	cfg   Config
	now   func() time.Time
	seq   atomic.Uint64 // orders the history items this server writes
}

// New returns the alarm API over st.
func New(st *store.Store, log *slog.Logger, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAlarms == 0 {
		cfg.MaxAlarms = DefaultMaxAlarms
	}
	if cfg.HistoryPerAlarm == 0 {
		cfg.HistoryPerAlarm = DefaultHistoryPerAlarm
	}
	if cfg.HistoryRetention == 0 {
		cfg.HistoryRetention = DefaultHistoryRetention
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{store: st, log: log, cfg: cfg, now: cfg.Now}
}

// Operations returns every alarm operation by name, for the CloudWatch
// service's edge registration (together with the metric operations).
func (a *API) Operations() map[string]edge.Operation {
	ops := map[string]edge.Operation{
		"PutMetricAlarm":          edge.Typed(a.putMetricAlarm),
		"DescribeAlarms":          edge.Typed(a.describeAlarms),
		"DescribeAlarmsForMetric": edge.Typed(a.describeAlarmsForMetric),
		"DeleteAlarms":            edge.Typed(a.deleteAlarms),
		"DescribeAlarmHistory":    edge.Typed(a.describeAlarmHistory),
		"SetAlarmState":           edge.Typed(a.setAlarmState),
		"EnableAlarmActions":      edge.Typed(a.enableAlarmActions),
		"DisableAlarmActions":     edge.Typed(a.disableAlarmActions),
		"TagResource":             edge.Typed(a.tagResource),
		"UntagResource":           edge.Typed(a.untagResource),
		"ListTagsForResource":     edge.Typed(a.listTagsForResource),
	}
	if a.cfg.Metrics != nil {
		ops["PutMetricData"] = edge.Typed(a.putMetricData)
		ops["GetMetricStatistics"] = edge.Typed(a.getMetricStatistics)
		ops["GetMetricData"] = edge.Typed(a.getMetricData)
		ops["ListMetrics"] = edge.Typed(a.listMetrics)
	}
	return ops
}

// ServiceName is CloudWatch's JSON target prefix and RPC v2 service name.
const ServiceName = "GraniteServiceVersion20100801"

// EdgeAPI is the edge registration of CloudWatch: every operation in
// awsquery, AWS JSON 1.0 and Smithy RPC v2 CBOR, with the awsQueryCompatible
// error header, and the error codes mapped to the shapes the AWS SDKs
// know them by.
func (a *API) EdgeAPI() *edge.API {
	return &edge.API{
		JSONPrefix: ServiceName, JSONVersion: "1.0", CBORService: ServiceName,
		QueryVersion: Version, QueryNamespace: Namespace, QueryCompatible: true,
		ErrorTypes: map[string]string{
			"InvalidParameterValue":       "InvalidParameterValueException",
			"MissingParameter":            "MissingRequiredParameterException",
			"InvalidParameterCombination": "InvalidParameterCombinationException",
		},
		Ops: a.Operations(),
	}
}

// AlarmARN is the ARN of the alarm named name
// ("arn:aws:cloudwatch:us-east-1:000000000000:alarm:name").
func (a *API) AlarmARN(name string) string { return a.arn(name) }

// arn is the ARN of the alarm named name.
func (a *API) arn(name string) string {
	return "arn:aws:cloudwatch:" + a.cfg.Region + ":" + a.cfg.AccountID + ":alarm:" + name
}

// ---------------------------------------------------------------- errors

// invalid is CloudWatch's ValidationError.
func invalid(format string, args ...any) error {
	return awserr.Client("ValidationError", format, args...)
}

// invalidValue is CloudWatch's InvalidParameterValue.
func invalidValue(format string, args ...any) error {
	return awserr.Client("InvalidParameterValue", format, args...)
}

// combination is CloudWatch's InvalidParameterCombination.
func combination(format string, args ...any) error {
	return awserr.Client("InvalidParameterCombination", format, args...)
}

// required is CloudWatch's MissingParameter for a member its own rules
// (not the model's) require.
func required(member string) error {
	return awserr.Client("MissingParameter", "The parameter %s is required.", member)
}

// constraint is the "1 validation error detected" message of AWS's front
// end for a member that breaks a constraint of the model.
func constraint(value any, member, c string) error {
	return invalid("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, c)
}

// missing is the front end's message for a required member left out.
func missing(member string) error {
	return invalid("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func notFound(name string) error {
	return awserr.New(404, "ResourceNotFound", "Alarm %s not found", name)
}

func checkLen(v *string, member string, lo, hi int) error {
	if v == nil {
		return nil
	}
	if n := len([]rune(*v)); n < lo {
		return constraint(*v, member, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	} else if n > hi {
		return constraint(*v, member, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	}
	return nil
}

func checkMin(v *int32, member string, lo int32) error {
	if v != nil && *v < lo {
		return constraint(*v, member, "Member must have value greater than or equal to "+strconv.Itoa(int(lo)))
	}
	return nil
}

func checkMax(v *int32, member string, hi int32) error {
	if v != nil && *v > hi {
		return constraint(*v, member, "Member must have value less than or equal to "+strconv.Itoa(int(hi)))
	}
	return nil
}

func checkEnum(v *string, member string, values ...string) error {
	if v == nil {
		return nil
	}
	for _, e := range values {
		if *v == e {
			return nil
		}
	}
	return constraint(*v, member, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

func checkCount[T any](list []T, member string, hi int) error {
	if len(list) > hi {
		return constraint(fmt.Sprint(list), member, "Member must have length less than or equal to "+strconv.Itoa(hi))
	}
	return nil
}

// storeErr turns store failures into API errors.
func storeErr(err error) error {
	if err == nil || awserr.As(err) != nil || errors.Is(err, context.Canceled) {
		return err
	}
	return awserr.New(503, "ServiceUnavailable", "The service cannot complete the request: %v", err)
}

func str(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
