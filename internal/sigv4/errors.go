// Package sigv4 verifies AWS Signature Version 4 signatures on the requests
// that stock AWS clients (aws CLI v1 and v2, the AWS SDK for Go v2, boto3)
// send to Tide, in both the Authorization header form and the presigned
// query-string form.
//
// # Wire errors
//
// Every failure is an *Error whose Reason selects the code and HTTP status
// AWS returns for it. JSON means the awsJson1_0, awsJson1_1 and rpcv2Cbor
// protocols (ECS, CloudWatch Logs, ...); Query means awsquery (ELBv2, SNS,
// CloudWatch query, ...).
//
//	Reason                       JSON code / status                        Query code / status
//	ReasonMissingAuthentication  MissingAuthenticationTokenException / 400  MissingAuthenticationToken / 403
//	ReasonIncompleteSignature    IncompleteSignatureException / 400         IncompleteSignature / 400
//	ReasonUnknownAccessKey       UnrecognizedClientException / 400          InvalidClientTokenId / 403
//	ReasonSignatureMismatch      InvalidSignatureException / 400            SignatureDoesNotMatch / 403
//	ReasonExpired                InvalidSignatureException / 400            SignatureDoesNotMatch / 403
//	ReasonWrongRegion            InvalidSignatureException / 400            SignatureDoesNotMatch / 403
//
// Messages are AWS's own, word for word, where captured AWS responses show
// them: "Request is missing Authentication Token", "The security token
// included in the request is invalid.", the long signature-mismatch text,
// "Signature expired: A is now earlier than B (C - 15 min.)", "Signature not
// yet current: A is still later than B (C + 15 min.)", "Credential should be
// scoped to a valid region, not 'R'. " (AWS ends it with a space), "'Host' or
// ':authority' must be a 'SignedHeader' in the AWS Authorization.", the
// "Authorization header requires 'Credential' parameter. ... Authorization=..."
// family, "'X' not a valid key=value pair (missing equal-sign) in
// Authorization header: '...'.", "Unsupported AWS 'algorithm': 'A'.", "Date
// must be in ISO-8601 'basic format'. ..." and "Credential must have exactly 5
// slash-delimited elements, ...". Checks run in the order AWS applies them,
// as reconstructed by the scratchstack-aws-signature project: form and
// syntax, host signed, date, time window, credential scope, access key,
// signature.
//
// # Choices where AWS is undocumented
//
// JSON services answered every captured failure with 400 (ECS, ECR, Cognito,
// Cloud9); no captured JSON response shows the status of
// MissingAuthenticationTokenException, and 400 is assumed like the rest. Its
// message is STS's and DynamoDB's "Request is missing Authentication Token";
// "Missing Authentication Token" is API Gateway's. Query statuses follow
// AWS's "Common Errors" pages and captured STS, SNS, SQS and SES responses.
//
// A Host header missing from SignedHeaders, a credential scope with a bad
// terminator or date, and a request carrying both an Authorization header
// and X-Amz-Algorithm are ReasonSignatureMismatch, because AWS answers them
// with InvalidSignatureException or SignatureDoesNotMatch. A presigned request
// whose X-Amz-Algorithm is not AWS4-HMAC-SHA256 counts as unauthenticated.
//
// A presigned request with X-Amz-Expires E expires when X-Amz-Date + E is in
// the past, reported as "Signature expired: A is now earlier than B (C - E.)"
// with E in minutes when whole ("5 min") and seconds otherwise ("90 sec"); it
// may be dated at most 15 minutes ahead. Without X-Amz-Expires the
// header-form ±15 minute rule applies. X-Amz-Expires errors use Amazon S3's
// wording. The header form also accepts a Date header (ISO 8601 basic or HTTP
// date) when X-Amz-Date is absent, as AWS's message says it does.
//
// The payload hash is the x-amz-content-sha256 header (or, presigned, query
// parameter) when present: UNSIGNED-PAYLOAD is taken as is, a hex digest must
// match the body (else ReasonSignatureMismatch) and any other value is
// ReasonIncompleteSignature. Otherwise it is the body's SHA-256; a presigned
// request also verifies against UNSIGNED-PAYLOAD, which some presigners sign
// (boto3 and the Go SDK sign the empty body's hash for non-S3 services).
//
// The canonical URI follows the rules for services other than S3. It is tried
// as the SDKs build it (the path as sent, encoded once more) and, when
// different, with "." ".." and empty segments removed as boto3 and AWS's test
// suite do. Limits this package adds (a 16 KiB Authorization header, 100
// signed headers, 1000 query parameters), a signed header absent from the
// request and a bad percent-escape in the query are incomplete signatures.
// Session tokens (X-Amz-Security-Token) are signed like any other value but
// not validated here.
package sigv4

import "net/http"

// Reason tells which verification step failed.
type Reason int

// The reasons Verify can fail.
const (
	// ReasonMissingAuthentication means the request has neither an
	// Authorization header nor a presigned query string.
	ReasonMissingAuthentication Reason = iota + 1
	// ReasonIncompleteSignature means the signature is malformed: bad
	// header syntax, missing parts, an unsupported algorithm or a bad date.
	ReasonIncompleteSignature
	// ReasonUnknownAccessKey means the access key ID is not known.
	ReasonUnknownAccessKey
	// ReasonSignatureMismatch means the signature does not match the request.
	ReasonSignatureMismatch
	// ReasonExpired means the request date is outside the allowed window.
	ReasonExpired
	// ReasonWrongRegion means the credential scope names another region.
	ReasonWrongRegion
)

// String returns a short lower-case name for the reason.
func (r Reason) String() string {
	switch r {
	case ReasonMissingAuthentication:
		return "missing authentication token"
	case ReasonIncompleteSignature:
		return "incomplete signature"
	case ReasonUnknownAccessKey:
		return "unknown access key"
	case ReasonSignatureMismatch:
		return "signature mismatch"
	case ReasonExpired:
		return "signature expired"
	case ReasonWrongRegion:
		return "wrong region"
	}
	return "invalid signature"
}

// Error is a verification failure. Reason tells which; the code and status
// methods give the wire error per protocol family.
type Error struct {
	Reason  Reason
	Message string
}

// Error returns the reason followed by AWS's message.
func (e *Error) Error() string { return "sigv4: " + e.Reason.String() + ": " + e.Message }

// JSONCode returns the error code AWS returns for this failure in the JSON
// and CBOR protocols.
func (e *Error) JSONCode() string {
	switch e.Reason {
	case ReasonMissingAuthentication:
		return "MissingAuthenticationTokenException"
	case ReasonIncompleteSignature:
		return "IncompleteSignatureException"
	case ReasonUnknownAccessKey:
		return "UnrecognizedClientException"
	}
	return "InvalidSignatureException"
}

// JSONStatus returns the HTTP status AWS returns for this failure in the
// JSON and CBOR protocols.
func (e *Error) JSONStatus() int { return http.StatusBadRequest }

// QueryCode returns the error code AWS returns for this failure in the
// awsquery protocol.
func (e *Error) QueryCode() string {
	switch e.Reason {
	case ReasonMissingAuthentication:
		return "MissingAuthenticationToken"
	case ReasonIncompleteSignature:
		return "IncompleteSignature"
	case ReasonUnknownAccessKey:
		return "InvalidClientTokenId"
	}
	return "SignatureDoesNotMatch"
}

// QueryStatus returns the HTTP status AWS returns for this failure in the
// awsquery protocol.
func (e *Error) QueryStatus() int {
	if e.Reason == ReasonIncompleteSignature {
		return http.StatusBadRequest
	}
	return http.StatusForbidden
}

// Messages AWS returns, word for word.
const (
	msgMissing        = "Request is missing Authentication Token"
	msgUnknownKey     = "The security token included in the request is invalid."
	msgMismatch       = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned  = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgNeedCredential = "Authorization header requires 'Credential' parameter."
	msgNeedSignature  = "Authorization header requires 'Signature' parameter."
	msgNeedSigned     = "Authorization header requires 'SignedHeaders' parameter."
	msgNeedDate       = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
	msgQueryReexamine = "Re-examine the query-string parameters."
	msgBadPayloadHash = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value."
)

func newError(r Reason, msg string) *Error { return &Error{Reason: r, Message: msg} }

func incomplete(msg string) *Error { return newError(ReasonIncompleteSignature, msg) }

func mismatch() *Error { return newError(ReasonSignatureMismatch, msgMismatch) }
