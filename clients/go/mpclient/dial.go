// Package mpclient connects to Marketpulse's gRPC services: Dial with retries and deadlines,
// credentials, and the reason and field violations of an error (google.rpc.Status details).
// The generated stubs are in marketpulse.dev/clients/go/marketpulse/<area>/v1.
package mpclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Options of Dial. The zero value dials in plaintext (loopback, or inside a mesh that adds TLS),
// without credentials, with a 10 s deadline for unary calls that have none.
type Options struct {
	// TLS, when set, encrypts the connection with this configuration.
	TLS *tls.Config
	// Token, when set, travels as `authorization: Bearer <Token>` on every call: a JWT or API key
	// of the gateway (the publish API requires one with the `publish` scope).
	Token string
	// CallTimeout is the deadline given to a unary call whose context has none (default 10 s).
	// Streams get none: they run until the caller cancels.
	CallTimeout time.Duration
	// MaxAttempts of a call that failed with UNAVAILABLE before the server saw it (default 4,
	// with exponential backoff from 100 ms; gRPC never retries a call the server answered).
	MaxAttempts int
}

// Dial opens a connection to addr ("127.0.0.1:50051") and waits until it is ready, retrying with
// backoff until ctx ends: a service that is still starting is waited for, an address where nothing
// ever answers fails when ctx does, naming the address and the last state.
func Dial(ctx context.Context, addr string, opts Options) (*grpc.ClientConn, error) {
	callTimeout := opts.CallTimeout
	if callTimeout <= 0 {
		callTimeout = 10 * time.Second
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 4
	}
	transport := insecure.NewCredentials()
	if opts.TLS != nil {
		transport = credentials.NewTLS(opts.TLS)
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultServiceConfig(retryServiceConfig(attempts)),
		grpc.WithChainUnaryInterceptor(defaultDeadline(callTimeout)),
	}
	if opts.Token != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(bearer{token: opts.Token, secure: opts.TLS != nil}))
	}
	conn, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("mpclient: %s: %w", addr, err)
	}
	if err := waitReady(ctx, conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mpclient: %s not ready: %w", addr, err)
	}
	return conn, nil
}

// waitReady connects and follows the connection's states until it is READY or ctx ends; gRPC
// reconnects with its own backoff in between (TRANSIENT_FAILURE -> CONNECTING).
func waitReady(ctx context.Context, conn *grpc.ClientConn) error {
	conn.Connect()
	for {
		state := conn.GetState()
		if state == connectivity.Ready {
			return nil
		}
		if state == connectivity.Idle {
			conn.Connect()
		}
		if !conn.WaitForStateChange(ctx, state) {
			return fmt.Errorf("last state %s: %w", state, ctx.Err())
		}
	}
}

// retryServiceConfig retries every method on UNAVAILABLE (the server did not get the call).
func retryServiceConfig(attempts int) string {
	return fmt.Sprintf(`{"methodConfig":[{"name":[{}],"retryPolicy":{"maxAttempts":%d,"initialBackoff":"0.1s","maxBackoff":"2s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`, attempts)
}

func defaultDeadline(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// bearer sends the token as the authorization metadata of every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false for plaintext connections so that loopback development works;
// over a network, set Options.TLS.
func (b bearer) RequireTransportSecurity() bool { return b.secure }
