package mpclient

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// A refusal the gateway's publish API answers with a RetryInfo (RATE_LIMITED, PUBLISH_IN_PROGRESS):
// ReadError hands its delay over with the reason, as the gateway's own decoder reads it.
func TestReadErrorRetryAfter(t *testing.T) {
	st, err := status.New(codes.ResourceExhausted, "too many requests; retry in 7 s").WithDetails(
		&errdetails.ErrorInfo{Reason: "RATE_LIMITED", Domain: "marketpulse", Metadata: map[string]string{"retry_after_seconds": "7"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(7 * time.Second)},
	)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := ReadError(st.Err())
	if !ok {
		t.Fatal("not read as a gRPC status")
	}
	if e.Reason != "RATE_LIMITED" || e.RetryAfter != 7*time.Second {
		t.Fatalf("got reason %q and retry after %v, want RATE_LIMITED and 7s", e.Reason, e.RetryAfter)
	}
	plain, _ := ReadError(status.Error(codes.NotFound, "no such rule"))
	if plain.RetryAfter != 0 {
		t.Fatalf("an error without RetryInfo reads a retry delay of %v", plain.RetryAfter)
	}
}

// A delay from whoever answered is read within 0 to MaxRetryAfter: a negative one would make a
// retry loop spin, ten thousand years park it for good.
func TestReadErrorBoundsRetryAfter(t *testing.T) {
	for _, c := range []struct {
		delay *durationpb.Duration
		want  time.Duration
	}{
		{&durationpb.Duration{Seconds: -5}, 0},
		{&durationpb.Duration{Seconds: 315_576_000_000}, MaxRetryAfter},
		{&durationpb.Duration{Seconds: 1<<63 - 1}, MaxRetryAfter},
		{durationpb.New(90 * time.Second), 90 * time.Second},
	} {
		st, err := status.New(codes.ResourceExhausted, "later").WithDetails(&errdetails.RetryInfo{RetryDelay: c.delay})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := ReadError(st.Err())
		if e.RetryAfter != c.want {
			t.Fatalf("a delay of %v s reads %v, want %v", c.delay.GetSeconds(), e.RetryAfter, c.want)
		}
	}
}
