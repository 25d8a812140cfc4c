// Package awserr defines the error every Tide API returns to a client: an AWS
// error code, a message and an HTTP status. Domain packages create or wrap these;
// the edge translates them once into the wire shape of the caller's protocol.
//
// It depends on nothing but the standard library.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an API error in AWS's terms.
type Error struct {
	Code    string // AWS error code, such as "ClusterNotFoundException"
	Message string
	Status  int // HTTP status; 400 for client faults, 500 for server faults
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an Error with a formatted message.
func New(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status}
}

// Client returns a 400 error with the given code.
func Client(code, format string, args ...any) *Error {
	return New(http.StatusBadRequest, code, format, args...)
}

// InvalidParameter is ECS's InvalidParameterException.
func InvalidParameter(format string, args ...any) *Error {
	return Client("InvalidParameterException", format, args...)
}

// ClientException is ECS's ClientException.
func ClientException(format string, args ...any) *Error {
	return Client("ClientException", format, args...)
}

// Validation is the generic ValidationException used by many AWS services.
func Validation(format string, args ...any) *Error {
	return Client("ValidationException", format, args...)
}

// Serialization is returned when a request body cannot be decoded.
func Serialization(format string, args ...any) *Error {
	return Client("SerializationException", format, args...)
}

// Internal wraps an unexpected failure as a 500 without leaking its text.
func Internal() *Error {
	return &Error{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
}

// As returns the *Error inside err, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
