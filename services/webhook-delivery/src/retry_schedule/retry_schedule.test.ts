import { describe, expect, it } from 'vitest';
import { maxAttempts, nextRetryDelay, parseRetryAfter, parseSchedule, type RetryPolicy } from './retry_schedule';

const seed: RetryPolicy = { scheduleMs: parseSchedule('5s,30s,5m'), jitter: 0, maxRetryAfterMs: 3_600_000 };

describe('retry schedule', () => {
  it('reads the seed schedule and small test schedules', () => {
    expect(parseSchedule('5s,30s,5m')).toEqual([5000, 30000, 300000]);
    expect(parseSchedule('200ms, 500ms')).toEqual([200, 500]);
    expect(parseSchedule('1h,1d,250')).toEqual([3_600_000, 86_400_000, 250]);
    expect(() => parseSchedule('5 minutes')).toThrow(/not a duration/);
  });

  it('retries after each wait in turn and gives up after the last', () => {
    expect(maxAttempts(seed)).toBe(4);
    expect([1, 2, 3, 4].map((n) => nextRetryDelay(seed, n))).toEqual([5000, 30000, 300000, null]);
  });

  it('spreads retries by the jitter fraction', () => {
    const p = { ...seed, jitter: 0.2 };
    expect(nextRetryDelay(p, 1, undefined, () => 0)).toBe(4000);
    expect(nextRetryDelay(p, 1, undefined, () => 1)).toBe(6000);
  });

  it('honours a longer Retry-After, capped, and ignores a shorter one', () => {
    expect(nextRetryDelay(seed, 1, 60_000)).toBe(60_000);
    expect(nextRetryDelay(seed, 1, 1_000)).toBe(5000);
    expect(nextRetryDelay(seed, 1, 86_400_000)).toBe(3_600_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
