import * as grpc from '@grpc/grpc-js';
import { readGrpcError } from '@marketpulse/runtime';
import { ApiError } from './errors';

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
 * One unary call with a deadline. A service that is down or too slow becomes a 503/504 naming it;
 * any other status keeps the service's own code and message (they are written for people).
 */
export function callUnary<Req, Res>(target: UnaryTarget, method: UnaryMethod<Req, Res>, request: Req, metadata = new grpc.Metadata()): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, metadata, { deadline: Date.now() + target.deadlineMs }, (err, response) => {
      if (err) reject(fromGrpc(target, err));
      else resolve(response);
    });
  });
}

export function fromGrpc(target: UnaryTarget, err: unknown): ApiError {
  const e = readGrpcError(err);
  if (e.code === grpc.status.UNAVAILABLE) {
    return new ApiError(e.code, 'SERVICE_UNAVAILABLE', `the ${target.service} service is unavailable (${target.address}); try again shortly`, {
      service: target.service,
    });
  }
  if (e.code === grpc.status.DEADLINE_EXCEEDED) {
    return new ApiError(e.code, 'SERVICE_TIMEOUT', `the ${target.service} service did not answer within ${target.deadlineMs} ms; try again shortly`, {
      service: target.service,
    });
  }
  const details = e.fields ? { ...e.fields, service: target.service } : { service: target.service };
  return new ApiError(e.code, e.appCode, e.message, details);
}
