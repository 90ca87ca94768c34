import { status as GrpcStatus } from '@grpc/grpc-js';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';

/**
 * THE table: every error the API returns, whatever raised it (a service over gRPC, auth, the rate
 * limiter, input validation), is classified by a gRPC status, and this row decides its HTTP status
 * (REST) and its tRPC code (/trpc). Nothing else in the gateway picks an HTTP status for an error.
 */
export const STATUS_TABLE: Readonly<Record<GrpcStatus, { http: number; trpc: TRPC_ERROR_CODE_KEY }>> = {
  [GrpcStatus.OK]: { http: 200, trpc: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.CANCELLED]: { http: 499, trpc: 'CLIENT_CLOSED_REQUEST' },
  [GrpcStatus.UNKNOWN]: { http: 500, trpc: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.INVALID_ARGUMENT]: { http: 400, trpc: 'BAD_REQUEST' },
  [GrpcStatus.DEADLINE_EXCEEDED]: { http: 504, trpc: 'GATEWAY_TIMEOUT' },
  [GrpcStatus.NOT_FOUND]: { http: 404, trpc: 'NOT_FOUND' },
  [GrpcStatus.ALREADY_EXISTS]: { http: 409, trpc: 'CONFLICT' },
  [GrpcStatus.PERMISSION_DENIED]: { http: 403, trpc: 'FORBIDDEN' },
  [GrpcStatus.RESOURCE_EXHAUSTED]: { http: 429, trpc: 'TOO_MANY_REQUESTS' },
  [GrpcStatus.FAILED_PRECONDITION]: { http: 412, trpc: 'PRECONDITION_FAILED' },
  [GrpcStatus.ABORTED]: { http: 409, trpc: 'CONFLICT' },
  [GrpcStatus.OUT_OF_RANGE]: { http: 400, trpc: 'BAD_REQUEST' },
  [GrpcStatus.UNIMPLEMENTED]: { http: 501, trpc: 'NOT_IMPLEMENTED' },
  [GrpcStatus.INTERNAL]: { http: 500, trpc: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.UNAVAILABLE]: { http: 503, trpc: 'SERVICE_UNAVAILABLE' },
  [GrpcStatus.DATA_LOSS]: { http: 500, trpc: 'INTERNAL_SERVER_ERROR' },
  [GrpcStatus.UNAUTHENTICATED]: { http: 401, trpc: 'UNAUTHORIZED' },
};

/** Extra facts a client can act on; `fields` names each invalid input field. */
export interface ErrorDetails {
  fields?: { field: string; message: string }[];
  service?: string;
  retry_after_seconds?: number;
  required_scope?: string;
  [key: string]: unknown;
}

/** The one JSON error body of every REST answer: `{ "error": { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetails };
}

/** An error with a stable `appCode`, a message a person can act on, and its row in STATUS_TABLE. */
export class ApiError extends TRPCError {
  readonly httpStatus: number;

  constructor(
    readonly grpcStatus: GrpcStatus,
    readonly appCode: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super({ code: STATUS_TABLE[grpcStatus].trpc, message });
    this.httpStatus = STATUS_TABLE[grpcStatus].http;
  }

  body(): ErrorBody {
    return { error: { code: this.appCode, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const unauthenticated = (message: string) => new ApiError(GrpcStatus.UNAUTHENTICATED, 'UNAUTHENTICATED', message);
export const forbidden = (scope: string) =>
  new ApiError(GrpcStatus.PERMISSION_DENIED, 'FORBIDDEN', `this credential lacks the '${scope}' scope; use a token or API key that has it`, {
    required_scope: scope,
  });
export const notFound = (what: string) => new ApiError(GrpcStatus.NOT_FOUND, 'NOT_FOUND', `${what} not found`);
export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(GrpcStatus.RESOURCE_EXHAUSTED, 'RATE_LIMITED', `too many requests; retry after ${retryAfterSeconds} s`, {
    retry_after_seconds: retryAfterSeconds,
  });

export function validationError(fields: { field: string; message: string }[]): ApiError {
  const first = fields[0];
  const message = first ? `invalid field '${first.field}': ${first.message}` : 'invalid request';
  return new ApiError(GrpcStatus.INVALID_ARGUMENT, 'VALIDATION_FAILED', fields.length > 1 ? `${message} (and ${fields.length - 1} more)` : message, {
    fields,
  });
}

interface IssueLike {
  path?: readonly PropertyKey[] | readonly { key: PropertyKey }[];
  message: string;
}

function issuesOf(cause: unknown): IssueLike[] | undefined {
  const issues = (cause as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as IssueLike[]) : undefined;
}

function pathOf(issue: IssueLike): string {
  const parts = (issue.path ?? []).map((p) => (typeof p === 'object' && p !== null && 'key' in p ? p.key : p));
  return parts.map(String).join('.') || '(body)';
}

const BY_TRPC_CODE = new Map<string, GrpcStatus>(
  (Object.entries(STATUS_TABLE) as unknown as [string, { trpc: string }][])
    .filter(([s]) => Number(s) !== GrpcStatus.OK)
    .map(([s, row]) => [row.trpc, Number(s) as GrpcStatus] as const)
    .reverse(),
);

/**
 * Any error to an ApiError. Unknown errors become a generic INTERNAL one: their message and stack
 * go to the log (via `onUnexpected`), never to the client.
 */
export function toApiError(err: unknown, onUnexpected?: (err: unknown) => void): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TRPCError) {
    if (err.cause instanceof ApiError) return err.cause;
    const issues = issuesOf(err.cause);
    if (issues && err.code === 'BAD_REQUEST') return validationError(issues.map((i) => ({ field: pathOf(i), message: i.message })));
    if (err.code === 'PARSE_ERROR') return new ApiError(GrpcStatus.INVALID_ARGUMENT, 'MALFORMED_BODY', 'the request body is not valid JSON');
    if (err.code === 'INTERNAL_SERVER_ERROR') {
      onUnexpected?.(err.cause ?? err);
      return internal();
    }
    const status = BY_TRPC_CODE.get(err.code) ?? GrpcStatus.UNKNOWN;
    return new ApiError(status, err.code, err.message);
  }
  onUnexpected?.(err);
  return internal();
}

function internal(): ApiError {
  return new ApiError(GrpcStatus.INTERNAL, 'INTERNAL', 'the gateway failed to handle this request; it has been logged, try again later');
}
