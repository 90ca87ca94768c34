import { describe, expect, it } from 'vitest';
import { originAllowed } from './cors';

describe('originAllowed', () => {
  it('allows listed origins and wildcard subdomains only', () => {
    const options = { allowedOrigins: ['https://app.example.com', 'https://*.example.org'], development: true };
    expect(originAllowed('https://app.example.com', options)).toBe(true);
    expect(originAllowed('https://eu.example.org', options)).toBe(true);
    expect(originAllowed('http://eu.example.org', options)).toBe(false);
    expect(originAllowed('https://example.org.evil.com', options)).toBe(false);
    expect(originAllowed('https://evil.com', options)).toBe(false);
  });

  it('allows loopback origins without a list only in development mode', () => {
    for (const origin of ['http://127.0.0.1:5173', 'http://localhost:3000', 'http://[::1]:8080', 'http://localhost']) {
      expect(originAllowed(origin, { allowedOrigins: [], development: true })).toBe(true);
      expect(originAllowed(origin, { allowedOrigins: [], development: false })).toBe(false);
    }
    for (const origin of ['https://anything.test', 'http://127.0.0.1.evil.com', 'http://localhost.evil.com:80', 'http://10.0.0.1:8000']) {
      expect(originAllowed(origin, { allowedOrigins: [], development: true })).toBe(false);
    }
  });
});
