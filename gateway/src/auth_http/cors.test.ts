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

  it('is permissive without a list only in development mode', () => {
    expect(originAllowed('https://anything.test', { allowedOrigins: [], development: true })).toBe(true);
    expect(originAllowed('https://anything.test', { allowedOrigins: [], development: false })).toBe(false);
  });
});
