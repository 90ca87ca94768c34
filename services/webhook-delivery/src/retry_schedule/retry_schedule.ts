import { webhookError } from '../errors';

/**
 * Where a retry is scheduled. The schedule lists the waits between attempts: `5s,30s,5m` means the
 * first attempt at once, then three retries, then give up (the seed's schedule).
 */
export interface RetryPolicy {
  /** Waits before retry 1, 2, ... in milliseconds. Attempts in all: schedule.length + 1. */
  scheduleMs: number[];
  /** Each wait is moved by up to this fraction either way, so a burst of failures does not retry in lock step. */
  jitter: number;
  /** A Retry-After longer than this is cut to it (a receiver cannot park a delivery for days). */
  maxRetryAfterMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `200ms,500ms` or `5s, 30s, 5m, 2h` (a bare number is milliseconds). */
export function parseSchedule(text: string): number[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw webhookError('INVALID_ARGUMENT', 'WEBHOOK_RETRY_SCHEDULE is empty; give waits such as "5s,30s,5m"');
  return items.map((item) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(item);
    if (!m)
      throw webhookError('INVALID_ARGUMENT', `WEBHOOK_RETRY_SCHEDULE item "${item}" is not a duration such as 500ms, 5s, 5m, 2h or 1d`);
    return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']);
  });
}

export function maxAttempts(policy: RetryPolicy): number {
  return policy.scheduleMs.length + 1;
}

/**
 * The wait before the next attempt after `attemptsMade` failed attempts, or null when the schedule
 * is exhausted. A Retry-After the receiver sent is honoured when it asks for more patience than the
 * schedule, up to maxRetryAfterMs.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  attemptsMade: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | null {
  const base = policy.scheduleMs[attemptsMade - 1];
  if (base === undefined) return null;
  const jittered = Math.max(0, Math.round(base * (1 + policy.jitter * (random() * 2 - 1))));
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
