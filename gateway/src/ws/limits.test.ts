import { describe, expect, it } from 'vitest';
import { originAllowed, takeMessage } from './limits';

describe('originAllowed', () => {
  const listed = (allowedOrigins: string[]) => ({ allowedOrigins, development: false });
  const own = 'http://gw.example:8000';

  it('allows listed origins, wildcard subdomains, * and clients without an Origin header', () => {
    const allowed = listed(['https://app.example.com', 'https://*.trusted.io']);
    expect(originAllowed('https://app.example.com', own, allowed)).toBe(true);
    expect(originAllowed('https://APP.example.com', own, allowed)).toBe(true);
    expect(originAllowed('https://eu.trusted.io', own, allowed)).toBe(true);
    expect(originAllowed(undefined, own, allowed)).toBe(true);
    expect(originAllowed('https://evil.com', own, listed(['*']))).toBe(true);
  });

  it('refuses other origins, other schemes and look-alike hosts', () => {
    const allowed = listed(['https://app.example.com', 'https://*.trusted.io']);
    expect(originAllowed('https://evil.com', own, allowed)).toBe(false);
    expect(originAllowed('http://app.example.com', own, allowed)).toBe(false);
    expect(originAllowed('https://eviltrusted.io', own, allowed)).toBe(false);
    expect(originAllowed('http://eu.trusted.io', own, allowed)).toBe(false);
  });

  it('with no list, allows the origin of the gateway itself, loopback pages only in development, and nothing else', () => {
    const production = { allowedOrigins: [], development: false };
    const development = { allowedOrigins: [], development: true };
    for (const policy of [production, development]) {
      expect(originAllowed('http://gw.example:8000', own, policy)).toBe(true);
      expect(originAllowed('https://evil.example', own, policy)).toBe(false);
      expect(originAllowed('http://gw.example:8001', own, policy)).toBe(false);
      expect(originAllowed('https://gw.example:8000', own, policy)).toBe(false);
      expect(originAllowed('null', own, policy)).toBe(false);
      expect(originAllowed(undefined, own, policy)).toBe(true);
    }
    expect(originAllowed('https://gw.example', 'https://gw.example', production)).toBe(true);
    expect(originAllowed('http://127.0.0.1:5173', 'http://127.0.0.1:8000', development)).toBe(true);
    expect(originAllowed('http://localhost:5173', own, development)).toBe(true);
    expect(originAllowed('http://127.0.0.1:5173', 'http://127.0.0.1:8000', production)).toBe(false);
    expect(originAllowed('http://127.0.0.1:5173', undefined, production)).toBe(false);
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
