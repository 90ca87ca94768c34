import type { FailureKind } from './record_failure';
import { retryDelayMs } from './retry_backoff';

/** How a consumer retries a record its handler failed on (BUS_HANDLER_MAX_ATTEMPTS, BUS_RETRY_BACKOFF_MAX_MS). */
export interface HandlerRetryPolicy {
  /** Handler runs a poison or unknown failure gets before the record is dead-lettered (1 = no retry). */
  maxAttempts: number;
  /** First backoff; doubles per attempt (with jitter) up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_HANDLER_RETRY: HandlerRetryPolicy = { maxAttempts: 5, backoffBaseMs: 200, backoffMaxMs: 5000 };

export type NextStep =
  | { action: 'retry'; delayMs: number }
  | { action: 'dead-letter' }
  /** Dead-letter if the subscription's dependencies are healthy; otherwise retry after delayMs. */
  | { action: 'dead-letter-if-healthy'; delayMs: number };

/** What to do after the handler failed `attemptsMade` times (>= 1) on one record, the last time with a failure of `kind`. */
export function nextStep(kind: FailureKind, attemptsMade: number, policy: HandlerRetryPolicy): NextStep {
  const delayMs = retryDelayMs(attemptsMade - 1, policy.backoffBaseMs, policy.backoffMaxMs);
  switch (kind) {
    case 'unprocessable':
      return { action: 'dead-letter' };
    case 'outage':
      return { action: 'retry', delayMs };
    case 'poison':
      return attemptsMade >= policy.maxAttempts ? { action: 'dead-letter' } : { action: 'retry', delayMs };
    case 'unknown':
      return attemptsMade >= policy.maxAttempts ? { action: 'dead-letter-if-healthy', delayMs } : { action: 'retry', delayMs };
  }
}
