import { describe, expect, it } from 'vitest';
import { originAllowed, takeMessage } from './limits';

describe('originAllowed', () => {
  it('allows listed origins, wildcard subdomains, * and clients without an Origin header', () => {
    const allowed = ['https://app.example.com', 'https://*.trusted.io'];
    expect(originAllowed('https://app.example.com', allowed)).toBe(true);
    expect(originAllowed('https://APP.example.com', allowed)).toBe(true);
    expect(originAllowed('https://eu.trusted.io', allowed)).toBe(true);
    expect(originAllowed(undefined, allowed)).toBe(true);
    expect(originAllowed('https://evil.com', ['*'])).toBe(true);
  });

  it('refuses other origins, other schemes and look-alike hosts', () => {
    const allowed = ['https://app.example.com', 'https://*.trusted.io'];
    expect(originAllowed('https://evil.com', allowed)).toBe(false);
    expect(originAllowed('http://app.example.com', allowed)).toBe(false);
    expect(originAllowed('https://eviltrusted.io', allowed)).toBe(false);
    expect(originAllowed('http://eu.trusted.io', allowed)).toBe(false);
  });
});

/** A client's verdicts for messages sent at `times`, as the session applies takeMessage. */
function verdicts(perMinute: number, times: number[]): string[] {
  let tat = 0;
  return times.map((now) => {
    const next = takeMessage(tat, now, perMinute);
    if (next === null) return 'over';
    tat = next;
    return 'ok';
  });
}

describe('takeMessage', () => {
  it('allows the limit per minute at once and refuses the next message', () => {
    expect(verdicts(3, [0, 0, 0, 0])).toEqual(['ok', 'ok', 'ok', 'over']);
    expect(verdicts(7, Array(8).fill(1_767_225_600_000))).toEqual([...Array(7).fill('ok'), 'over']);
  });

  it('refills continuously: one message per interval after a burst', () => {
    expect(verdicts(60, [...Array(60).fill(0), 0, 1000, 1000, 1500, 2000])).toEqual([
      ...Array(60).fill('ok'),
      'over',
      'ok',
      'over',
      'over',
      'ok',
    ]);
  });
});
