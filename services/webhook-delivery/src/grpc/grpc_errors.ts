import * as grpc from '@grpc/grpc-js';
import { grpcError, type Logger } from '@marketpulse/runtime';
import { WebhookError, type WebhookErrorCode } from '../errors';

const STATUS: Record<WebhookErrorCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  INVALID_URL: grpc.status.INVALID_ARGUMENT,
  URL_FORBIDDEN: grpc.status.INVALID_ARGUMENT,
  INVALID_SECRET: grpc.status.INVALID_ARGUMENT,
  INVALID_EVENT_TYPE: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PAYLOAD_TOO_LARGE: grpc.status.FAILED_PRECONDITION,
  ENDPOINT_DISABLED: grpc.status.FAILED_PRECONDITION,
  DELIVERY_IN_FLIGHT: grpc.status.FAILED_PRECONDITION,
};

/** Wraps a unary handler: WebhookErrors keep their code (mp-error-code metadata), anything else is INTERNAL and logged. */
export function unary<Req, Res>(method: string, logger: Logger, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => {
        if (err instanceof WebhookError) {
          callback(grpcError(STATUS[err.code], err.message, { appCode: err.code }));
          return;
        }
        logger.error({ err, method }, 'webhook request failed');
        callback(grpcError(grpc.status.INTERNAL, `${method} failed inside the webhook service; retry, and report it if it persists`, { appCode: 'INTERNAL' }));
      },
    );
  };
}
