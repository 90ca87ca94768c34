// Candles match hand-computed windows: as `aggregation` events on Kafka when a window closes,
// through GetCandles, and as rows in the service's PostgreSQL schema.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { market } from '@marketpulse/proto';
import type { MarketDataHandle } from '@marketpulse/market-data';
import { waitFor } from '../harness';
import { marketClient, newSlice, readEvents, startService, unary, type MarketClient, type Received, type Slice } from './market-data.kit';

const T0 = Date.UTC(2024, 4, 1, 14, 30, 0);
const at = (ms: number) => new Date(T0 + ms).toISOString();
// [offset ms, symbol, price, volume]
const FEED: [number, string, number, number][] = [
  [100, 'AAPL', 10, 1],
  [400, 'AAPL', 12, 2],
  [500, 'MSFT', 50, 1],
  [700, 'AAPL', 9, 3],
  [999, 'AAPL', 11, 4],
  [1000, 'AAPL', 20, 1],
  [1500, 'MSFT', 51, 1],
  [30_000, 'AAPL', 15, 2],
  [61_000, 'AAPL', 16, 1],
];

const candle = (
  symbol: string,
  interval: string,
  startMs: number,
  lengthMs: number,
  o: number,
  h: number,
  l: number,
  c: number,
  v: number,
  trades: number,
  notional: number,
) => ({
  symbol,
  interval,
  open_time: at(startMs),
  close_time: at(startMs + lengthMs),
  open: o,
  high: h,
  low: l,
  close: c,
  volume: v,
  trade_count: String(trades),
  vwap: expect.closeTo(notional / v, 9),
});

// Worked out by hand from FEED.
const AAPL_1S_0 = candle('AAPL', '1s', 0, 1000, 10, 12, 9, 11, 10, 4, 10 * 1 + 12 * 2 + 9 * 3 + 11 * 4);
const AAPL_1S_1 = candle('AAPL', '1s', 1000, 1000, 20, 20, 20, 20, 1, 1, 20);
const AAPL_1S_30 = candle('AAPL', '1s', 30_000, 1000, 15, 15, 15, 15, 2, 1, 30);
const AAPL_1M_0 = candle('AAPL', '1m', 0, 60_000, 10, 20, 9, 15, 13, 6, 155);
const MSFT_1S_0 = candle('MSFT', '1s', 0, 1000, 50, 50, 50, 50, 1, 1, 50);
// MSFT goes quiet after 1.5 s: its windows close once the feed's time (AAPL's ticks) passes them.
const MSFT_1S_1 = candle('MSFT', '1s', 1000, 1000, 51, 51, 51, 51, 1, 1, 51);
const MSFT_1M_0 = candle('MSFT', '1m', 0, 60_000, 50, 51, 50, 51, 2, 2, 101);

describe('market-data candles', () => {
  let slice: Slice;
  let service: MarketDataHandle;
  let reader: Received;
  let client: MarketClient;

  beforeAll(async () => {
    slice = await newSlice('md-candles');
    const path = join(mkdtempSync(join(tmpdir(), 'md-candles-')), 'feed.csv');
    writeFileSync(path, ['symbol,time,price,volume', ...FEED.map(([ms, s, p, v]) => `${s},${at(ms)},${p},${v}`)].join('\n'));
    reader = await readEvents(slice);
    service = await startService(slice, {
      MARKET_PROVIDER: 'replay',
      MARKET_REPLAY_FILE: path,
      MARKET_REPLAY_SPEED: '0',
      MARKET_SYMBOLS: 'AAPL,MSFT',
    });
    client = marketClient(service.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
    await reader?.close();
  });

  it('publishes each closed window once, with the hand-computed OHLCV', async () => {
    await waitFor(() => reader.candles.length >= 7, { timeoutMs: 20_000, what: 'seven closed candles on Kafka' });
    await new Promise((r) => setTimeout(r, 1000)); // nothing else may close
    const sorted = [...reader.candles].sort((a, b) =>
      `${a.symbol}${a.interval}${a.open_time}`.localeCompare(`${b.symbol}${b.interval}${b.open_time}`),
    );
    expect(sorted).toEqual([AAPL_1M_0, AAPL_1S_0, AAPL_1S_1, AAPL_1S_30, MSFT_1M_0, MSFT_1S_0, MSFT_1S_1]);
  });

  it('answers GetCandles for a range with closed windows and the open one', async () => {
    const seconds = await unary<market.GetCandlesResponse>((cb) =>
      client.getCandles({ symbol: 'AAPL', interval: '1s', start_time: at(0), end_time: at(120_000), limit: 0 }, cb),
    );
    expect(seconds.candles).toEqual([AAPL_1S_0, AAPL_1S_1, AAPL_1S_30, candle('AAPL', '1s', 61_000, 1000, 16, 16, 16, 16, 1, 1, 16)]);
    const minutes = await unary<market.GetCandlesResponse>((cb) =>
      client.getCandles({ symbol: 'AAPL', interval: '1m', start_time: at(0), end_time: at(60_000), limit: 0 }, cb),
    );
    expect(minutes.candles).toEqual([AAPL_1M_0]);
    const lastTwo = await unary<market.GetCandlesResponse>((cb) =>
      client.getCandles({ symbol: 'AAPL', interval: '1s', start_time: at(0), end_time: at(120_000), limit: 2 }, cb),
    );
    expect(lastTwo.candles.map((c) => c.open_time)).toEqual([at(30_000), at(61_000)]);
  });

  it('keeps the candles in the database', async () => {
    await service.engine.persist();
    const db = new Client({ connectionString: slice.db.url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT symbol, interval, start_ms::float8 AS start_ms, open, high, low, close, volume, trades, closed
         FROM market_data.candles WHERE symbol = 'AAPL' AND interval = '1m' ORDER BY start_ms`,
      );
      expect(rows).toEqual([
        { symbol: 'AAPL', interval: '1m', start_ms: T0, open: 10, high: 20, low: 9, close: 15, volume: 13, trades: 6, closed: true },
        {
          symbol: 'AAPL',
          interval: '1m',
          start_ms: T0 + 60_000,
          open: 16,
          high: 16,
          low: 16,
          close: 16,
          volume: 1,
          trades: 1,
          closed: false,
        },
      ]);
    } finally {
      await db.end();
    }
  });
});
