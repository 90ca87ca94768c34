import { describe, expect, it } from 'vitest';
import { originAllowed, RateLimiter } from './limits';

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

describe('RateLimiter', () => {
  it('allows the limit per minute, warns on the first excess message and closes on the next', () => {
    const r = new RateLimiter(3, 0);
    expect([r.take(0), r.take(0), r.take(0)]).toEqual(['ok', 'ok', 'ok']);
    expect(r.take(0)).toBe('warn');
    expect(r.take(0)).toBe('close');
  });

  it('refills over time, and a client that slowed down after a warning is not closed', () => {
    const r = new RateLimiter(60, 0);
    for (let i = 0; i < 60; i++) r.take(0);
    expect(r.take(0)).toBe('warn');
    expect(r.take(1000)).toBe('ok');
    expect(r.take(1000)).toBe('warn');
  });
});
