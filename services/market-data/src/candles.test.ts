import { describe, expect, it } from 'vitest';
import { CandleAggregator, vwap, type Candle } from './candles';
import type { Tick } from './tick';

const T0 = Date.UTC(2024, 0, 2, 10, 0, 0);
const tick = (offsetMs: number, price: number, volume: number, symbol = 'AAPL'): Tick => ({
  symbol,
  price,
  bid: price - 0.01,
  ask: price + 0.01,
  volume,
  timeMs: T0 + offsetMs,
  provider: 'test',
});

describe('CandleAggregator', () => {
  it('closes a 1 s window with hand-computed OHLCV when the next window starts', () => {
    const closed: Candle[] = [];
    const agg = new CandleAggregator((c) => closed.push({ ...c }));
    agg.add(tick(100, 10, 1));
    agg.add(tick(400, 12, 2));
    agg.add(tick(700, 9, 3));
    agg.add(tick(999, 11, 4));
    expect(closed).toEqual([]);
    agg.add(tick(1000, 20, 1));
    const second = closed.filter((c) => c.interval === '1s');
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({
      symbol: 'AAPL',
      startMs: T0,
      endMs: T0 + 1000,
      open: 10,
      high: 12,
      low: 9,
      close: 11,
      volume: 10,
      trades: 4,
      closed: true,
    });
    expect(vwap(second[0])).toBeCloseTo((10 * 1 + 12 * 2 + 9 * 3 + 11 * 4) / 10, 10);
    // The minute and hour windows are still open and hold all five ticks.
    expect(agg.current('AAPL', '1m')).toMatchObject({ open: 10, high: 20, low: 9, close: 20, volume: 11, trades: 5 });
  });

  it('closes a quiet symbol when the watermark passes the end of its window', () => {
    const closed: Candle[] = [];
    const agg = new CandleAggregator((c) => closed.push({ ...c }));
    agg.add(tick(100, 10, 1));
    agg.sweep(T0 + 999);
    expect(closed).toEqual([]);
    agg.sweep(T0 + 1000);
    expect(closed.map((c) => c.interval)).toEqual(['1s']);
    agg.sweep(T0 + 3_600_000);
    expect(closed.map((c) => c.interval)).toEqual(['1s', '1m', '1h']);
  });

  it('leaves out ticks for a window that has already closed', () => {
    const closed: Candle[] = [];
    const agg = new CandleAggregator((c) => closed.push({ ...c }));
    agg.add(tick(100, 10, 1));
    agg.add(tick(1100, 11, 1));
    agg.add(tick(500, 99, 1)); // late for the closed first second
    expect(agg.lateTicks).toBe(1);
    expect(closed.find((c) => c.interval === '1s')!.high).toBe(10);
  });

  it('carries an open window on after a restore and refuses to reopen a closed one', () => {
    const first = new CandleAggregator(() => undefined);
    first.add(tick(100, 10, 1));
    first.add(tick(1100, 12, 1));
    const saved = [...first.takeDirty()];
    const closed: Candle[] = [];
    const second = new CandleAggregator((c) => closed.push({ ...c }));
    second.restore(saved);
    second.add(tick(1500, 8, 2));
    second.add(tick(200, 50, 1)); // belongs to the window closed before the restart
    second.add(tick(2000, 9, 1));
    const restoredSecond = closed.find((c) => c.interval === '1s')!;
    expect(restoredSecond).toMatchObject({ startMs: T0 + 1000, open: 12, high: 12, low: 8, close: 8, volume: 3, trades: 2 });
    expect(second.lateTicks).toBe(1);
  });
});
