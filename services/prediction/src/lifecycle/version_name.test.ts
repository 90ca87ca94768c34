import { describe, expect, it } from 'vitest';
import { PredictionError } from '../errors';
import { parseVersion } from './version_name';

describe('parseVersion', () => {
  it('reads the canonical name and its short forms', () => {
    expect(parseVersion('AAPL', 'AAPL-v3')).toBe(3);
    expect(parseVersion('BTC-USD', 'BTC-USD-v12')).toBe(12);
    expect(parseVersion('AAPL', 'v3')).toBe(3);
    expect(parseVersion('AAPL', '3')).toBe(3);
  });

  it("refuses another symbol's version and names that are not versions", () => {
    const mismatch = (() => {
      try {
        parseVersion('AAPL', 'MSFT-v2');
      } catch (err) {
        return err as PredictionError;
      }
    })();
    expect(mismatch?.code).toBe('VERSION_SYMBOL_MISMATCH');
    expect(mismatch?.status).toBe('INVALID_ARGUMENT');
    expect(() => parseVersion('AAPL', 'latest')).toThrow(/not a model version; expected AAPL-v<number>/);
    expect(() => parseVersion('AAPL', 'v0')).toThrow(PredictionError);
  });
});
