package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"

	"tide/internal/awserr"
	"tide/internal/awsjson"
)

// Op adapts a typed operation to a Handler: it decodes the request as AWS JSON
// (an empty body is an empty object) and reports decoding failures as AWS's
// SerializationException.
func Op[In, Out any](fn func(context.Context, *In) (*Out, error)) Handler {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := Decode(body, in); err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}
}

// Decode unmarshals an AWS JSON request body into v.
func Decode(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return awserr.Serialization("Start of structure or map found where not expected.")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return awserr.Serialization("%s can not be converted to %s", jsonKind(te.Value), awsType(te.Type))
	}
	var ate *awsjson.TypeError
	if errors.As(err, &ate) {
		return awserr.Serialization("%s", ate.Error())
	}
	return awserr.Serialization("")
}

func jsonKind(v string) string {
	switch v {
	case "string":
		return "STRING_VALUE"
	case "number":
		return "NUMBER_VALUE"
	case "bool":
		return "BOOLEAN_VALUE"
	case "array":
		return "START_ARRAY"
	case "object":
		return "START_OBJECT"
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return "NUMBER_VALUE"
	}
	return "VALUE"
}

func awsType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Int, reflect.Int32, reflect.Int16, reflect.Int8:
		return "Integer"
	case reflect.Int64:
		return "Long"
	case reflect.Float32, reflect.Float64:
		return "Double"
	case reflect.Slice:
		return "List"
	case reflect.Map:
		return "Map"
	}
	return "Structure"
}

// RawJSON is a response body that its operation has already encoded (for
// hot paths that memoize their encodings); the edge writes it as is.
type RawJSON []byte

func writeJSON(w http.ResponseWriter, version string, status int, v any) {
	var b []byte
	var err error
	if raw, ok := v.(*RawJSON); ok {
		b = *raw
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"InternalFailure","message":"response encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

type jsonError struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

func writeJSONError(w http.ResponseWriter, version string, e *awserr.Error) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSON(w, version, e.Status, jsonError{Type: e.Code, Message: e.Message})
}

// queryCompatible prepares the JSON or CBOR error e of a service: when the
// service has the awsQueryCompatible trait (enabled), it sets
// x-amzn-query-error to "{code};Sender" (status below 500) or
// "{code};Receiver", from which the SDKs and botocore take the awsquery
// error code they report; code is queryCode if given (signature failures
// have codes of their own in awsquery), else e's. It returns the error to
// write: e, or a copy whose code is types[e.Code] when types names a __type
// for it (the Smithy error shape, such as InvalidParameterValueException
// for InvalidParameterValue, which the Go SDK maps to its typed errors).
func queryCompatible(h http.Header, enabled bool, types map[string]string, e *awserr.Error, queryCode string) *awserr.Error {
	if enabled {
		if queryCode == "" {
			queryCode = e.Code
		}
		fault := "Sender"
		if e.Status >= 500 {
			fault = "Receiver"
		}
		h.Set("X-Amzn-Query-Error", queryCode+";"+fault)
	}
	if t, ok := types[e.Code]; ok {
		return &awserr.Error{Code: t, Message: e.Message, Status: e.Status}
	}
	return e
}

// bodyError is the JSON and CBOR error for a request body that could not
// be read or decoded.
func bodyError(err error) *awserr.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request body exceeds the limit of %d bytes", MaxBodyBytes)
	}
	var ce *contentError
	if errors.As(err, &ce) {
		return awserr.Serialization("%s", ce.msg)
	}
	return awserr.Serialization("could not read request body")
}

// writeServiceJSONError writes e for svc (nil when the target names none).
func writeServiceJSONError(w http.ResponseWriter, svc *Service, version string, e *awserr.Error, queryCode string) {
	if svc != nil {
		e = queryCompatible(w.Header(), svc.QueryCompatible, svc.ErrorTypes, e, queryCode)
	}
	writeJSONError(w, version, e)
}
