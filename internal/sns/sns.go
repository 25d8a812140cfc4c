// Package sns implements Amazon Simple Notification Service (version
// 2010-03-31, awsquery) for standard topics with http, https, email and
// email-json subscriptions: topics and their attributes and tags,
// subscriptions with AWS's confirmation handshake, Publish with message
// attributes, JSON message structures and filter policies, and reliable
// delivery of signed messages.
//
// State lives in the store under "sns/": a topic is one record at
// sns/topics/<name>, a subscription one record at sns/subs/<topic>/<id>,
// the message-signing key and certificate one record at sns/signing, each
// published message waits at sns/messages/<seq> until it has been fanned
// out to the topic's confirmed subscriptions, and each delivery (a
// notification or a subscription confirmation to one endpoint) is a record
// at sns/deliveries/<seq> until it is delivered or its retries run out.
// Publish and Subscribe only write records; Run, on the elected leader,
// fans messages out and delivers, so nothing is lost when a server
// restarts. Delivery retries follow the HTTP/S delivery policy of the
// subscription and topic (AWS's default: three retries 20 seconds apart)
// and AWS's fixed SMTP policy for email; docs/sns.md says what is
// implemented.
//
// Messages are signed as AWS documents ("Verifying the signatures of
// Amazon SNS messages") with an RSA key whose self-signed certificate is
// served by CertHandler; ConfirmHandler and UnsubscribeHandler serve the
// SubscribeURL and UnsubscribeURL that messages carry.
//
// It depends on the store, the edge's query adapter, awsquery and awserr;
// it knows nothing of the services that publish to it.
package sns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// The API's version and XML namespace.
const (
	Version   = "2010-03-31"
	Namespace = "http://sns.amazonaws.com/doc/2010-03-31/"
)

// Config holds what the API needs besides the store.
type Config struct {
	Region    string
	AccountID string
	Now       func() time.Time // nil means time.Now
	// BaseURL is the scheme and authority ("http://host:port") at which
	// subscribers reach the server's /_tide/sns/ handlers, for the request
	// ctx belongs to; nil means "http://" + edge.Host(ctx).
	BaseURL func(ctx context.Context) string
	// SMTPAddr is the host:port of the SMTP server that email deliveries
	// go through; empty refuses email subscriptions.
	SMTPAddr string
	// HTTPClient makes http and https deliveries; nil means a client with
	// AWS's 15-second delivery timeout.
	HTTPClient *http.Client
}

// API serves the SNS operations and delivers messages.
type API struct {
	store   *store.Store
	log     *slog.Logger
	cfg     Config
	now     func() time.Time
	arnBase string // "arn:aws:sns:REGION:ACCOUNT:"
	http    *http.Client
	poll    time.Duration // how often Run looks for due work when the store is quiet

	signMu sync.Mutex
	signer *signer // loaded or created on first use
}

// New returns the SNS API over st.
func New(st *store.Store, log *slog.Logger, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: deliveryTimeout}
	}
	return &API{store: st, log: log, cfg: cfg, now: cfg.Now, http: client, poll: time.Second,
		arnBase: "arn:aws:sns:" + cfg.Region + ":" + cfg.AccountID + ":"}
}

// Service returns the edge registration of every operation.
func (a *API) Service() *edge.QueryService {
	return &edge.QueryService{Version: Version, Namespace: Namespace, InvalidParameterCode: "InvalidParameter",
		Ops: map[string]edge.QueryHandler{
			"CreateTopic":               edge.QueryOp(a.createTopic),
			"DeleteTopic":               edge.QueryOp(a.deleteTopic),
			"ListTopics":                edge.QueryOp(a.listTopics),
			"GetTopicAttributes":        edge.QueryOp(a.getTopicAttributes),
			"SetTopicAttributes":        edge.QueryOp(a.setTopicAttributes),
			"Subscribe":                 edge.QueryOp(a.subscribe),
			"ConfirmSubscription":       edge.QueryOp(a.confirmSubscription),
			"Unsubscribe":               edge.QueryOp(a.unsubscribe),
			"ListSubscriptions":         edge.QueryOp(a.listSubscriptions),
			"ListSubscriptionsByTopic":  edge.QueryOp(a.listSubscriptionsByTopic),
			"GetSubscriptionAttributes": edge.QueryOp(a.getSubscriptionAttributes),
			"SetSubscriptionAttributes": edge.QueryOp(a.setSubscriptionAttributes),
			"Publish":                   edge.QueryOp(a.publish),
			"PublishBatch":              edge.QueryOp(a.publishBatch),
			"TagResource":               edge.QueryOp(a.tagResource),
			"UntagResource":             edge.QueryOp(a.untagResource),
			"ListTagsForResource":       edge.QueryOp(a.listTagsForResource),
		}}
}

// baseURL is where subscribers reach this server's /_tide/sns/ handlers,
// for the request ctx belongs to.
func (a *API) baseURL(ctx context.Context) string {
	var u string
	if a.cfg.BaseURL != nil {
		u = a.cfg.BaseURL(ctx)
	} else if h := edge.Host(ctx); h != "" {
		u = "http://" + h
	}
	if u == "" {
		u = "http://localhost"
	}
	return strings.TrimRight(u, "/")
}

// newUUID returns a random version 4 UUID, the form of AWS's message and
// subscription IDs.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newToken returns a confirmation or unsubscribe token: 128 hex digits of
// randomness, like AWS's.
func newToken() string {
	var b [64]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// empty is the result of operations that return nothing.
type empty struct{}

// ---------------------------------------------------------------- errors

// invalid is SNS's InvalidParameter with its "Invalid parameter: " prefix.
func invalid(format string, args ...any) error {
	return awserr.Client("InvalidParameter", "Invalid parameter: "+format, args...)
}

// invalidValue is SNS's ParameterValueInvalid, which message attribute
// errors use.
func invalidValue(format string, args ...any) error {
	return awserr.Client("ParameterValueInvalid", format, args...)
}

func topicNotFound() error {
	return awserr.New(http.StatusNotFound, "NotFound", "Topic does not exist")
}

func subNotFound() error {
	return awserr.New(http.StatusNotFound, "NotFound", "Subscription does not exist")
}

func resourceNotFound() error {
	return awserr.New(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
}

// storeErr turns store failures into API errors.
func storeErr(err error) error {
	if err == nil || awserr.As(err) != nil || errors.Is(err, context.Canceled) {
		return err
	}
	return awserr.New(http.StatusInternalServerError, "InternalError", "The request processing has failed: %v", err)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func str(s string) *string { return &s }
