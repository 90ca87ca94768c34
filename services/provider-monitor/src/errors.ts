import * as grpc from '@grpc/grpc-js';
import { errorDomain } from '@marketpulse/runtime';

/** provider-monitor's one table of reasons (domain `marketpulse.providers`); clients switch on these. */
export const providerMonitorErrors = errorDomain('marketpulse.providers', {
  /** A request field is invalid; BadRequest names it. */
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  /** No such provider, rate limit or job. */
  NOT_FOUND: grpc.status.NOT_FOUND,
});

export type ProviderMonitorReason = keyof typeof providerMonitorErrors.reasons;

export const invalid = (message: string, field: string) =>
  providerMonitorErrors('INVALID_ARGUMENT', message, { violations: [{ field, description: message }] });
export const notFound = (message: string) => providerMonitorErrors('NOT_FOUND', message);
