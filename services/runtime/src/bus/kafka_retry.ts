import { retryDelayMs, sleep } from './retry_backoff';

interface KafkaErrorShape {
  retriable?: boolean;
  cause?: unknown;
  errors?: unknown[];
}

/**
 * Whether Kafka calls `err`, or an error it wraps (`cause`), retriable. kafkajs wraps a retriable
 * broker error, e.g. "This server is not the leader for that topic-partition" from a topic whose
 * leader is not serving yet right after it was created, in a KafkaJSNumberOfRetriesExceeded (not
 * retriable itself) once its own few retries are spent, and other failures in a
 * KafkaJSNonRetriableError.
 */
export function isRetriableKafkaError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as KafkaErrorShape;
  if (e.retriable === true) return true;
  const inner = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((i) => i !== undefined && isRetriableKafkaError(i, depth + 1));
}

export interface RetryBudget {
  /** Time after which a retriable failure is thrown instead of retried. */
  budgetMs: number;
  /** Stops retrying (the last error is thrown) once this says so, e.g. after close(). */
  stop?: () => boolean;
  /** Called before each wait, e.g. to log or to drop a client whose metadata may be stale. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Repeats `fn` while it fails with a retriable Kafka error, within the budget, with backoff. */
export async function whileRetriable<T>(fn: () => Promise<T>, { budgetMs, stop, onRetry }: RetryBudget): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriableKafkaError(err) || Date.now() > deadline || stop?.()) throw err;
      onRetry?.(err, attempt);
      await sleep(Math.min(retryDelayMs(attempt, 100, 2000), Math.max(0, deadline - Date.now())));
    }
  }
}
