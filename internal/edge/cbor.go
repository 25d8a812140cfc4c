package edge

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"tide/internal/awserr"
	"tide/internal/rpcv2"
	"tide/internal/sigv4"
)

// Smithy RPC v2 CBOR (smithy.protocols#rpcv2Cbor), which CloudWatch speaks
// besides awsquery and AWS JSON 1.0 and which the AWS SDK for Go v2 sends
// it by default:
//
//	POST {prefix}/service/{service}/operation/{operation}
//	Smithy-Protocol: rpc-v2-cbor
//	Content-Type: application/cbor      (absent with an empty body)
//
// The edge claims every request whose Smithy-Protocol header is
// rpc-v2-cbor; {service} is the service's shape name, or its absolute shape
// ID with '.' for '#'. Responses carry Smithy-Protocol: rpc-v2-cbor; a body
// (Content-Type application/cbor) unless the operation has no output (its
// Out type has no fields). Errors are {"__type": code, "message": text}
// with the error's status; a request that is not POST is 405, an unknown
// service or operation 404 UnknownOperationException (as smithy-rs's
// servers answer), a request carrying X-Amz-Target 400, a body over
// MaxBodyBytes 413. No X-Amzn-ErrorType header: the spec tells clients to
// ignore it. As in every protocol, a gzip body (Content-Encoding: gzip,
// which the SDKs use for CloudWatch's PutMetricData) is decompressed after
// its signature is verified, and errors of a query-compatible API carry
// x-amzn-query-error (see API.QueryCompatible).

// CBORHandler serves one operation in Smithy RPC v2 CBOR: it decodes body
// (an empty body is the empty input) and returns the encoded output, nil
// for an operation without output.
type CBORHandler func(ctx context.Context, body []byte) ([]byte, error)

// CBOROp adapts a typed operation to a CBORHandler. An Out without fields
// is Smithy's Unit: the response has no body.
func CBOROp[In, Out any](fn func(context.Context, *In) (*Out, error)) CBORHandler {
	t := reflect.TypeFor[Out]()
	unit := t.Kind() == reflect.Struct && t.NumField() == 0
	return func(ctx context.Context, body []byte) ([]byte, error) {
		in := new(In)
		if len(body) > 0 {
			if err := rpcv2.Unmarshal(body, in); err != nil {
				return nil, err
			}
		}
		out, err := fn(ctx, in)
		if err != nil || unit {
			return nil, err
		}
		if out == nil {
			return []byte{0xa0}, nil // the empty map
		}
		return rpcv2.Marshal(out)
	}
}

// cborService is one service's operations in RPC v2 CBOR.
type cborService struct {
	ops             map[string]CBORHandler
	queryCompatible bool
	errorTypes      map[string]string
}

func (e *Edge) registerCBOR(name string, s *cborService) {
	if e.cbor == nil {
		e.cbor = map[string]*cborService{}
	}
	if _, dup := e.cbor[name]; dup {
		panic("edge: two CBOR services named " + name)
	}
	e.cbor[name] = s
}

// isCBOR reports whether r says it is a Smithy RPC v2 CBOR request.
func isCBOR(r *http.Request) bool { return r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" }

// cborRoute returns the service and operation named by the last four
// segments of path: .../service/{service}/operation/{operation}.
func cborRoute(path string) (service, op string, ok bool) {
	cut := func(s string) (string, string) {
		i := strings.LastIndexByte(s, '/')
		if i < 0 {
			return "", ""
		}
		return s[:i], s[i+1:]
	}
	rest, op := cut(path)
	rest, opLit := cut(rest)
	rest, service = cut(rest)
	_, svcLit := cut(rest)
	if svcLit != "service" || opLit != "operation" || service == "" || op == "" {
		return "", "", false
	}
	if i := strings.LastIndexByte(service, '.'); i >= 0 {
		service = service[i+1:] // com.amazonaws.cloudwatch.GraniteServiceVersion20100801
	}
	return service, op, true
}

func (e *Edge) serveCBOR(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	name, op, _ := cborRoute(r.URL.Path)
	svc := e.cbor[name]
	if r.Method != http.MethodPost {
		writeCBORError(w, svc, awserr.New(http.StatusMethodNotAllowed, "UnknownOperationException", "Smithy RPC v2 CBOR requests must use POST"), "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeCBORError(w, svc, bodyError(err), "")
		return
	}
	if e.verifier != nil {
		id, err := e.verifier.Verify(r, body)
		if err != nil {
			var se *sigv4.Error
			if errors.As(err, &se) {
				writeCBORError(w, svc, &awserr.Error{Code: se.JSONCode(), Message: se.Message, Status: se.JSONStatus()}, se.QueryCode())
			} else {
				writeCBORError(w, svc, awserr.Internal(), "")
			}
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, id))
	}
	if body, err = decodeContent(r.Header, body); err != nil {
		writeCBORError(w, svc, bodyError(err), "")
		return
	}
	if r.Header.Get("X-Amz-Target") != "" || r.Header.Get("X-Amzn-Target") != "" {
		writeCBORError(w, svc, awserr.Serialization("a Smithy RPC v2 CBOR request must not carry X-Amz-Target"), "")
		return
	}
	var h CBORHandler
	if svc != nil {
		h = svc.ops[op]
	}
	if h == nil {
		writeCBORError(w, svc, awserr.New(http.StatusNotFound, "UnknownOperationException", ""), "")
		return
	}
	out, err := e.callCBOR(r.Context(), h, body)
	if err != nil {
		ae := awserr.As(err)
		if ae == nil {
			e.log.Error("operation failed", "op", name+"."+op, "request_id", RequestID(r.Context()), "dur", time.Since(start), "err", err)
			ae = awserr.Internal()
		} else {
			e.log.Debug("operation error", "op", name+"."+op, "request_id", RequestID(r.Context()), "code", ae.Code)
		}
		writeCBORError(w, svc, ae, "")
		return
	}
	writeCBOR(w, http.StatusOK, out)
}

// callCBOR runs h, turning a panic into a 500.
func (e *Edge) callCBOR(ctx context.Context, h CBORHandler, body []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("operation panicked", "panic", p, "request_id", RequestID(ctx))
			out, err = nil, awserr.Internal()
		}
	}()
	return h(ctx, body)
}

func writeCBOR(w http.ResponseWriter, status int, body []byte) {
	if body != nil {
		w.Header().Set("Content-Type", "application/cbor")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

type cborError struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// writeCBORError writes e for svc (nil when the path names none).
func writeCBORError(w http.ResponseWriter, svc *cborService, e *awserr.Error, queryCode string) {
	if svc != nil {
		e = queryCompatible(w.Header(), svc.queryCompatible, svc.errorTypes, e, queryCode)
	}
	b, _ := rpcv2.Marshal(cborError{Type: e.Code, Message: e.Message}) // two strings: cannot fail
	writeCBOR(w, e.Status, b)
}
