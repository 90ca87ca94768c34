import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { coerceStrings } from './coerce_input';

const schema = z.object({ hours: z.number().int().optional(), ratio: z.number().optional(), flag: z.boolean().optional() });

describe('query strings to the schema’s types', () => {
  it('reads decimal numbers as numbers', () => {
    expect(coerceStrings({ hours: '24', ratio: '-0.5' }, schema)).toEqual({ hours: 24, ratio: -0.5 });
    expect(coerceStrings({ ratio: '1e3' }, schema)).toEqual({ ratio: 1000 });
  });

  it('leaves anything else for the schema to refuse by field name: hex, binary, blanks, Infinity', () => {
    // Before: Number() read `0x10` as 16, `0b1` as 1, ` 5 ` as 5 and `Infinity` as a number.
    for (const raw of ['0x10', '0b1', '0o7', ' 5 ', '5 ', 'Infinity', '-Infinity', '', '1_000', '+5', '.5', '5.']) {
      expect(coerceStrings({ hours: raw }, schema), raw).toEqual({ hours: raw });
      expect(schema.safeParse(coerceStrings({ hours: raw }, schema)).success, raw).toBe(false);
    }
  });
});
