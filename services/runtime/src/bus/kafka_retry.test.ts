import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRetriableKafkaError, whileRetriable } from './kafka_retry';

// The error a broker answers right after a topic was created, before its leader serves it.
const notLeader = () =>
  new KafkaJSProtocolError({
    type: 'NOT_LEADER_FOR_PARTITION',
    code: 6,
    retriable: true,
    message: 'This server is not the leader for that topic-partition',
  } as never);
// As kafkajs' retrier wraps errors: the broker's error is the `cause` (missing from its typings).
type Wrapper = new (e: Error, options: Record<string, unknown>) => Error;
const nonRetriable = (e: Error) => new (KafkaJSNonRetriableError as unknown as Wrapper)(e, { cause: e });
const retriesExceeded = (e: Error) =>
  new (KafkaJSNumberOfRetriesExceeded as unknown as Wrapper)(e, { retryCount: 6, retryTime: 5000, cause: e });

describe('isRetriableKafkaError', () => {
  it('sees a retriable broker error through the wrappers kafkajs puts around it', () => {
    expect(isRetriableKafkaError(notLeader())).toBe(true);
    expect(isRetriableKafkaError(nonRetriable(notLeader()))).toBe(true);
    expect(isRetriableKafkaError(retriesExceeded(notLeader()))).toBe(true);
  });

  it('refuses errors nobody marked retriable', () => {
    expect(isRetriableKafkaError(new KafkaJSNonRetriableError('Invalid topic'))).toBe(false);
    expect(isRetriableKafkaError(new Error('boom'))).toBe(false);
    expect(isRetriableKafkaError(undefined)).toBe(false);
  });
});

describe('whileRetriable', () => {
  it('retries a start-up race until it passes', async () => {
    let calls = 0;
    const result = await whileRetriable(
      async () => {
        calls += 1;
        if (calls < 3) throw retriesExceeded(notLeader());
        return 'joined';
      },
      { budgetMs: 10_000 },
    );
    expect(result).toBe('joined');
    expect(calls).toBe(3);
  });

  it('gives up once the budget is spent, and at once on a non-retriable error', async () => {
    // It settles at all (a loop that never gave up would time the test out), and not before the budget is spent.
    const started = Date.now();
    await expect(whileRetriable(() => Promise.reject(notLeader()), { budgetMs: 300 })).rejects.toThrow(/not the leader/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    let calls = 0;
    await expect(
      whileRetriable(
        () => {
          calls += 1;
          return Promise.reject(new Error('bad request'));
        },
        { budgetMs: 10_000 },
      ),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });
});
