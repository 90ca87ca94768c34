import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines, type Timed } from './deadlines';

function item(name: string, fired: string[]): Timed {
  return { deadlineSlot: -1, onDeadline: () => fired.push(name) };
}

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('fires every deadline once, in due order, when it falls due', () => {
    const fired: string[] = [];
    const d = new Deadlines();
    const names = ['e', 'b', 'g', 'a', 'd', 'c', 'f'];
    for (const name of names) d.set(item(name, fired), (name.charCodeAt(0) - 96) * 100);
    vi.advanceTimersByTime(250);
    expect(fired).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(d.size).toBe(0);
  });

  it('moves a deadline earlier or later, and a cleared one never fires', () => {
    const fired: string[] = [];
    const d = new Deadlines();
    const a = item('a', fired);
    const b = item('b', fired);
    const c = item('c', fired);
    d.set(a, 100);
    d.set(b, 200);
    d.set(c, 300);
    d.set(a, 400);
    d.set(c, 50);
    d.clear(b);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual(['c', 'a']);
    expect([a.deadlineSlot, b.deadlineSlot, c.deadlineSlot]).toEqual([-1, -1, -1]);
  });

  it('fires, for any sequence of sets and clears, exactly the deadlines left set, each once, in due order', () => {
    const op = fc.record({ item: fc.integer({ min: 0, max: 7 }), at: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        vi.setSystemTime(0);
        const fired: string[] = [];
        const d = new Deadlines();
        const items = Array.from({ length: 8 }, (_, i) => item(String(i), fired));
        const model = new Map<number, number>();
        for (const { item: i, at } of ops) {
          if (at === undefined) {
            d.clear(items[i]!);
            model.delete(i);
          } else {
            d.set(items[i]!, at);
            model.set(i, at);
          }
        }
        vi.advanceTimersByTime(1000);
        d.stop();
        const dueOf = (name: string) => model.get(Number(name))!;
        expect([...fired].sort()).toEqual([...model.keys()].map(String).sort());
        expect(fired.map(dueOf)).toEqual(fired.map(dueOf).sort((x, y) => x - y));
      }),
      { seed: 19, numRuns: 200 },
    );
  });

  it('holds deadlines beyond setTimeout range and fires them when they fall due', () => {
    const fired: string[] = [];
    const d = new Deadlines();
    const yearMs = 365 * 24 * 3600 * 1000;
    d.set(item('late', fired), yearMs);
    vi.advanceTimersByTime(yearMs - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['late']);
  });
});
