package edge

import (
	"context"
)

// Operation is one operation served in every protocol its service speaks:
// CloudWatch takes the same operation as awsquery, AWS JSON 1.0 and
// Smithy RPC v2 CBOR. Typed builds all of them from one typed function whose
// input and output structs carry the AWS member names (Go field names, with
// `json:"Name,omitempty"` tags; awsjson.Time for timestamps).
type Operation struct {
	JSON  Handler
	Query QueryHandler
	CBOR  CBORHandler
}

// Typed adapts fn to every protocol.
func Typed[In, Out any](fn func(context.Context, *In) (*Out, error)) Operation {
	return Operation{JSON: Op(fn), Query: QueryOp(fn), CBOR: CBOROp(fn)}
}

// API is a service served in one or more protocols. An empty name leaves
// its protocol out.
type API struct {
	// JSONPrefix is the X-Amz-Target prefix (GraniteServiceVersion20100801)
	// and JSONVersion "1.0" or "1.1".
	JSONPrefix  string
	JSONVersion string
	// CBORService is the service's shape name, which Smithy RPC v2 CBOR
	// requests name in their path (/service/GraniteServiceVersion20100801/
	// operation/PutMetricData).
	CBORService string
	// QueryVersion and QueryNamespace serve awsquery requests.
	QueryVersion   string
	QueryNamespace string
	// InvalidParameterCode as in QueryService.
	InvalidParameterCode string
	// QueryCompatible marks a service with the awsQueryCompatible trait
	// (CloudWatch): its JSON and CBOR errors carry the header
	// x-amzn-query-error: {Code};{Sender|Receiver}, from which clients
	// take the error code they report, so that they report the awsquery
	// code whichever protocol they speak.
	QueryCompatible bool
	// ErrorTypes optionally names, by error code, the __type that JSON and
	// CBOR error bodies give instead of the code: the error's Smithy shape
	// when it is named otherwise (CloudWatch's InvalidParameterValue is the
	// shape InvalidParameterValueException), so that the AWS SDK for Go v2
	// returns its typed error (*types.InvalidParameterValueException, whose
	// ErrorCode() is then InvalidParameterValue). Clients strip a namespace
	// ("com.amazonaws.cloudwatch#") from a __type. Error messages are
	// written as "message", so shapes whose message member is "Message"
	// (CloudWatch's InternalServiceFault, ConflictException) lose it in the
	// Go SDK's typed error; leave those out.
	ErrorTypes map[string]string
	Ops        map[string]Operation
}

// RegisterAPI registers a in each protocol it names.
func (e *Edge) RegisterAPI(a *API) {
	if a.JSONPrefix != "" {
		s := &Service{TargetPrefix: a.JSONPrefix, JSONVersion: a.JSONVersion, Ops: map[string]Handler{},
			QueryCompatible: a.QueryCompatible, ErrorTypes: a.ErrorTypes}
		for name, op := range a.Ops {
			s.Ops[name] = op.JSON
		}
		e.Register(s)
	}
	if a.CBORService != "" {
		s := &cborService{ops: map[string]CBORHandler{}, queryCompatible: a.QueryCompatible, errorTypes: a.ErrorTypes}
		for name, op := range a.Ops {
			s.ops[name] = op.CBOR
		}
		e.registerCBOR(a.CBORService, s)
	}
	if a.QueryVersion != "" {
		q := &QueryService{Version: a.QueryVersion, Namespace: a.QueryNamespace, InvalidParameterCode: a.InvalidParameterCode, Ops: map[string]QueryHandler{}}
		for name, op := range a.Ops {
			q.Ops[name] = op.Query
		}
		e.RegisterQuery(q)
	}
}
