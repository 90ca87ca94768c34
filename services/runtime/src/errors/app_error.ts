import * as grpc from '@grpc/grpc-js';

/** One invalid input field: a dotted path into the request (`rule.cooldown_seconds`) and what is wrong with it. */
export interface FieldViolation {
  field: string;
  description: string;
}

export interface AppErrorOptions {
  /** Which table the reason belongs to; defaults to the suite-wide domain (COMMON_DOMAIN). */
  domain?: string;
  violations?: FieldViolation[];
  /** Facts a client can act on (ids, limits); keys match [A-Za-z0-9_-], values are any text. */
  metadata?: Record<string, string>;
  /** When the same call may succeed if sent again (a rate limit, work in progress): google.rpc.RetryInfo. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The domain of reasons every service shares (INVALID_ARGUMENT, INTERNAL, ...). */
export const COMMON_DOMAIN = 'marketpulse';

const REASON = /^[A-Z][A-Z0-9_]{0,62}$/;
const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * An error a caller can act on: a gRPC status, a stable reason (UPPER_SNAKE, unique within its
 * domain), a message for people, the invalid fields and facts for programs. Every boundary (gRPC
 * status details, REST/tRPC JSON, WebSocket `error`) carries exactly these parts.
 */
export class AppError extends Error {
  readonly status: grpc.status;
  readonly reason: string;
  readonly domain: string;
  readonly violations: FieldViolation[];
  readonly metadata: Record<string, string>;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: grpc.status, reason: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Reasons and metadata keys come from code, never from requests: a bad one is a programming error.
    if (!REASON.test(reason)) throw new TypeError(`AppError reason '${reason}' must match ${REASON}`);
    for (const key of Object.keys(options.metadata ?? {})) {
      if (!METADATA_KEY.test(key)) throw new TypeError(`AppError metadata key '${key}' must match ${METADATA_KEY}`);
    }
    this.name = 'AppError';
    this.status = status;
    this.reason = reason;
    this.domain = options.domain ?? COMMON_DOMAIN;
    this.violations = options.violations ?? [];
    this.metadata = options.metadata ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

type Ctor = (reason: string, message: string, options?: AppErrorOptions) => AppError;
const ofStatus =
  (status: grpc.status): Ctor =>
  (reason, message, options) =>
    new AppError(status, reason, message, options);

/** INVALID_ARGUMENT listing the fields at fault. */
export const invalidArgument = (
  reason: string,
  message: string,
  violations: FieldViolation[] = [],
  options: Omit<AppErrorOptions, 'violations'> = {},
) => new AppError(grpc.status.INVALID_ARGUMENT, reason, message, { ...options, violations });
export const outOfRange = (
  reason: string,
  message: string,
  violations: FieldViolation[] = [],
  options: Omit<AppErrorOptions, 'violations'> = {},
) => new AppError(grpc.status.OUT_OF_RANGE, reason, message, { ...options, violations });
export const notFound = ofStatus(grpc.status.NOT_FOUND);
export const alreadyExists = ofStatus(grpc.status.ALREADY_EXISTS);
export const failedPrecondition = ofStatus(grpc.status.FAILED_PRECONDITION);
export const permissionDenied = ofStatus(grpc.status.PERMISSION_DENIED);
export const unauthenticated = ofStatus(grpc.status.UNAUTHENTICATED);
export const resourceExhausted = ofStatus(grpc.status.RESOURCE_EXHAUSTED);
export const unavailable = ofStatus(grpc.status.UNAVAILABLE);
export const aborted = ofStatus(grpc.status.ABORTED);
