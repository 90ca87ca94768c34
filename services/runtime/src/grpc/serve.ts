import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import type { Logger } from '../log/logger';
import { toServiceError } from '../errors/grpc_status';
import { textViolations } from '../errors/request_text';
import { toAppError } from '../errors/unexpected';
import { assertValid } from '../errors/checks';
import { tolerantDecoder, undecodable } from './request_decoding';
import type { GrpcServiceRegistration } from './server';

/** A unary RPC: the decoded request in, the response (or a thrown AppError) out. */
export type UnaryHandler<Req, Res> = (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>;
/** A server-streaming RPC: writes to `call`; a throw or rejection ends the stream with its status. */
export type StreamHandler<Req, Res> = (request: Req, call: grpc.ServerWritableStream<Req, Res>) => void | Promise<void>;

/** The handlers of a generated `XServiceServer` interface, in the promise-returning form serveGrpc wraps. */
export type GrpcHandlers<S> = {
  [K in keyof S as string extends K ? never : K]: S[K] extends grpc.handleServerStreamingCall<infer Req, infer Res>
    ? StreamHandler<Req, Res>
    : S[K] extends grpc.handleUnaryCall<infer Req, infer Res>
      ? UnaryHandler<Req, Res>
      : never;
};

export interface ServeGrpcOptions {
  logger: Logger;
}

type AnyMethod = grpc.MethodDefinition<unknown, unknown>;

// Last resort when building the error itself failed: a status with no caller text at all.
const bareInternal = (): grpc.ServiceError =>
  Object.assign(new Error('internal error'), { code: grpc.status.INTERNAL, details: 'internal error', metadata: new grpc.Metadata() });

/**
 * THE gRPC handler wrapper of the suite: every unary and server-streaming handler of every service
 * runs inside it. It refuses request text no field may hold (NUL, lone surrogates), turns any
 * throw or rejection, synchronous or not, into a status with google.rpc.Status details
 * (toAppError: unexpected ones become INTERNAL with an error id), and never lets an exception
 * escape to grpc-js, where it would take the process down.
 */
export function serveGrpc<S>(
  definition: grpc.ServiceDefinition,
  handlers: GrpcHandlers<S>,
  options: ServeGrpcOptions,
): GrpcServiceRegistration {
  const implementation: grpc.UntypedServiceImplementation = {};
  const decoding: Record<string, AnyMethod> = {};
  for (const [name, method] of Object.entries(definition) as [string, AnyMethod][]) {
    decoding[name] = { ...method, requestDeserialize: tolerantDecoder(method.requestDeserialize) };
    const handler = (handlers as Record<string, unknown>)[name];
    if (typeof handler !== 'function') throw new TypeError(`serveGrpc: no handler for ${method.path}`);
    if (method.requestStream) throw new TypeError(`serveGrpc: ${method.path} streams requests, which no service of the suite does`);
    implementation[name] = method.responseStream
      ? wrapStream(method.path, handler as StreamHandler<unknown, unknown>, options.logger)
      : wrapUnary(method.path, handler as UnaryHandler<unknown, unknown>, options.logger);
  }
  return { definition: decoding as grpc.ServiceDefinition, implementation };
}

function serviceErrorOf(err: unknown, operation: string, logger: Logger, traceId: string | undefined): grpc.ServiceError {
  try {
    return toServiceError(toAppError(err, { logger, operation, traceId }));
  } catch (buildErr) {
    try {
      logger.error({ err: buildErr, operation }, 'could not build the error status of a failed request');
    } catch {
      // A logger that throws must not take the process down either.
    }
    return bareInternal();
  }
}

function checkRequest(request: unknown): void {
  const notDecoded = undecodable(request);
  if (notDecoded) throw notDecoded;
  assertValid(textViolations(request));
}

function wrapUnary(path: string, handler: UnaryHandler<unknown, unknown>, logger: Logger): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    let answered = false;
    const answer = (err: grpc.ServiceError | null, res?: unknown) => {
      if (answered) return;
      answered = true;
      try {
        callback(err, res);
      } catch (sendErr) {
        try {
          callback(serviceErrorOf(sendErr, path, logger, traceId));
        } catch {
          // The call is beyond reach (cancelled, closed): nothing left to tell the caller.
        }
      }
    };
    const fail = (err: unknown) => answer(serviceErrorOf(err, path, logger, traceId));
    try {
      checkRequest(call.request);
      Promise.resolve(handler(call.request, call)).then((res) => answer(null, res), fail);
    } catch (err) {
      fail(err);
    }
  };
}

function wrapStream(
  path: string,
  handler: StreamHandler<unknown, unknown>,
  logger: Logger,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    const fail = (err: unknown) => {
      try {
        call.emit('error', serviceErrorOf(err, path, logger, traceId));
      } catch {
        // The stream is already closed: nothing left to tell the caller.
      }
    };
    try {
      checkRequest(call.request);
      Promise.resolve(handler(call.request, call)).then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  };
}
