import { describe, expect, it } from 'vitest';
import { RateLimitTracker } from './rate_limit';

describe('RateLimitTracker', () => {
  it('counts calls within the sliding window', () => {
    const t = new RateLimitTracker({ limit: 10, window_seconds: 60 });
    t.record(0, 3);
    t.record(30_000, 2);
    expect(t.usage(59_000)).toMatchObject({ used: 5, percentage: 50, remaining: 5 });
    expect(t.usage(61_000)).toMatchObject({ used: 2, percentage: 20 });
  });

  it('alarms once when usage reaches 80 % and again only after it fell below', () => {
    const t = new RateLimitTracker({ limit: 10, window_seconds: 60 });
    const alarms: number[] = [];
    for (let i = 0; i < 12; i++) {
      t.record(i * 1000);
      const a = t.checkAlarm(i * 1000);
      if (a) alarms.push(a.used);
    }
    expect(alarms).toEqual([8]);
    // All calls age out: re-armed, then a new burst alarms again.
    expect(t.checkAlarm(200_000)).toBeUndefined();
    t.record(200_000, 9);
    expect(t.checkAlarm(200_000)).toMatchObject({ used: 9, percentage: 90 });
  });

  it('uses upstream-reported usage when it is higher', () => {
    const t = new RateLimitTracker({ limit: 100, window_seconds: 60 });
    t.record(0);
    t.reportUpstream(85, 0);
    expect(t.usage(1000)).toMatchObject({ used: 85, percentage: 85 });
    expect(t.usage(61_000).used).toBe(0);
  });
});
