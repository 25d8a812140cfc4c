package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"tide/internal/awserr"
	"tide/internal/awsquery"
	"tide/internal/sigv4"
)

// QueryHandler serves one operation of an awsquery service: it decodes the
// request parameters and returns the value whose fields make the
// <{Action}Result> element, or an error (an *awserr.Error for client
// faults, an *awsquery.Error for parameters that do not decode).
type QueryHandler func(ctx context.Context, params url.Values) (any, error)

// QueryService is one awsquery service (ELBv2, SNS, CloudWatch): its API
// version, which requests name in their Version parameter and by which the
// edge routes them, the XML namespace of its responses and its operations
// by Action.
type QueryService struct {
	Version   string
	Namespace string
	Ops       map[string]QueryHandler
	// InvalidParameterCode is the error code for parameters that do not
	// decode (unknown names, values of the wrong type); empty means
	// ValidationError, which ELBv2 and CloudWatch use.
	InvalidParameterCode string
}

// RegisterQuery adds an awsquery service. Two services may not share a
// version.
func (e *Edge) RegisterQuery(s *QueryService) {
	if e.queries == nil {
		e.queries = map[string]*QueryService{}
	}
	if _, dup := e.queries[s.Version]; dup {
		panic("edge: two query services with version " + s.Version)
	}
	e.queries[s.Version] = s
}

// QueryOp adapts a typed operation to a QueryHandler: it decodes the
// parameters into In with awsquery.Decode.
func QueryOp[In, Out any](fn func(context.Context, *In) (*Out, error)) QueryHandler {
	return func(ctx context.Context, params url.Values) (any, error) {
		in := new(In)
		if err := awsquery.Decode(params, in); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

// isQuery reports whether r is an awsquery request: a form-encoded POST or
// a GET whose query string names an Action, on the root path, without the
// JSON protocols' X-Amz-Target.
func isQuery(r *http.Request) bool {
	if r.URL.Path != "/" || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	switch r.Method {
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return mt == "application/x-www-form-urlencoded"
	case http.MethodGet:
		return r.URL.Query().Has("Action")
	}
	return false
}

// presignParams are the query parameters of a presigned request's
// signature: not operation input.
var presignParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}

// noVersion is what AWS names a missing Version in its InvalidAction message.
const noVersion = "NO_VERSION_SPECIFIED"

func (e *Edge) serveQuery(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var body []byte
	var cerr error // a Content-Encoding that cannot be undone, reported once the signature checks out
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		var err error
		var decoded []byte
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		if err == nil {
			decoded, cerr = decodeContent(r.Header, body)
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || errors.As(cerr, &tooBig) {
			writeQueryError(w, r, "", awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body exceeds the limit of %d bytes", MaxBodyBytes))
			return
		}
		if err != nil {
			writeQueryError(w, r, "", awserr.Client("MalformedQueryString", "could not read request body"))
			return
		}
		raw = string(decoded)
	}
	params, perr := url.ParseQuery(raw)
	version := params.Get("Version")
	svc := e.queries[version]
	ns := ""
	if svc != nil {
		ns = svc.Namespace
	}
	if e.verifier != nil {
		id, err := e.verifier.Verify(r, body)
		if err != nil {
			var se *sigv4.Error
			if errors.As(err, &se) {
				writeQueryError(w, r, ns, &awserr.Error{Code: se.QueryCode(), Message: se.Message, Status: se.QueryStatus()})
			} else {
				writeQueryError(w, r, ns, awserr.Internal())
			}
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, id))
	}
	if cerr != nil {
		writeQueryError(w, r, ns, awserr.Client("MalformedQueryString", "%v", cerr))
		return
	}
	if perr != nil {
		writeQueryError(w, r, ns, awserr.Client("MalformedQueryString", "The query string is malformed: %v", perr))
		return
	}
	if r.Method == http.MethodGet {
		for _, p := range presignParams {
			params.Del(p)
		}
	}
	action := params.Get("Action")
	if action == "" {
		writeQueryError(w, r, ns, awserr.Client("MissingAction", "The request must contain the parameter Action."))
		return
	}
	var h QueryHandler
	if svc != nil {
		h = svc.Ops[action]
	}
	if h == nil {
		if version == "" {
			version = noVersion
		}
		writeQueryError(w, r, ns, awserr.Client("InvalidAction", "Could not find operation %s for version %s", action, version))
		return
	}
	out, err := e.callQuery(r.Context(), h, params)
	if err != nil {
		var qe *awsquery.Error
		ae := awserr.As(err)
		switch {
		case errors.As(err, &qe):
			code := svc.InvalidParameterCode
			if code == "" {
				code = "ValidationError"
			}
			ae = awserr.Client(code, "%s", qe.Error())
		case ae == nil:
			e.log.Error("operation failed", "op", action, "request_id", RequestID(r.Context()), "dur", time.Since(start), "err", err)
			ae = awserr.Internal()
		default:
			e.log.Debug("operation error", "op", action, "request_id", RequestID(r.Context()), "code", ae.Code)
		}
		writeQueryError(w, r, ns, ae)
		return
	}
	var buf bytes.Buffer
	if err := awsquery.WriteResult(&buf, ns, action, RequestID(r.Context()), out); err != nil {
		e.log.Error("response encoding failed", "op", action, "err", err)
		writeQueryError(w, r, ns, awserr.Internal())
		return
	}
	writeXML(w, http.StatusOK, buf.Bytes())
}

// callQuery runs h, turning a panic into a 500.
func (e *Edge) callQuery(ctx context.Context, h QueryHandler, params url.Values) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("operation panicked", "panic", p, "request_id", RequestID(ctx))
			out, err = nil, awserr.Internal()
		}
	}()
	return h(ctx, params)
}

func writeXML(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeQueryError writes e in the awsquery error shape: Sender for 4xx,
// Receiver for 5xx.
func writeQueryError(w http.ResponseWriter, r *http.Request, namespace string, e *awserr.Error) {
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	var buf bytes.Buffer
	awsquery.WriteError(&buf, namespace, fault, e.Code, e.Message, RequestID(r.Context()))
	writeXML(w, e.Status, buf.Bytes())
}
