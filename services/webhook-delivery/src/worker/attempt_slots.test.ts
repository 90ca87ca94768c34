import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptSlots } from './attempt_slots';

describe('AttemptSlots', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function slots(workers = 2, maxWaiting = 2) {
    const events: string[] = [];
    const s = new AttemptSlots({
      workers,
      slowAfterMs: 100,
      maxWaiting,
      onFreed: () => events.push('freed'),
      onFull: (n) => events.push(`full ${n}`),
    });
    return { s, events };
  }

  it('gives a worker back once an attempt waited slowAfterMs, and not before', () => {
    const { s, events } = slots();
    const a = s.take();
    s.take();
    expect(s.free).toBe(0);
    vi.advanceTimersByTime(99);
    expect(s.free).toBe(0);
    vi.advanceTimersByTime(1);
    expect(s.free).toBe(2);
    expect(s.waitingCount).toBe(2);
    expect(events).toEqual(['freed', 'freed']);
    s.release(a);
    expect(s.waitingCount).toBe(1);
    expect(s.free).toBe(2);
  });

  it('an attempt that ends in time frees its worker and leaves no timer behind', () => {
    const { s, events } = slots();
    const a = s.take();
    s.release(a);
    expect(s.free).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(s.waitingCount).toBe(0);
    expect(s.free).toBe(2);
    expect(events).toEqual([]);
  });

  it('past maxWaiting a slow attempt keeps its worker, says so once, and moves over, oldest first, when a waiting one ends', () => {
    const { s, events } = slots(3, 1);
    const first = s.take();
    vi.advanceTimersByTime(100); // first waits
    const second = s.take();
    vi.advanceTimersByTime(10);
    const third = s.take();
    vi.advanceTimersByTime(100); // second and third are slow, the waiting place is taken
    expect(s.waitingCount).toBe(1);
    expect(s.free).toBe(1);
    expect(events).toEqual(['freed', 'full 1']);
    s.release(first);
    expect(s.waitingCount).toBe(1);
    expect(s.free).toBe(2); // second moved over
    s.release(third); // still holding its worker
    expect(s.free).toBe(3);
    s.release(second);
    expect(s.waitingCount).toBe(0);
    expect(s.free).toBe(3);
  });

  it('holds at most workers + maxWaiting attempts, whatever the order of takes, timeouts and releases', () => {
    const { s } = slots(4, 3);
    const live: ReturnType<AttemptSlots['take']>[] = [];
    let seed = 7;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let step = 0; step < 2000; step++) {
      const r = rand();
      if (r < 0.5 && s.free > 0) live.push(s.take());
      else if (r < 0.8 && live.length > 0) s.release(live.splice(Math.floor(rand() * live.length), 1)[0]!);
      else vi.advanceTimersByTime(Math.floor(rand() * 150));
      expect(live.length).toBeLessThanOrEqual(4 + 3);
      expect(s.free).toBeGreaterThanOrEqual(0);
      expect(s.waitingCount).toBeLessThanOrEqual(3);
      expect(4 - s.free + s.waitingCount).toBe(live.length);
    }
  });
});
