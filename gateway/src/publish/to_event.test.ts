import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scopedEventId } from './to_event';

// scopedEventId remembers the last publisher's encoding (issue 19); whatever order publishers
// come in, each id must be the one its own publisher's encoding gives, and a user id that cannot
// be encoded (a lone surrogate) must fail as encodeURIComponent does, leaving later calls right.
describe('scopedEventId', () => {
  it('scopes each id by its own publisher, whatever publishers came before', () => {
    const publisher = fc.oneof(
      fc.constantFrom('trading-engine', 'user@example.com', 'a/b c', '', 'Müller', '\ud800'),
      fc.string({ maxLength: 6, unit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(publisher, fc.string({ maxLength: 8 })), { maxLength: 30 }), (calls) => {
        for (const [p, id] of calls) {
          let expected: string | Error;
          try {
            expected = `${encodeURIComponent(p)}/${id}`;
          } catch (err) {
            expected = err as Error;
          }
          if (expected instanceof Error) expect(() => scopedEventId(p, id)).toThrow(URIError);
          else expect(scopedEventId(p, id)).toBe(expected);
        }
      }),
      { seed: 19, numRuns: 500 },
    );
  });
});
