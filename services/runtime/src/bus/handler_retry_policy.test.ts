import { describe, expect, it } from 'vitest';
import { nextStep, type HandlerRetryPolicy } from './handler_retry_policy';
import type { FailureKind } from './record_failure';

const policy: HandlerRetryPolicy = { maxAttempts: 4, backoffBaseMs: 100, backoffMaxMs: 2000 };

describe('nextStep', () => {
  it('dead-letters an unprocessable record at once', () => {
    expect(nextStep('unprocessable', 1, policy)).toEqual({ action: 'dead-letter' });
  });

  it('retries a poison record until the attempts are spent, then dead-letters it', () => {
    expect([1, 2, 3, 4].map((n) => nextStep('poison', n, policy).action)).toEqual(['retry', 'retry', 'retry', 'dead-letter']);
  });

  it('asks for healthy dependencies before dead-lettering a failure of unknown kind', () => {
    expect(nextStep('unknown', 3, policy).action).toBe('retry');
    expect(nextStep('unknown', 4, policy).action).toBe('dead-letter-if-healthy');
  });

  it('retries an outage for ever, with a backoff that never passes the cap', () => {
    for (const attempts of [1, 2, 5, 10, 30, 100, 10_000, 1_000_000]) {
      const step = nextStep('outage', attempts, policy);
      expect(step.action, String(attempts)).toBe('retry');
      expect((step as { delayMs: number }).delayMs).toBeLessThanOrEqual(policy.backoffMaxMs);
    }
  });

  it('backs off more as attempts grow (exponential, jittered within half)', () => {
    const delay = (n: number) => (nextStep('poison', n, { ...policy, maxAttempts: 100 }) as { delayMs: number }).delayMs;
    expect(delay(1)).toBeGreaterThanOrEqual(50);
    expect(delay(1)).toBeLessThanOrEqual(100);
    expect(delay(5)).toBeGreaterThanOrEqual(800);
  });

  it('never dead-letters an outage and never retries an unprocessable record, whatever the policy (every case up to 30)', () => {
    const kinds: FailureKind[] = ['unprocessable', 'poison', 'outage', 'unknown'];
    for (const kind of kinds)
      for (let maxAttempts = 1; maxAttempts <= 30; maxAttempts++)
        for (let attempts = 1; attempts <= 30; attempts++) {
          const { action } = nextStep(kind, attempts, { ...policy, maxAttempts });
          const expected =
            kind === 'outage'
              ? 'retry'
              : kind === 'unprocessable'
                ? 'dead-letter'
                : attempts < maxAttempts
                  ? 'retry'
                  : kind === 'poison'
                    ? 'dead-letter'
                    : 'dead-letter-if-healthy';
          if (action !== expected)
            expect({ kind, attempts, maxAttempts, action }).toEqual({ kind, attempts, maxAttempts, action: expected });
        }
  });
});
