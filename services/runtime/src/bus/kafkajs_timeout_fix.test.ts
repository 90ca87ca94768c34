import { afterEach, describe, expect, it, vi } from 'vitest';
import './kafkajs_timeout_fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' internals have no typings to import
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { scheduleCheckPendingRequests(): void } };

describe('kafkajs request queue timer', () => {
  afterEach(() => vi.restoreAllMocks());

  function queue(pending: unknown[], throttledUntil: number) {
    return Object.assign(Object.create(RequestQueue.prototype), {
      pending,
      throttledUntil,
      throttleCheckTimeoutId: null,
      checkPendingRequests: () => undefined,
    });
  }

  it('never arms a timer with a negative delay (Node 24 warns about every one)', () => {
    const delays: number[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((_fn: () => void, ms: number) => {
      delays.push(ms);
      return { unref() {} } as NodeJS.Timeout;
    }) as typeof setTimeout);
    queue([], -1).scheduleCheckPendingRequests();
    queue([{}], -1).scheduleCheckPendingRequests();
    queue([{}], Date.now() + 500).scheduleCheckPendingRequests();
    expect(delays[0]).toBe(1);
    expect(delays[1]).toBe(10);
    expect(delays[2]).toBeGreaterThan(400);
  });
});
