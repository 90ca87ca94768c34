import * as grpc from '@grpc/grpc-js';
import { readGrpcError } from '@marketpulse/runtime';
import { ApiError, errorIdOf } from '../errors';

/** A generated grpc-js client method in its (request, metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface UnaryTarget {
  /** Service name people know (`webhook-delivery`), named in 503/504 errors. */
  service: string;
  address: string;
  deadlineMs: number;
}

/**
 * One unary call with a deadline; a failure becomes an ApiError (fromGrpc).
 */
export function callUnary<Req, Res>(
  target: UnaryTarget,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata = new grpc.Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + target.deadlineMs }, (err, response) => {
      if (err) reject(fromGrpc(target, err));
      else resolve(response);
    });
  });
}

/** Statuses that mean the service failed, not the request: their text never reaches a client. */
const SERVICE_FAILURES = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DATA_LOSS]);

/**
 * A service's error as the API's: the same reason (as `code`), message and field list as its
 * google.rpc.Status; a service down or too slow names the service, not its address; a service
 * failure is INTERNAL with the service's error id (its log line), never its text.
 */
export function fromGrpc(target: UnaryTarget, err: unknown): ApiError {
  const e = readGrpcError(err);
  const fromService = e.domain !== '';
  const service = { service: target.service };
  if (e.code === grpc.status.UNAVAILABLE && !fromService) {
    return new ApiError(e.code, 'SERVICE_UNAVAILABLE', `the ${target.service} service is unavailable; try again shortly`, service);
  }
  if (e.code === grpc.status.DEADLINE_EXCEEDED && !fromService) {
    return new ApiError(
      e.code,
      'SERVICE_TIMEOUT',
      `the ${target.service} service did not answer within ${target.deadlineMs} ms; try again shortly`,
      service,
    );
  }
  if (SERVICE_FAILURES.has(e.code)) {
    const errorId = e.metadata.error_id ?? errorIdOf(err);
    return new ApiError(
      grpc.status.INTERNAL,
      'INTERNAL',
      `the ${target.service} service failed to handle this request; it has been logged with error id ${errorId}, try again later`,
      { ...service, error_id: errorId },
      err,
    );
  }
  const fields = e.violations.map((v) => ({ field: v.field, message: v.description }));
  return new ApiError(e.code, e.reason, e.message, { ...e.metadata, ...service, ...(fields.length > 0 ? { fields } : {}) });
}
