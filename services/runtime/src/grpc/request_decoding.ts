import * as grpc from '@grpc/grpc-js';
import type { AppError } from '../errors/app_error';
import { commonError } from '../errors/error_domain';
import { toServiceError } from '../errors/grpc_status';

/**
 * Request bytes that do not decode. grpc-js answers a decoder that throws with INTERNAL "Error
 * deserializing request: <the decoder's message>" (a server fault, and the library's words), so
 * every service of ours decodes with tolerantDecoder instead and answers INVALID_ARGUMENT with the
 * suite's code and an actionable reason (undecodable).
 */
export class Undecodable {
  constructor(
    readonly error: unknown,
    /** Whether the bytes begin like a JSON object or array. */
    readonly jsonLike: boolean,
  ) {}
}

// ts-proto's decoder throws on values the wire allows but JS cannot hold (a Timestamp of year 10^9).
export const tolerantDecoder =
  (decode: (bytes: Buffer) => unknown) =>
  (bytes: Buffer): unknown => {
    try {
      return decode(bytes);
    } catch (err) {
      // `{` and `[` are tags of wire type 3 (a group), which no proto3 message has: bytes that start so
      // and fail to decode are JSON, as an `application/grpc+json` client sends. grpc-js drops the
      // request's content-type before any interceptor or handler sees it (server-interceptors.js,
      // BaseServerInterceptingCall), so the type itself cannot be refused without patching grpc-js.
      return new Undecodable(err, bytes[0] === 0x7b || bytes[0] === 0x5b);
    }
  };

/** What protobuf readers throw when a field runs past the end of the bytes (@bufbuild/protobuf, protobufjs): a RangeError too. */
const TRUNCATED = /^premature EOF|^index out of range/;

/** The INVALID_ARGUMENT a request that did not decode is answered with; undefined for a decoded one. */
export function undecodable(request: unknown): AppError | undefined {
  if (!(request instanceof Undecodable)) return undefined;
  const { error } = request;
  const reason = request.jsonLike
    ? 'it looks like JSON, and this server reads protobuf only (application/grpc or application/grpc+proto, not application/grpc+json)'
    : !(error instanceof RangeError)
      ? 'it is not valid protobuf for this method'
      : TRUNCATED.test(error.message)
        ? 'it is truncated (a field runs past the end of the message); send the whole encoded message'
        : 'a value is out of range (e.g. a timestamp no date can hold)';
  return commonError('INVALID_ARGUMENT', `the request could not be decoded: ${reason}`);
}

type AnyMethod = grpc.MethodDefinition<unknown, unknown>;
type AnyHandler = (...args: unknown[]) => void;

/**
 * A service whose handlers are not ours (grpc.health.v1 from grpc-health-check), made to answer
 * undecodable requests as ours do: decoded with tolerantDecoder, and a request that did not decode
 * is refused INVALID_ARGUMENT before its handler runs. Unary and server-streaming methods only (a
 * streamed request is a handler's own to check, as reflection does).
 */
export function refusingUndecodable(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const decoding: Record<string, AnyMethod> = {};
  const guarded: Record<string, AnyHandler> = {};
  for (const [name, method] of Object.entries(definition) as [string, AnyMethod][]) {
    // proto-loader's definitions name a method both ways (`Check`, originalName `check`); grpc-health-check uses the latter.
    const handler = (implementation[name] ?? (method.originalName !== undefined ? implementation[method.originalName] : undefined)) as
      AnyHandler | undefined;
    if (method.requestStream || handler === undefined) {
      decoding[name] = method;
      if (handler) guarded[name] = handler;
      continue;
    }
    decoding[name] = { ...method, requestDeserialize: tolerantDecoder(method.requestDeserialize) };
    guarded[name] = method.responseStream
      ? (call: unknown) => {
          const refusal = undecodable((call as grpc.ServerWritableStream<unknown, unknown>).request);
          if (!refusal) return handler(call);
          (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', toServiceError(refusal));
        }
      : (call: unknown, callback: unknown) => {
          const refusal = undecodable((call as grpc.ServerUnaryCall<unknown, unknown>).request);
          if (!refusal) return handler(call, callback);
          (callback as grpc.sendUnaryData<unknown>)(toServiceError(refusal));
        };
  }
  return { definition: decoding as grpc.ServiceDefinition, implementation: guarded as grpc.UntypedServiceImplementation };
}
