import { HarnessError, messageOf } from './errors';

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** What is awaited, in words: it names the failure ("waiting for <what>"). */
  what: string;
}

/** What a truthiness check lets through: `u.length >= 2 && u` resolves to the array, never `false`. */
type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or the time runs out.
 * A predicate that throws counts as "not yet"; its last error is quoted in the timeout error.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 100, what }: WaitOptions,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Truthy<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const last = lastError === undefined ? '' : `; last error: ${messageOf(lastError)}`;
      throw new HarnessError('WAIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}${last}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}
