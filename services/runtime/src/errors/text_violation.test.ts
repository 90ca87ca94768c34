import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldViolation } from './app_error';
import { checkText, ID_PATTERN, textViolation, type TextRule } from './checks';
import { hasControl, hasLoneSurrogate, quote } from './safe_text';

/** checkText as it was before issue 19 made it count code points only when needed: the reference. */
function referenceCheckText(value: string | null | undefined, rule: TextRule): FieldViolation[] {
  const one = (description: string): FieldViolation[] => [{ field: rule.field, description }];
  if (value === undefined || value === null || value === '') return rule.required ? one('is required') : [];
  if (typeof value !== 'string') return one('must be a string');
  const length = [...value].length;
  const min = rule.min ?? (rule.required ? 1 : 0);
  if (length > rule.max) return one(`must be at most ${rule.max} characters (got ${length})`);
  if (length < min) return one(`must be at least ${min} characters (got ${length})`);
  if (hasControl(rule.multiline ? value.replace(/[\t\n\r]/g, '') : value)) return one('must not contain control characters (NUL included)');
  if (hasLoneSurrogate(value)) return one('must be valid Unicode text (no lone surrogates)');
  if (rule.pattern && !rule.pattern.test(value))
    return one(`must use ${rule.patternHint ?? `the pattern ${rule.pattern}`} (got ${quote(value)})`);
  return [];
}

// Pieces that sit on every boundary of the rules: control characters in and out of the multiline
// exceptions, C1, surrogate pairs (one code point, two UTF-16 units), lone surrogates of both halves.
const PIECES = [
  'a',
  'Z',
  '7',
  '-',
  '.',
  ' ',
  'é',
  '€',
  '\u{1F600}',
  '\u0000',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\ud800',
  '\udc00',
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((parts) => parts.join(''));
const value = fc.oneof(
  { weight: 8, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, '') },
  { weight: 1, arbitrary: fc.integer().map((n) => n as unknown as string) },
);
const rule: fc.Arbitrary<TextRule> = fc.record(
  {
    field: fc.constant('data.message'),
    max: fc.integer({ min: 0, max: 12 }),
    min: fc.integer({ min: 0, max: 8 }),
    required: fc.boolean(),
    multiline: fc.boolean(),
    pattern: fc.constant(ID_PATTERN),
    patternHint: fc.constant('letters and digits'),
  },
  { requiredKeys: ['field', 'max'] },
);

describe('checkText and textViolation', () => {
  it('answer every text and rule exactly as checkText did before issue 19', () => {
    fc.assert(
      fc.property(value, rule, (v, r) => {
        const expected = referenceCheckText(v, r);
        expect(checkText(v, r)).toEqual(expected);
        expect(textViolation(v, r)).toBe(expected[0]?.description);
      }),
      { seed: 19, numRuns: 3000 },
    );
  });
});
