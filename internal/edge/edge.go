// Package edge is Tide's single HTTP front door: every AWS API, the health
// endpoint and (later) the registry share one listener. It authenticates AWS
// requests with Signature V4, routes AWS JSON requests by X-Amz-Target,
// Smithy RPC v2 CBOR requests (cbor.go) by path and awsquery requests
// (form-encoded, query.go) by Version and Action to the operation handlers
// that services register, and translates errors, once, into the AWS wire
// shape of the caller's protocol.
//
// It knows no service's semantics; services know nothing of HTTP.
package edge

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/sigv4"
)

// MaxBodyBytes bounds an API request body.
const MaxBodyBytes = 10 << 20

// maxCodings bounds the content codings a request body may stack.
const maxCodings = 2

// contentError is a request body whose Content-Encoding cannot be undone.
type contentError struct{ msg string }

func (e *contentError) Error() string { return e.msg }

// decodeContent undoes the Content-Encoding of a request body (as sent,
// which is what its signature covers): gzip, which the AWS SDKs and
// botocore apply to the bodies of operations with the requestCompression
// trait (CloudWatch's PutMetricData; from 10 KiB by default, from 0 bytes
// in an SDK client made from a bare aws.Config), or identity. The decoded
// body is bounded by MaxBodyBytes too: beyond it the error is an
// *http.MaxBytesError.
func decodeContent(h http.Header, body []byte) ([]byte, error) {
	if len(body) == 0 {
		return body, nil
	}
	var codings []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	if len(codings) > maxCodings {
		return nil, &contentError{"too many content codings: " + strings.Join(codings, ", ")}
	}
	for i := len(codings) - 1; i >= 0; i-- {
		if codings[i] != "gzip" && codings[i] != "x-gzip" {
			return nil, &contentError{"unsupported Content-Encoding " + codings[i]}
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, &contentError{"the request body is not gzip data"}
		}
		out, err := io.ReadAll(io.LimitReader(zr, MaxBodyBytes+1))
		if err != nil {
			return nil, &contentError{"the gzip request body is corrupt"}
		}
		if len(out) > MaxBodyBytes {
			return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
		}
		body = out
	}
	return body, nil
}

// Handler serves one operation: it decodes body and returns a value to encode
// as the response, or an error (an *awserr.Error for client faults).
type Handler func(ctx context.Context, body []byte) (any, error)

// Service is one AWS JSON service: its target prefix
// ("AmazonEC2ContainerServiceV20141113"), its JSON protocol version ("1.1" or
// "1.0") and its operations by name.
type Service struct {
	TargetPrefix string
	JSONVersion  string
	Ops          map[string]Handler
	// QueryCompatible and ErrorTypes are as in API.
	QueryCompatible bool
	ErrorTypes      map[string]string
}

// Edge is the HTTP handler of the edge port.
type Edge struct {
	log      *slog.Logger
	verifier *sigv4.Verifier
	services map[string]*Service
	queries  map[string]*QueryService // by Version
	cbor     map[string]*cborService  // by service name
	mux      *http.ServeMux
}

// New returns an Edge that verifies requests with v. A nil v disables
// authentication (tests of codecs only).
func New(log *slog.Logger, v *sigv4.Verifier) *Edge {
	return &Edge{log: log, verifier: v, services: map[string]*Service{}, mux: http.NewServeMux()}
}

// Register adds an AWS JSON service.
func (e *Edge) Register(s *Service) { e.services[s.TargetPrefix] = s }

// HandleSigned mounts h on pattern behind Signature V4 verification: h gets
// the request body once the signature checks out. Failures are answered in
// the AWS JSON error shape.
func (e *Edge) HandleSigned(pattern string, h func(w http.ResponseWriter, r *http.Request, body []byte)) {
	e.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err != nil {
			writeJSONError(w, "1.1", awserr.Serialization("could not read request body"))
			return
		}
		if e.verifier != nil {
			if _, err := e.verifier.Verify(r, body); err != nil {
				var se *sigv4.Error
				if errors.As(err, &se) {
					writeJSONError(w, "1.1", &awserr.Error{Code: se.JSONCode(), Message: se.Message, Status: se.JSONStatus()})
				} else {
					writeJSONError(w, "1.1", awserr.Internal())
				}
				return
			}
		}
		h(w, r, body)
	})
}

// WriteJSON writes v as a JSON response with the given status, or err in the
// AWS error shape when err is not nil.
func WriteJSON(w http.ResponseWriter, v any, err error) {
	if err != nil {
		ae := awserr.As(err)
		if ae == nil {
			ae = awserr.Internal()
		}
		writeJSONError(w, "1.1", ae)
		return
	}
	writeJSON(w, "1.1", http.StatusOK, v)
}

// Handle mounts a plain HTTP handler (health, registry, console) on pattern.
func (e *Edge) Handle(pattern string, h http.Handler) { e.mux.Handle(pattern, h) }

type requestIDKey struct{}

type callerKey struct{}

type hostKey struct{}

// Caller returns the verified identity of the request ctx belongs to.
func Caller(ctx context.Context) (sigv4.Identity, bool) {
	id, ok := ctx.Value(callerKey{}).(sigv4.Identity)
	return id, ok
}

// Host returns the Host header of the request ctx belongs to: the address
// the client reached the edge at.
func Host(ctx context.Context) string {
	h, _ := ctx.Value(hostKey{}).(string)
	return h
}

// RequestID returns the request ID that ctx carries.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := newRequestID()
	w.Header().Set("x-amzn-RequestId", id)
	ctx := context.WithValue(r.Context(), requestIDKey{}, id)
	ctx = context.WithValue(ctx, hostKey{}, r.Host)
	r = r.WithContext(ctx)
	if isCBOR(r) {
		e.serveCBOR(w, r)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && r.Header.Get("X-Amz-Target") != "" {
		e.serveJSON(w, r)
		return
	}
	if isQuery(r) {
		e.serveQuery(w, r)
		return
	}
	e.mux.ServeHTTP(w, r)
}

func (e *Edge) serveJSON(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	svc := e.services[prefix]
	version := "1.1"
	if svc != nil {
		version = svc.JSONVersion
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeServiceJSONError(w, svc, version, bodyError(err), "")
		return
	}
	if e.verifier != nil {
		id, err := e.verifier.Verify(r, body)
		if err != nil {
			var se *sigv4.Error
			if errors.As(err, &se) {
				writeServiceJSONError(w, svc, version, &awserr.Error{Code: se.JSONCode(), Message: se.Message, Status: se.JSONStatus()}, se.QueryCode())
			} else {
				writeServiceJSONError(w, svc, version, awserr.Internal(), "")
			}
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, id))
	}
	if body, err = decodeContent(r.Header, body); err != nil {
		writeServiceJSONError(w, svc, version, bodyError(err), "")
		return
	}
	var h Handler
	if svc != nil {
		h = svc.Ops[op]
	}
	if h == nil {
		writeServiceJSONError(w, svc, version, awserr.Client("UnknownOperationException", ""), "")
		return
	}
	out, err := e.call(r.Context(), h, body)
	if err != nil {
		ae := awserr.As(err)
		if ae == nil {
			e.log.Error("operation failed", "op", target, "request_id", RequestID(r.Context()), "dur", time.Since(start), "err", err)
			ae = awserr.Internal()
		} else {
			e.log.Debug("operation error", "op", target, "request_id", RequestID(r.Context()), "code", ae.Code)
		}
		writeServiceJSONError(w, svc, version, ae, "")
		return
	}
	writeJSON(w, version, http.StatusOK, out)
}

// call runs h, turning a panic into a 500 so that no input can take the
// server down.
func (e *Edge) call(ctx context.Context, h Handler, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("operation panicked", "panic", p, "request_id", RequestID(ctx))
			out, err = nil, awserr.Internal()
		}
	}()
	return h(ctx, body)
}
