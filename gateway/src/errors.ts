import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { AppError } from '@marketpulse/runtime';

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

/**
 * Refusals of the HTTP edge itself, which no gRPC status names exactly: their HTTP status and tRPC
 * code replace their row's (a body over HTTP_MAX_BODY_BYTES is 413, not 400).
 */
export const EDGE_STATUS: Readonly<Record<string, { grpc: GrpcStatus; http: number; trpc: TRPC_ERROR_CODE_KEY }>> = {
  BODY_TOO_LARGE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 413, trpc: 'PAYLOAD_TOO_LARGE' },
  METHOD_NOT_ALLOWED: { grpc: GrpcStatus.UNIMPLEMENTED, http: 405, trpc: 'METHOD_NOT_SUPPORTED' },
  REQUEST_TIMEOUT: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 408, trpc: 'TIMEOUT' },
  HEADERS_TOO_LARGE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 431, trpc: 'BAD_REQUEST' },
  // 421 Misdirected Request (RFC 9110 15.5.20): this server does not answer for that host name; no
  // credential would change it, so not 403. Refused before any route, tRPC never sees it.
  HOST_NOT_ALLOWED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 421, trpc: 'FORBIDDEN' },
};

/** Extra facts a client can act on; `fields` names each invalid input field. */
export interface ErrorDetails {
  /** `allowed`: the values a field accepts, when it takes one of a list (event types, statuses …). */
  fields?: { field: string; message: string; allowed?: unknown[] }[];
  service?: string;
  retry_after_seconds?: number;
  required_scope?: string;
  /** On INTERNAL: the id the gateway's (or the service's) log line carries. */
  error_id?: string;
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
    /** What went wrong underneath (logged with INTERNAL errors, never sent). */
    cause?: unknown,
  ) {
    super({ code: EDGE_STATUS[appCode]?.trpc ?? STATUS_TABLE[grpcStatus].trpc, message, ...(cause === undefined ? {} : { cause }) });
    this.httpStatus = EDGE_STATUS[appCode]?.http ?? STATUS_TABLE[grpcStatus].http;
  }

  body(): ErrorBody {
    return { error: { code: this.appCode, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const unauthenticated = (message: string) => new ApiError(GrpcStatus.UNAUTHENTICATED, 'UNAUTHENTICATED', message);
export const forbidden = (scope: string) =>
  new ApiError(
    GrpcStatus.PERMISSION_DENIED,
    'FORBIDDEN',
    `this credential lacks the '${scope}' scope; use a token or API key that has it`,
    {
      required_scope: scope,
    },
  );
export const notFound = (what: string) => new ApiError(GrpcStatus.NOT_FOUND, 'NOT_FOUND', `${what} not found`);
export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(GrpcStatus.RESOURCE_EXHAUSTED, 'RATE_LIMITED', `too many requests; retry after ${retryAfterSeconds} s`, {
    retry_after_seconds: retryAfterSeconds,
  });

export const bodyTooLarge = (maxBytes: number) =>
  new ApiError(
    GrpcStatus.INVALID_ARGUMENT,
    'BODY_TOO_LARGE',
    `the request body exceeds ${maxBytes} bytes (HTTP_MAX_BODY_BYTES); send less`,
    {
      max_bytes: maxBytes,
    },
  );
/** A tRPC subscription whose client stopped reading while more than its queue's bound of events waited. */
export const subscriberTooSlow = () =>
  new ApiError(
    GrpcStatus.RESOURCE_EXHAUSTED,
    'SUBSCRIBER_TOO_SLOW',
    'this subscription fell too far behind (its client did not read the events it was sent); resubscribe with the last event id to resume',
  );
/** A tRPC subscription whose credential expired while it was open (JWT `exp`, API key `expires_at`). */
export const credentialExpired = () =>
  new ApiError(
    GrpcStatus.UNAUTHENTICATED,
    'TOKEN_EXPIRED',
    'the credential of this subscription expired; subscribe again with a fresh one and the last event id to resume',
  );
/** A tRPC subscription whose API key was revoked while it was open. */
export const keyRevoked = () =>
  new ApiError(
    GrpcStatus.UNAUTHENTICATED,
    'KEY_REVOKED',
    'the API key of this subscription was revoked; subscribe with another credential',
  );
/** One more tRPC subscription than TRPC_MAX_SUBSCRIPTIONS_PER_USER allows this user. */
export const tooManySubscriptions = (perUser: number) =>
  new ApiError(
    GrpcStatus.RESOURCE_EXHAUSTED,
    'TOO_MANY_SUBSCRIPTIONS',
    `this user already holds ${perUser} open subscriptions (TRPC_MAX_SUBSCRIPTIONS_PER_USER); end one before opening another, or subscribe to several channels in one`,
    { max_subscriptions: perUser },
  );
/** A body the gateway cannot read as JSON text: another media type, or a content coding (gzip, br, …). */
export const unsupportedMediaType = (message: string) => new ApiError(GrpcStatus.INVALID_ARGUMENT, 'UNSUPPORTED_MEDIA_TYPE', message);
/** A request target no URL parser accepts (`GET //[ HTTP/1.1`): refused before any route sees it. */
export const malformedUrl = () =>
  new ApiError(
    GrpcStatus.INVALID_ARGUMENT,
    'MALFORMED_URL',
    'the request path is not a valid URL path; send a path such as /api/v1/webhooks, percent-encoding reserved characters',
  );
/** A WebSocket handshake the ws library refuses before any door sees it; `detail` is its reason. */
export const invalidHandshake = (detail: string) =>
  new ApiError(
    GrpcStatus.INVALID_ARGUMENT,
    'INVALID_HANDSHAKE',
    `the WebSocket handshake was refused: ${detail}; send GET with Upgrade: websocket, a Sec-WebSocket-Key, Sec-WebSocket-Version: 13 and, if any, comma-separated unique subprotocol tokens and well-formed extensions`,
  );
/** A client that did not send its whole request (headers and body) within HTTP_REQUEST_TIMEOUT_MS. */
export const requestTimedOut = (timeoutMs: number) =>
  new ApiError(
    GrpcStatus.DEADLINE_EXCEEDED,
    'REQUEST_TIMEOUT',
    `the request (headers and body) did not arrive within ${timeoutMs} ms (HTTP_REQUEST_TIMEOUT_MS); send it at once`,
    { timeout_ms: timeoutMs },
  );
/**
 * A request (HTTP or WebSocket upgrade) for a host name outside GATEWAY_ALLOWED_HOSTS: what a DNS-rebinding
 * page sends (its own name, resolved to this gateway). `host` is the name only, cut to a length a log line bears.
 */
export const hostNotAllowed = (host: string | undefined) =>
  new ApiError(
    GrpcStatus.PERMISSION_DENIED,
    'HOST_NOT_ALLOWED',
    host === undefined
      ? 'the Host header is not a host name or IP address (with an optional port); send the name this gateway is reached by'
      : `this gateway does not answer for the host '${host.slice(0, 100)}'; reach it by a name in GATEWAY_ALLOWED_HOSTS (or an IP address), or add this one to GATEWAY_ALLOWED_HOSTS`,
    host === undefined ? undefined : { host: host.slice(0, 100) },
  );
/** Request headers past Node's limit (16 KiB in all): refused before any route sees them. */
export const headersTooLarge = () =>
  new ApiError(
    GrpcStatus.INVALID_ARGUMENT,
    'HEADERS_TOO_LARGE',
    'the request headers are too large (16 KiB in all); send fewer or shorter headers',
  );
/** Bytes the HTTP parser cannot read as an HTTP/1.1 request (a bad request line, header or chunk size). */
export const malformedRequest = () =>
  new ApiError(
    GrpcStatus.INVALID_ARGUMENT,
    'MALFORMED_REQUEST',
    'the request is not valid HTTP/1.1 (its request line, a header or a chunk could not be parsed); check the client',
  );
export const methodNotAllowed = (method: string, path: string, allowed: readonly string[]) =>
  new ApiError(GrpcStatus.UNIMPLEMENTED, 'METHOD_NOT_ALLOWED', `${method} is not served on ${path}; use ${allowed.join(' or ')}`, {
    allowed: [...allowed],
  });

export function validationError(fields: { field: string; message: string; allowed?: unknown[] }[]): ApiError {
  const first = fields[0];
  const message = first ? `invalid field '${first.field}': ${first.message}` : 'invalid request';
  return new ApiError(
    GrpcStatus.INVALID_ARGUMENT,
    'INVALID_ARGUMENT',
    fields.length > 1 ? `${message} (and ${fields.length - 1} more)` : message,
    {
      fields,
    },
  );
}

interface IssueLike {
  path?: readonly PropertyKey[] | readonly { key: PropertyKey }[];
  message: string;
  /** zod's invalid_value issues (enums, literals) list what the field accepts. */
  values?: readonly unknown[];
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

const errorIds = new WeakMap<object, string>();

/**
 * The id of an unexpected error: the same for one error object however often it is asked for, so
 * the answer (tRPC's formatter) and the log line (its onError) name the same id.
 */
export function errorIdOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return randomUUID();
  let id = errorIds.get(err);
  if (id === undefined) {
    id = randomUUID();
    errorIds.set(err, id);
  }
  return id;
}

/** The runtime's error model (what the gateway's own modules throw) in the API's shape. */
function fromAppError(err: AppError): ApiError {
  const fields = err.violations.map((v) => ({ field: v.field, message: v.description }));
  return new ApiError(err.status, err.reason, err.message, { ...err.metadata, ...(fields.length > 0 ? { fields } : {}) });
}

const malformedJson = () => new ApiError(GrpcStatus.INVALID_ARGUMENT, 'MALFORMED_BODY', 'the request body (or ?input=) is not valid JSON');

/** What tRPC itself refuses (before a procedure runs), in the API's codes. */
function fromTrpcCode(err: TRPCError): ApiError | undefined {
  switch (err.code) {
    case 'PARSE_ERROR':
      return malformedJson();
    case 'UNSUPPORTED_MEDIA_TYPE':
      return unsupportedMediaType(
        'send the body as application/json (Content-Type: application/json); queries take their input as ?input=',
      );
    case 'PAYLOAD_TOO_LARGE':
      return new ApiError(GrpcStatus.INVALID_ARGUMENT, 'BODY_TOO_LARGE', 'the request body is too large (HTTP_MAX_BODY_BYTES); send less');
    case 'METHOD_NOT_SUPPORTED':
      return new ApiError(GrpcStatus.UNIMPLEMENTED, 'METHOD_NOT_ALLOWED', err.message);
    case 'NOT_FOUND':
      return new ApiError(GrpcStatus.NOT_FOUND, 'NOT_FOUND', err.message);
    case 'BAD_REQUEST':
      return new ApiError(GrpcStatus.INVALID_ARGUMENT, 'INVALID_ARGUMENT', err.message);
    default:
      return undefined;
  }
}

/**
 * Any error to an ApiError. Unknown errors become a generic INTERNAL one carrying an error id:
 * their message and stack go to the log (via `onUnexpected`, with the same id), never to the client.
 */
export function toApiError(err: unknown, onUnexpected?: (err: unknown, errorId: string) => void): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof AppError) return fromAppError(err);
  if (err instanceof TRPCError) {
    if (err.cause instanceof ApiError) return err.cause;
    if (err.cause instanceof AppError) return fromAppError(err.cause);
    // tRPC reports a body or ?input= that JSON.parse refused as BAD_REQUEST carrying the SyntaxError.
    if (err.code === 'BAD_REQUEST' && err.cause instanceof SyntaxError) return malformedJson();
    const issues = issuesOf(err.cause);
    if (issues && err.code === 'BAD_REQUEST') {
      return validationError(
        issues.map((i) => ({ field: pathOf(i), message: i.message, ...(Array.isArray(i.values) ? { allowed: [...i.values] } : {}) })),
      );
    }
    if (err.code !== 'INTERNAL_SERVER_ERROR') {
      const known = fromTrpcCode(err);
      if (known) return known;
      const status = BY_TRPC_CODE.get(err.code);
      if (status !== undefined && STATUS_TABLE[status].http < 500) return new ApiError(status, err.code, err.message);
    }
    const cause = err.cause ?? err;
    const id = errorIdOf(cause);
    onUnexpected?.(cause, id);
    return internal(id);
  }
  const id = errorIdOf(err);
  onUnexpected?.(err, id);
  return internal(id);
}

/** INTERNAL with the id of the log line that holds what happened. */
export function internal(errorId: string): ApiError {
  return new ApiError(
    GrpcStatus.INTERNAL,
    'INTERNAL',
    `the gateway failed to handle this request; it has been logged with error id ${errorId}, try again later`,
    {
      error_id: errorId,
    },
  );
}
