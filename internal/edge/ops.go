package edge

import (
	"context"
	"net/url"

	"tide/internal/awsquery"
)

// Operation is one operation served in every protocol its service speaks:
// CloudWatch takes the same operation as awsquery, AWS JSON 1.0 and
// Smithy RPC v2 CBOR. Typed builds all of them from one typed function whose
// input and output structs carry the AWS member names (Go field names, with
// `json:"Name,omitempty"` tags; awsjson.Time for timestamps).
type Operation struct {
	JSON  Handler
	Query QueryHandler
}

// Typed adapts fn to every protocol.
func Typed[In, Out any](fn func(context.Context, *In) (*Out, error)) Operation {
	return Operation{
		JSON: Op(fn),
		Query: func(ctx context.Context, params url.Values) (any, error) {
			in := new(In)
			if err := awsquery.Decode(params, in); err != nil {
				return nil, err
			}
			return fn(ctx, in)
		},
	}
}

// API is a service served in one or more protocols. An empty name leaves
// its protocol out.
type API struct {
	// JSONPrefix is the X-Amz-Target prefix (GraniteServiceVersion20100801)
	// and JSONVersion "1.0" or "1.1".
	JSONPrefix  string
	JSONVersion string
	// QueryVersion and QueryNamespace serve awsquery requests.
	QueryVersion   string
	QueryNamespace string
	// InvalidParameterCode as in QueryService.
	InvalidParameterCode string
	Ops                  map[string]Operation
}

// RegisterAPI registers a in each protocol it names.
func (e *Edge) RegisterAPI(a *API) {
	if a.JSONPrefix != "" {
		s := &Service{TargetPrefix: a.JSONPrefix, JSONVersion: a.JSONVersion, Ops: map[string]Handler{}}
		for name, op := range a.Ops {
			s.Ops[name] = op.JSON
		}
		e.Register(s)
	}
	if a.QueryVersion != "" {
		q := &QueryService{Version: a.QueryVersion, Namespace: a.QueryNamespace, InvalidParameterCode: a.InvalidParameterCode, Ops: map[string]QueryHandler{}}
		for name, op := range a.Ops {
			q.Ops[name] = op.Query
		}
		e.RegisterQuery(q)
	}
}
