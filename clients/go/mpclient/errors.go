package mpclient

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FieldViolation is one invalid field of a request (google.rpc.BadRequest).
type FieldViolation struct {
	Field       string
	Description string
}

// Error is what a Marketpulse service says about a failed call: the gRPC code and message, and
// from the google.rpc.Status details in the grpc-status-details-bin trailer the stable Reason
// (ErrorInfo.reason, e.g. "RULE_NOT_FOUND"), its Domain and Metadata, and the field Violations
// of an INVALID_ARGUMENT (BadRequest). Branch on Code and Reason, never on Message. RetryAfter is
// the google.rpc.RetryInfo delay of a refusal the same call may get past later (RATE_LIMITED,
// PUBLISH_IN_PROGRESS): wait that long before trying again; 0 when the error carries none. It is
// read within 0 to MaxRetryAfter.
type Error struct {
	Code       codes.Code
	Message    string
	Reason     string
	Domain     string
	Metadata   map[string]string
	Violations []FieldViolation
	RetryAfter time.Duration
}

// MaxRetryAfter bounds Error.RetryAfter. The services ask for a minute or two at most
// (API_RATE_LIMIT_PER_MINUTE, PUBLISH_ID_LEASE_SECONDS); whatever answered in between may ask for
// years, or for a negative delay, and a retry loop would then park for as long or spin.
const MaxRetryAfter = time.Hour

// ReadError reads err as returned by a generated client's method. ok is false when err is not a
// gRPC status at all (nil, or an error of the caller's own).
func ReadError(err error) (e Error, ok bool) {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return Error{}, false
	}
	e = Error{Code: st.Code(), Message: st.Message(), Metadata: map[string]string{}}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Domain = d.GetReason(), d.GetDomain()
			for k, v := range d.GetMetadata() {
				e.Metadata[k] = v
			}
		case *errdetails.RetryInfo:
			e.RetryAfter = min(max(d.GetRetryDelay().AsDuration(), 0), MaxRetryAfter)
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Violations = append(e.Violations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return e, true
}
