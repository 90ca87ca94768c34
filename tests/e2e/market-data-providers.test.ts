// Ticks from each provider reach Kafka as market_data_update events, keyed by symbol and in order
// per symbol (strictly increasing sequence, non-decreasing time, the feed's own order).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketDataHandle } from '@marketpulse/market-data';
import { waitFor } from '../harness';
import { fixtureMessages, startExchangeTestServer, type ExchangeTestServer } from '@marketpulse/market-data/testkit';
import { bySymbol, newSlice, readEvents, startService, type Received } from './market-data.kit';

function expectInOrderPerSymbol(received: Received) {
  for (const [symbol, list] of bySymbol(received.ticks)) {
    const sequences = list.map((t) => Number(t.sequence));
    expect(sequences, `${symbol} sequences`).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size, `${symbol} sequences unique`).toBe(sequences.length);
    const times = list.map((t) => Date.parse(t.timestamp!));
    expect(times, `${symbol} times`).toEqual([...times].sort((a, b) => a - b));
  }
  // Every record is keyed by its symbol, so one symbol stays on one partition.
  expect(received.misKeyed).toBe(0);
}

describe('market-data providers into Kafka', () => {
  let service: MarketDataHandle | undefined;
  let reader: Received | undefined;
  let exchange: ExchangeTestServer | undefined;
  afterEach(async () => {
    await service?.close();
    await reader?.close();
    await exchange?.close();
    service = reader = exchange = undefined;
  });

  it('simulated: every symbol ticks at the configured rate, in order, keyed by symbol', async () => {
    const slice = await newSlice('md-prov-sim');
    reader = await readEvents(slice);
    service = await startService(slice, { MARKET_PROVIDER: 'simulated', MARKET_TICK_RATE: '10', MARKET_SEED: '5' });
    const symbols = ['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'TSLA', 'BTC-USD', 'ETH-USD'];
    await waitFor(() => symbols.every((s) => (bySymbol(reader!.ticks).get(s)?.length ?? 0) >= 15), {
      timeoutMs: 20_000,
      what: '15 ticks of every symbol',
    });
    const aapl = bySymbol(reader.ticks).get('AAPL')!;
    expect(aapl.slice(0, 15).map((t) => Number(t.sequence))).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(aapl[0]).toMatchObject({ symbol: 'AAPL', provider: 'simulated' });
    expect(aapl[0].bid).toBeLessThanOrEqual(aapl[0].ask);
    expect(Date.parse(aapl[1].timestamp!) - Date.parse(aapl[0].timestamp!)).toBe(100);
    expectInOrderPerSymbol(reader);
  });

  it('replay: the file reaches Kafka record for record, in file order per symbol', async () => {
    const slice = await newSlice('md-prov-replay');
    const t0 = Date.UTC(2024, 4, 1, 14, 30);
    const rows = Array.from({ length: 60 }, (_, i) => ({
      symbol: i % 3 === 0 ? 'MSFT' : 'AAPL',
      price: 100 + (i % 7) * 0.05,
      bid: 99.99,
      ask: 100.5,
      volume: i + 1,
      time: new Date(t0 + i * 250).toISOString(),
    }));
    const path = join(mkdtempSync(join(tmpdir(), 'md-e2e-')), 'ticks.ndjson');
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n'));
    reader = await readEvents(slice);
    service = await startService(slice, {
      MARKET_PROVIDER: 'replay',
      MARKET_REPLAY_FILE: path,
      MARKET_REPLAY_SPEED: '20',
      MARKET_SYMBOLS: 'AAPL,MSFT',
    });
    await waitFor(() => reader!.ticks.length === rows.length, { timeoutMs: 20_000, what: `${rows.length} replayed ticks` });
    for (const symbol of ['AAPL', 'MSFT']) {
      const expected = rows.filter((r) => r.symbol === symbol);
      const got = bySymbol(reader.ticks).get(symbol)!;
      expect(got.map((t) => [t.price, t.volume, t.timestamp])).toEqual(expected.map((r) => [r.price, r.volume, r.time]));
      expect(got.map((t) => Number(t.sequence))).toEqual(expected.map((_, i) => i + 1));
    }
    expectInOrderPerSymbol(reader);
  });

  for (const exchangeName of ['binance', 'coinbase'] as const) {
    it(`${exchangeName}: recorded stream messages from a local server reach Kafka as ticks, in order`, async () => {
      const slice = await newSlice(`md-prov-${exchangeName}`);
      const messages = fixtureMessages(exchangeName === 'binance' ? 'binance_combined_stream.ndjson' : 'coinbase_ticker.ndjson');
      exchange = await startExchangeTestServer(messages, exchangeName === 'coinbase' ? { afterSubscribe: () => [] } : {});
      reader = await readEvents(slice);
      service = await startService(slice, {
        MARKET_PROVIDER: exchangeName,
        [exchangeName === 'binance' ? 'MARKET_BINANCE_URL' : 'MARKET_COINBASE_URL']: exchange.url,
        MARKET_SYMBOLS: 'BTC-USD,ETH-USD',
        // Recorded messages are old; judging their age is not what this test is about.
        MARKET_STALE_MS: '86400000000',
      });
      const expected =
        exchangeName === 'binance'
          ? { 'BTC-USD': [67010.15, 67010.2, 67011.1], 'ETH-USD': [3781.44, 3781.45] }
          : { 'BTC-USD': [67005.01, 67006.5], 'ETH-USD': [3781.22, 3781.3] };
      await waitFor(() => reader!.ticks.length === 4 + (exchangeName === 'binance' ? 1 : 0), {
        timeoutMs: 20_000,
        what: `${exchangeName} ticks in Kafka`,
      });
      for (const [symbol, prices] of Object.entries(expected)) {
        const got = bySymbol(reader.ticks).get(symbol)!;
        expect(got.map((t) => t.price)).toEqual(prices);
        expect(got.every((t) => t.provider === exchangeName)).toBe(true);
      }
      expectInOrderPerSymbol(reader);
      expect(service.provider.stats()).toMatchObject({ provider: exchangeName, failures: 0, connected: true });
    });
  }

  it('binance: a trade whose time is no instant is reported and dropped, and the feed goes on', async () => {
    const slice = await newSlice('md-prov-bad-time');
    // Finite numbers, but no date an event can carry: the first ended the process (RangeError in the socket handler).
    // The last is a date, a day ahead: every recorded tick after it was out of order, the quote frozen.
    const hostile = [1e17, -1, 253402300800000, Date.now() + 86_400_000].map((T, i) =>
      JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', E: T, s: 'BTCUSDT', t: i, p: '67000.00', q: '0.1', T } }),
    );
    exchange = await startExchangeTestServer([...hostile, ...fixtureMessages('binance_combined_stream.ndjson')]);
    reader = await readEvents(slice);
    service = await startService(slice, {
      MARKET_PROVIDER: 'binance',
      MARKET_BINANCE_URL: exchange.url,
      MARKET_SYMBOLS: 'BTC-USD,ETH-USD',
      MARKET_STALE_MS: '86400000000',
    });
    await waitFor(() => reader!.ticks.length === 5 && reader!.issues.some((i) => i.kind === 'invalid_value'), {
      timeoutMs: 20_000,
      what: 'the recorded ticks and an invalid_value issue in Kafka',
    });
    expect(
      bySymbol(reader.ticks)
        .get('BTC-USD')!
        .map((t) => [t.price, Number(t.sequence)]),
    ).toEqual([
      [67010.15, 1],
      [67010.2, 2],
      [67011.1, 3],
    ]);
    expect(reader.issues.find((i) => i.kind === 'invalid_value')).toMatchObject({ symbol: 'BTC-USD', severity: 'critical' });
    expectInOrderPerSymbol(reader);
  });
});
