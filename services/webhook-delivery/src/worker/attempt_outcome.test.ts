import { describe, expect, it } from 'vitest';
import { decideOutcome } from './attempt_outcome';

const policy = { scheduleMs: [200, 500], jitter: 0, maxRetryAfterMs: 10_000 };

describe('decideOutcome', () => {
  it('counts only a 2xx as delivered', () => {
    expect(decideOutcome({ statusCode: 204, durationMs: 5, responseExcerpt: '' }, 1, policy).outcome).toEqual({ status: 'delivered' });
    expect(decideOutcome({ statusCode: 302, durationMs: 5, responseExcerpt: '' }, 1, policy).outcome).toEqual({
      status: 'pending',
      retryInMs: 200,
    });
  });

  it('follows the schedule, then fails', () => {
    const fail = { statusCode: 500, durationMs: 5, responseExcerpt: '' };
    expect(decideOutcome(fail, 1, policy).outcome).toEqual({ status: 'pending', retryInMs: 200 });
    expect(decideOutcome(fail, 2, policy).outcome).toEqual({ status: 'pending', retryInMs: 500 });
    expect(decideOutcome(fail, 3, policy).outcome).toEqual({ status: 'failed' });
  });

  it('retries a timeout and waits as long as Retry-After asks, within bounds', () => {
    expect(decideOutcome({ durationMs: 15000, responseExcerpt: '', error: 'timeout' }, 1, policy).outcome).toEqual({
      status: 'pending',
      retryInMs: 200,
    });
    expect(decideOutcome({ statusCode: 429, retryAfter: '3', durationMs: 5, responseExcerpt: '' }, 1, policy).outcome).toEqual({
      status: 'pending',
      retryInMs: 3000,
    });
  });

  it('stops and disables the endpoint on 410 Gone', () => {
    const d = decideOutcome({ statusCode: 410, durationMs: 5, responseExcerpt: '' }, 1, policy);
    expect(d.outcome).toEqual({ status: 'failed' });
    expect(d.disableReason).toMatch(/410/);
  });

  it('does not retry when the caller allows no retries (a test send)', () => {
    expect(decideOutcome({ statusCode: 500, durationMs: 5, responseExcerpt: '' }, 1, null).outcome).toEqual({ status: 'failed' });
  });
});
