import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@marketpulse/runtime';
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
        return err as AppError;
      }
    })();
    expect(mismatch?.reason).toBe('VERSION_SYMBOL_MISMATCH');
    expect(mismatch?.status).toBe(grpc.status.INVALID_ARGUMENT);
    expect(() => parseVersion('AAPL', 'latest')).toThrow(/not a model version; expected AAPL-v<number>/);
    expect(() => parseVersion('AAPL', 'v0')).toThrow(AppError);
    // int4 in the store: a larger number must be refused before it reaches SQL (it answered 500)
    expect(() => parseVersion('AAPL', 'v2147483648')).toThrow(/exceeds 2147483647/);
    expect(parseVersion('AAPL', 'v2147483647')).toBe(2147483647);
  });
});
