import { describe, expect, it } from 'vitest';
import { SimulatedMarket } from './providers/simulated';
import { DataQualityMonitor, type QualityIssue, type QualityRules } from './quality';
import type { Tick } from './tick';

const RULES: QualityRules = { gapMs: 5000, staleMs: 10_000, outlierSigma: 6, outlierWarmup: 30, outlierWindow: 100, cooldownMs: 0 };
const T0 = Date.UTC(2024, 0, 2, 10);

function monitor(rules = RULES) {
  const issues: QualityIssue[] = [];
  return { issues, m: new DataQualityMonitor(rules, (i) => issues.push(i)) };
}

/** A clean random walk, 2 ticks/s. */
function cleanFeed(n: number, symbol = 'AAPL'): Tick[] {
  const market = new SimulatedMarket({ symbols: [symbol], ticksPerSecond: 2, seed: 11, startTimeMs: T0 });
  return Array.from({ length: n }, () => market.nextStep()[0]);
}

function feed(m: DataQualityMonitor, ticks: Tick[], live = false) {
  return ticks.map((t) => m.check(t, live ? t.timeMs + 5 : T0, live));
}

describe('DataQualityMonitor', () => {
  it('raises nothing on a clean simulated feed', () => {
    const { m, issues } = monitor();
    for (const symbol of ['AAPL', 'TSLA', 'BTC-USD', 'ETH-USD']) feed(m, cleanFeed(3000, symbol), true);
    m.sweepStale(T0 + 1500 * 1000);
    expect(issues).toEqual([]);
  });

  it('flags a gap longer than the configured interval', () => {
    const { m, issues } = monitor();
    const ticks = cleanFeed(20);
    ticks.slice(10).forEach((t) => (t.timeMs += 6000));
    feed(m, ticks);
    expect(issues.map((i) => i.kind)).toEqual(['gap']);
    expect(issues[0]).toMatchObject({ symbol: 'AAPL', observedValue: 6500, expectedValue: 5000 });
  });

  it('flags a price beyond N standard deviations, once warmed up', () => {
    const { m, issues } = monitor();
    const ticks = cleanFeed(100);
    ticks[80] = { ...ticks[80], price: ticks[79].price * 1.05 };
    feed(m, ticks);
    expect(issues.map((i) => i.kind)).toContain('outlier');
    expect(issues.find((i) => i.kind === 'outlier')!.observedValue).toBe(ticks[80].price);
  });

  it('flags a crossed quote', () => {
    const { m, issues } = monitor();
    const ticks = cleanFeed(10);
    ticks[5] = { ...ticks[5], bid: ticks[5].price + 1, ask: ticks[5].price - 1 };
    feed(m, ticks);
    expect(issues.map((i) => i.kind)).toEqual(['crossed_quote']);
  });

  it('flags an out-of-order timestamp and keeps the tick out of quotes and candles', () => {
    const { m, issues } = monitor();
    const ticks = cleanFeed(10);
    [ticks[4], ticks[5]] = [ticks[5], ticks[4]];
    const accepted = feed(m, ticks);
    expect(issues.map((i) => i.kind)).toEqual(['out_of_order']);
    expect(accepted[5]).toBe(false);
  });

  it('flags a feed that has gone quiet, once per quiet spell, and a tick that is old on arrival', () => {
    const { m, issues } = monitor();
    m.expect(['AAPL', 'MSFT'], 'simulated', T0);
    m.check(cleanFeed(1)[0], T0, true);
    m.sweepStale(T0 + 5000);
    expect(issues).toEqual([]);
    m.sweepStale(T0 + 11_000);
    m.sweepStale(T0 + 12_000);
    expect(issues.map((i) => `${i.kind}:${i.symbol}`).sort()).toEqual(['stale_feed:AAPL', 'stale_feed:MSFT']);
    const old = { ...cleanFeed(2)[1], symbol: 'MSFT' };
    m.check(old, old.timeMs + 30_000, true);
    expect(issues.at(-1)).toMatchObject({ kind: 'stale_feed', symbol: 'MSFT', observedValue: 30_000 });
  });

  it('reports the same kind for the same symbol at most once per cooldown', () => {
    const { m, issues } = monitor({ ...RULES, cooldownMs: 1000 });
    const ticks = cleanFeed(10).map((t) => ({ ...t, bid: t.ask + 1 }));
    ticks.forEach((t, i) => m.check(t, T0 + i * 300, false));
    expect(issues.filter((i) => i.kind === 'crossed_quote')).toHaveLength(3);
  });
});
