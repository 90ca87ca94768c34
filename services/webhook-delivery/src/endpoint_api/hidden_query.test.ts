import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HIDDEN_QUERY_VALUE } from '@marketpulse/runtime';
import { keepHiddenQueryValues, shownUrl } from './hidden_query';

describe('credential query values of an endpoint URL', () => {
  it('are hidden in what an answer shows, and nothing else of the URL changes', () => {
    expect(shownUrl('https://r.example/in?token=abc&tenant=acme&sig=x%3D#f')).toBe(
      `https://r.example/in?token=${HIDDEN_QUERY_VALUE}&tenant=acme&sig=${HIDDEN_QUERY_VALUE}#f`,
    );
    expect(shownUrl('https://r.example/in?api%5Fkey=abc&flag&token=')).toBe(
      `https://r.example/in?api%5Fkey=${HIDDEN_QUERY_VALUE}&flag&token=`,
    );
    expect(shownUrl('https://r.example/token/in?page=2')).toBe('https://r.example/token/in?page=2');
  });

  it('come back from the stored URL when an update sends the URL it read, for the same address only', () => {
    const stored = 'https://r.example/in?token=a&token=b&x=1';
    const read = shownUrl(stored);
    expect(keepHiddenQueryValues(read, stored)).toBe(stored);
    expect(keepHiddenQueryValues(`${read}&y=2`, stored)).toBe(`${stored}&y=2`);
    expect(keepHiddenQueryValues('https://r.example/in?token=new', stored)).toBe('https://r.example/in?token=new');
    expect(() => keepHiddenQueryValues(read.replace('r.example', 'evil.example'), stored)).toThrow(/not the endpoint's address/);
    expect(() => keepHiddenQueryValues(`https://r.example/in?secret=${HIDDEN_QUERY_VALUE}`, stored)).toThrow(/no such hidden value/);
    expect(() => keepHiddenQueryValues(`https://r.example/in?x=${HIDDEN_QUERY_VALUE}`, stored)).toThrow(/no such hidden value/);
  });

  it('round-trip any URL: what is read and written back is what was stored', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9%._~-]{0,12}$/);
    const name = fc.oneof(part, fc.constantFrom('token', 'api_key', 'sig', 'Password', 'tenant'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.option(part, { nil: undefined })), { maxLength: 6 }),
        fc.option(part, { nil: undefined }),
        (params, fragment) => {
          const query = params.map(([n, v]) => (v === undefined ? n : `${n}=${v}`)).join('&');
          const stored = `https://r.example/in${params.length ? `?${query}` : ''}${fragment === undefined ? '' : `#${fragment}`}`;
          const shown = shownUrl(stored);
          expect(keepHiddenQueryValues(shown, stored)).toBe(stored);
          for (const [n, v] of params) if (v && /token|key|sig|pass/i.test(n)) expect(shown).not.toContain(`${n}=${v}&`);
        },
      ),
      { seed: 24, numRuns: 500 },
    );
  });
});
