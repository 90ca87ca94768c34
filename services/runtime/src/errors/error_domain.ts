import * as grpc from '@grpc/grpc-js';
import { AppError, COMMON_DOMAIN, type AppErrorOptions } from './app_error';

/** A domain's table of reasons: reason → the gRPC status it always travels with. */
export type ReasonTable<R extends string> = Readonly<Record<R, grpc.status>>;

export interface ErrorDomain<R extends string> {
  (reason: R, message: string, options?: Omit<AppErrorOptions, 'domain'>): AppError;
  readonly domain: string;
  readonly reasons: ReasonTable<R>;
}

const domains = new Map<string, ReasonTable<string>>();

/**
 * Declares a domain and its one table of reasons; the returned function makes that domain's errors,
 * so a reason can only ever travel with the status its table names.
 */
export function errorDomain<R extends string>(domain: string, reasons: ReasonTable<R>): ErrorDomain<R> {
  if (domains.has(domain) && domains.get(domain) !== reasons) throw new TypeError(`error domain '${domain}' is declared twice`);
  domains.set(domain, reasons);
  const make = (reason: R, message: string, options: Omit<AppErrorOptions, 'domain'> = {}) =>
    new AppError(reasons[reason], reason, message, { ...options, domain });
  return Object.assign(make, { domain, reasons });
}

/** Every domain declared so far in this process (for documentation and its test). */
export function declaredErrorDomains(): ReadonlyMap<string, ReasonTable<string>> {
  return domains;
}

/** Reasons shared by every service (domain `marketpulse`). */
export const commonError = errorDomain(COMMON_DOMAIN, {
  /** One or more request fields are invalid; BadRequest lists them. */
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  /** An unexpected failure; ErrorInfo.metadata.error_id names the server log line. */
  INTERNAL: grpc.status.INTERNAL,
  /** The service's database, broker or a service it calls is away; retry with backoff. */
  DEPENDENCY_UNAVAILABLE: grpc.status.UNAVAILABLE,
  /** A service this one calls did not answer in time; retry with backoff. */
  DEPENDENCY_TIMEOUT: grpc.status.DEADLINE_EXCEEDED,
  /** A server stream's reader left GRPC_STREAM_BUFFER_MESSAGES messages unread: the stream ended (grpc/stream_bound.ts). */
  SLOW_CONSUMER: grpc.status.RESOURCE_EXHAUSTED,
});
