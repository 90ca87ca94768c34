import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('market-data configuration', () => {
  it('refuses, at start-up, a symbol no door would accept, naming it', () => {
    for (const symbols of ['AAPL,BAD\tX', 'AAPL,../etc', 'AAPL,ÄPFEL', `AAPL,${'X'.repeat(33)}`])
      expect(() => loadConfig({ MARKET_SYMBOLS: symbols }), symbols).toThrow(/MARKET_SYMBOLS.*a symbol has at most 32 letters, digits/s);
    expect(loadConfig({ MARKET_SYMBOLS: 'aapl, BRK.B,EUR/USD,btc-usd' }).MARKET_SYMBOLS).toEqual(['AAPL', 'BRK.B', 'EUR/USD', 'BTC-USD']);
  });
});
