import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines, type Timed } from './deadlines';

function item(name: string, fired: string[]): Timed {
  return { deadlineAt: Infinity, deadlineSlot: -1, onDeadline: () => fired.push(name) };
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
