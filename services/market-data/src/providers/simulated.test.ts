import { describe, expect, it } from 'vitest';
import { SimulatedMarket } from './simulated';

const SYMBOLS = ['AAPL', 'MSFT', 'BTC-USD'];

function run(seed: number, steps: number, symbols = SYMBOLS) {
  const market = new SimulatedMarket({ symbols, ticksPerSecond: 2, seed, startTimeMs: Date.UTC(2024, 0, 2) });
  return Array.from({ length: steps }, () => market.nextStep()).flat();
}

describe('SimulatedMarket', () => {
  it('produces the same ticks for the same seed', () => {
    expect(run(7, 500)).toEqual(run(7, 500));
  });

  it('produces different ticks for a different seed', () => {
    const a = run(7, 50).map((t) => t.price);
    const b = run(8, 50).map((t) => t.price);
    expect(a).not.toEqual(b);
  });

  it('gives each symbol its own stream, so adding a symbol leaves the others unchanged', () => {
    const alone = run(7, 100, ['AAPL']);
    const withOthers = run(7, 100, ['MSFT', 'AAPL', 'ETH-USD']).filter((t) => t.symbol === 'AAPL');
    expect(withOthers).toEqual(alone);
  });

  it('emits plausible quotes: positive prices, bid <= price <= ask, positive volume, times on the rate grid', () => {
    const ticks = run(1, 1000);
    for (const t of ticks) {
      expect(t.price).toBeGreaterThan(0);
      expect(t.bid).toBeLessThanOrEqual(t.price);
      expect(t.ask).toBeGreaterThanOrEqual(t.price);
      expect(t.volume).toBeGreaterThan(0);
    }
    const aapl = ticks.filter((t) => t.symbol === 'AAPL');
    expect(aapl[1].timeMs - aapl[0].timeMs).toBe(500);
    expect(aapl[999].timeMs - aapl[0].timeMs).toBe(999 * 500);
  });

  it('starts from the given prices (a restart carries on from the last quote)', () => {
    const market = new SimulatedMarket({ symbols: ['AAPL'], ticksPerSecond: 1, seed: 3, startTimeMs: 0, initialPrices: { AAPL: 1234.5 } });
    expect(Math.abs(market.nextStep()[0].price - 1234.5)).toBeLessThan(5);
  });
});
