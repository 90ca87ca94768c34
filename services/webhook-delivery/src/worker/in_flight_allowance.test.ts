import { describe, expect, it } from 'vitest';
import { InFlightAllowance, REMEMBERED_IDLE_ENDPOINTS, STARTING_ALLOWANCE } from './in_flight_allowance';

const allowanceOf = (a: InFlightAllowance, id: string) => a.cap().busy.get(id)?.allowance;

/** Sends `n` at once to `id`, as far as the allowance lets, and ends them all the same way. */
function round(a: InFlightAllowance, id: string, end: 'in_time' | 'timed_out') {
  const n = allowanceOf(a, id) ?? a.cap().starting;
  for (let i = 0; i < n; i++) a.started(id);
  for (let i = 0; i < n; i++) a.finished(id, end);
}

describe('InFlightAllowance', () => {
  it('starts an endpoint at the start and raises it by half per round trip it keeps full, up to the ceiling', () => {
    const a = new InFlightAllowance(24);
    expect(a.cap().starting).toBe(STARTING_ALLOWANCE);
    // One attempt kept in flight across rounds, so each round's first attempt is the second in flight.
    a.started('fast');
    const seen: number[] = [];
    for (let r = 0; r < 8; r++) {
      const n = allowanceOf(a, 'fast')! - 1;
      for (let i = 0; i < n; i++) a.started('fast');
      for (let i = 0; i < n; i++) a.finished('fast', 'in_time');
      seen.push(allowanceOf(a, 'fast')!);
    }
    expect(seen).toEqual([3, 5, 7, 10, 14, 19, 24, 24]);
  });

  it('does not raise an endpoint that uses less than half of what it may', () => {
    const a = new InFlightAllowance(24);
    a.started('trickle');
    round(a, 'trickle', 'in_time');
    round(a, 'trickle', 'in_time');
    expect(allowanceOf(a, 'trickle')).toBe(7);
    // One at a time beside the one kept in flight: two of seven, so a trickle earns nothing more.
    for (let i = 0; i < 10; i++) {
      a.started('trickle');
      a.finished('trickle', 'in_time');
    }
    expect(allowanceOf(a, 'trickle')).toBe(7);
  });

  it('puts an endpoint back to the start when an attempt times out, and neither raises nor lowers on no attempt', () => {
    const a = new InFlightAllowance(24);
    a.started('e');
    round(a, 'e', 'in_time');
    round(a, 'e', 'in_time');
    expect(allowanceOf(a, 'e')).toBeGreaterThan(STARTING_ALLOWANCE);
    a.started('e');
    a.finished('e', 'no_attempt');
    const before = allowanceOf(a, 'e');
    a.started('e');
    a.finished('e', 'timed_out');
    expect(before).toBeGreaterThan(STARTING_ALLOWANCE);
    expect(allowanceOf(a, 'e')).toBe(STARTING_ALLOWANCE);
  });

  it('remembers what an endpoint earned while nothing is in flight (attempts are recorded in batches), for a bounded number of endpoints', () => {
    const a = new InFlightAllowance(24);
    round(a, 'e0', 'in_time');
    round(a, 'e0', 'in_time');
    expect(a.cap().busy.get('e0')).toEqual({ inFlight: 0, allowance: 5 });
    // An idle endpoint at the start is the same as an unknown one: not kept.
    a.started('plain');
    a.finished('plain', 'no_attempt');
    expect(a.cap().busy.has('plain')).toBe(false);
    for (let i = 1; i <= REMEMBERED_IDLE_ENDPOINTS; i++) round(a, `e${i}`, 'in_time');
    expect(a.cap().busy.size).toBe(REMEMBERED_IDLE_ENDPOINTS);
    expect(a.cap().busy.has('e0')).toBe(false);
    expect(allowanceOf(a, `e${REMEMBERED_IDLE_ENDPOINTS}`)).toBe(3);
    // One in flight again is not idle, so it is not what the next forgotten endpoint is.
    a.started('e1');
    round(a, 'newer', 'in_time');
    round(a, 'newest', 'in_time');
    expect(a.cap().busy.get('e1')).toEqual({ inFlight: 1, allowance: 3 });
    expect(a.cap().busy.has('e2')).toBe(false);
  });

  it('never starts above a lower ceiling', () => {
    const a = new InFlightAllowance(1);
    expect(a.cap().starting).toBe(1);
    a.started('x');
    a.finished('x', 'in_time');
    expect(a.cap().busy.size).toBe(0);
    a.started('y');
    expect(a.cap().busy.get('y')).toEqual({ inFlight: 1, allowance: 1 });
  });
});
