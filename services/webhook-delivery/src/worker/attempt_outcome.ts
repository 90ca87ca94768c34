import type { SendResult } from '../http_sending/sender';
import { nextRetryDelay, parseRetryAfter, type RetryPolicy } from '../retry_schedule/retry_schedule';
import type { AttemptOutcome } from '../store/delivery_store';

export interface Decision {
  outcome: AttemptOutcome;
  /** Set when the receiver asked us to stop sending to this endpoint altogether. */
  disableReason?: string;
}

export function isSuccess(result: SendResult): boolean {
  return result.error === undefined && result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
}

/**
 * Success is a 2xx within the timeout; 410 Gone means the receiver retired the URL, so the endpoint
 * is disabled instead of retried; anything else is retried while the round's schedule lasts.
 */
export function decideOutcome(result: SendResult, attemptsInRound: number, policy: RetryPolicy | null): Decision {
  if (isSuccess(result)) return { outcome: { status: 'delivered' } };
  if (result.statusCode === 410) return { outcome: { status: 'failed' }, disableReason: 'the receiver answered 410 Gone' };
  const delay = policy === null ? null : nextRetryDelay(policy, attemptsInRound, parseRetryAfter(result.retryAfter));
  return { outcome: delay === null ? { status: 'failed' } : { status: 'pending', retryInMs: delay } };
}

/** The error text recorded for an attempt that did not succeed. */
export function describeFailure(result: SendResult): string | null {
  if (isSuccess(result)) return null;
  if (result.error !== undefined) return result.error;
  return `the receiver answered HTTP ${result.statusCode}; only 2xx counts as delivered`;
}
