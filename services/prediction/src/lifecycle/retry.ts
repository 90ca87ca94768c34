import { setTimeout as delay } from 'node:timers/promises';

export interface RetryOptions {
  /** Aborting gives up: no further attempt starts and a pending wait ends at once. */
  signal: AbortSignal;
  /** First wait; each failure doubles it up to maxMs, with jitter so instances do not retry in step. */
  baseMs: number;
  maxMs: number;
  onFailure: (err: unknown, retryInMs: number) => void;
}

/** Delay after failure number `failures` (1-based): exponential from baseMs, capped at maxMs, jittered to 50..100 %. */
export function backoffMs(failures: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

/** Runs `attempt` until it resolves and returns its value; undefined when given up through the signal. */
export async function retryUntilDone<T>(attempt: () => Promise<T>, o: RetryOptions): Promise<{ value: T } | undefined> {
  for (let failures = 1; !o.signal.aborted; failures++) {
    try {
      return { value: await attempt() };
    } catch (err) {
      const waitMs = backoffMs(failures, o.baseMs, o.maxMs);
      o.onFailure(err, waitMs);
      await delay(waitMs, undefined, { signal: o.signal }).catch(() => undefined);
    }
  }
  return undefined;
}
