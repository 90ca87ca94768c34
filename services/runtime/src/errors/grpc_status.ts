import * as grpc from '@grpc/grpc-js';
import type { AppError, FieldViolation } from './app_error';
import { asciiJson, wellFormed } from './safe_text';
import { encodeStatus } from './status_codec';

/** Trailer holding the binary google.rpc.Status (ErrorInfo + BadRequest), read by every gRPC status-details library. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** Text trailer with the reason alone, for tools that only show text metadata (grpcurl -v). */
export const APP_ERROR_CODE_KEY = 'mp-error-code';
/** Text trailer with `{reason, domain, metadata, violations}` as ASCII-escaped JSON: the Status details for readers without protobuf. */
export const APP_ERROR_DETAILS_KEY = 'mp-error-details';

/*
 * Trailers are HTTP/2 headers: clients refuse lists over 8 KiB (gRPC C-core's default), and a
 * refused trailer loses the whole status. Whatever a request made the error say is cut to fit.
 */
const MAX_MESSAGE = 512;
const MAX_VIOLATIONS = 10;
const MAX_FIELD = 128;
const MAX_DESCRIPTION = 256;
const MAX_METADATA = 8;
const MAX_METADATA_VALUE = 256;
const MAX_STATUS_BYTES = 3072;
const MAX_JSON_CHARS = 2048;

const cut = (text: string, max: number) => {
  const points = [...wellFormed(text)];
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : points.join('');
};

interface Bounded {
  message: string;
  violations: FieldViolation[];
  metadata: Record<string, string>;
}

function bounded(err: AppError): Bounded {
  return {
    message: cut(err.message, MAX_MESSAGE),
    violations: err.violations
      .slice(0, MAX_VIOLATIONS)
      .map((v) => ({ field: cut(v.field, MAX_FIELD), description: cut(v.description, MAX_DESCRIPTION) })),
    metadata: Object.fromEntries(
      Object.entries(err.metadata)
        .slice(0, MAX_METADATA)
        .map(([k, v]) => [k, cut(v, MAX_METADATA_VALUE)]),
    ),
  };
}

function statusBytes(err: AppError, b: Bounded): Buffer {
  let violations = b.violations;
  for (;;) {
    const bytes = encodeStatus({
      code: err.status,
      message: b.message,
      errorInfo: { reason: err.reason, domain: err.domain, metadata: b.metadata },
      violations,
      ...(err.retryAfterSeconds === undefined ? {} : { retryDelaySeconds: Math.max(0, Math.ceil(err.retryAfterSeconds)) }),
    });
    if (bytes.length <= MAX_STATUS_BYTES || violations.length === 0) return bytes;
    violations = violations.slice(0, Math.floor(violations.length / 2));
  }
}

function detailsJson(err: AppError, b: Bounded): string {
  const full = asciiJson({ reason: err.reason, domain: err.domain, metadata: b.metadata, violations: b.violations });
  if (full.length <= MAX_JSON_CHARS) return full;
  return asciiJson({ reason: err.reason, domain: err.domain, metadata: {}, violations: [] });
}

/**
 * The ServiceError a grpc-js server sends for an AppError. Only the binary trailer and ASCII-safe
 * JSON carry caller-supplied text, cut to a size every client accepts, so building and sending it
 * cannot fail whatever the request contained.
 */
export function toServiceError(err: AppError): grpc.ServiceError {
  const b = bounded(err);
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, statusBytes(err, b));
  metadata.set(APP_ERROR_CODE_KEY, err.reason);
  metadata.set(APP_ERROR_DETAILS_KEY, detailsJson(err, b));
  return Object.assign(new Error(b.message), { code: err.status, details: b.message, metadata });
}
