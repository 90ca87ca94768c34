// MarketDataService over gRPC: quotes, symbols, candles, streamed ticks, provider stats, and
// status codes with clear messages for bad requests.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { market } from '@marketpulse/proto';
import type { MarketDataHandle } from '@marketpulse/market-data';
import { readGrpcError } from '@marketpulse/runtime';
import { waitFor } from '../harness';
import { marketClient, newSlice, startService, unary, type MarketClient } from './market-data.kit';

describe('market-data gRPC', () => {
  let service: MarketDataHandle;
  let client: MarketClient;
  const startedAt = Date.now();

  beforeAll(async () => {
    const slice = await newSlice('md-grpc');
    service = await startService(slice, { MARKET_PROVIDER: 'simulated', MARKET_TICK_RATE: '20', MARKET_SYMBOLS: 'AAPL,TSLA,BTC-USD' });
    client = marketClient(service.grpcPort);
    await waitFor(() => service.engine.quotes.get('BTC-USD') && service.engine.candles.current('AAPL', '1s'), { what: 'first ticks' });
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  const failure = async (start: (cb: (err: grpc.ServiceError | null, res: unknown) => void) => unknown) => {
    const err = await unary(start).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the call should fail').toBeDefined();
    return readGrpcError(err);
  };

  it('returns the latest quote of a symbol', async () => {
    const { quote } = await unary<market.GetQuoteResponse>((cb) => client.getQuote({ symbol: 'aapl' }, cb));
    expect(quote).toMatchObject({ symbol: 'AAPL', provider: 'simulated' });
    expect(quote!.price).toBeGreaterThan(0);
    expect(quote!.bid).toBeLessThanOrEqual(quote!.ask);
    expect(quote!.high).toBeGreaterThanOrEqual(quote!.low);
    expect(quote!.volume).toBeGreaterThan(0);
    expect(quote!.change).toBeCloseTo(quote!.price - quote!.previous_close, 9);
    // A tick of this run's feed, not a stored or made-up time.
    expect(Date.parse(quote!.timestamp!)).toBeGreaterThanOrEqual(startedAt);
    expect(Date.parse(quote!.timestamp!)).toBeLessThanOrEqual(Date.now());
  });

  it('answers NOT_FOUND for an unknown symbol and INVALID_ARGUMENT for bad requests, with messages that say what to do', async () => {
    const unknown = await failure((cb) => client.getQuote({ symbol: 'NOPE' }, cb));
    expect(unknown).toMatchObject({ code: grpc.status.NOT_FOUND, appCode: 'MARKET_SYMBOL_NOT_FOUND' });
    expect(unknown.message).toBe('unknown symbol "NOPE"; known symbols: AAPL, BTC-USD, TSLA');

    const empty = await failure((cb) => client.getQuote({ symbol: ' ' }, cb));
    expect(empty).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, appCode: 'MARKET_SYMBOL_REQUIRED' });

    const range =
      (start_time: string, end_time: string, interval = '1m') =>
      (cb: (err: grpc.ServiceError | null, res: unknown) => void) =>
        client.getCandles({ symbol: 'AAPL', interval, start_time, end_time, limit: 0 }, cb);
    const inverted = await failure(range('2024-05-02T00:00:00Z', '2024-05-01T00:00:00Z'));
    expect(inverted).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, appCode: 'MARKET_INVERTED_RANGE' });
    expect(inverted.message).toContain('swap them');
    const emptyRange = await failure(range('2024-05-01T00:00:00Z', '2024-05-01T00:00:00Z'));
    expect(emptyRange).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, appCode: 'MARKET_EMPTY_RANGE' });
    const interval = await failure(range('2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z', '5m'));
    expect(interval).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, appCode: 'MARKET_INVALID_INTERVAL' });
    expect(interval.message).toBe('interval "5m" is not supported; use one of 1s, 1m, 1h');
    const candlesOfUnknown = await failure((cb) => client.getCandles({ symbol: 'NOPE', interval: '1m', limit: 0 }, cb));
    expect(candlesOfUnknown.code).toBe(grpc.status.NOT_FOUND);
  });

  it('lists the configured symbols with their asset class and feed', async () => {
    const all = await unary<market.ListSymbolsResponse>((cb) => client.listSymbols({ asset_class: '' }, cb));
    expect(all.symbols.map((s) => [s.symbol, s.asset_class, s.active, s.providers])).toEqual([
      ['AAPL', 'equity', true, ['simulated']],
      ['BTC-USD', 'crypto', true, ['simulated']],
      ['TSLA', 'equity', true, ['simulated']],
    ]);
    const crypto = await unary<market.ListSymbolsResponse>((cb) => client.listSymbols({ asset_class: 'crypto' }, cb));
    expect(crypto.symbols.map((s) => s.symbol)).toEqual(['BTC-USD']);
  });

  it('returns candles for a range, most recent last', async () => {
    await waitFor(() => service.engine.candles.current('AAPL', '1s')!.startMs >= Date.now() - 1000 && service.engine.ticksIngested > 100, {
      what: 'a few seconds of ticks',
    });
    const { candles } = await unary<market.GetCandlesResponse>((cb) =>
      client.getCandles(
        { symbol: 'AAPL', interval: '1s', start_time: new Date(Date.now() - 60_000).toISOString(), end_time: undefined, limit: 0 },
        cb,
      ),
    );
    expect(candles.length).toBeGreaterThanOrEqual(2);
    const opens = candles.map((c) => Date.parse(c.open_time!));
    expect(opens).toEqual([...opens].sort((a, b) => a - b));
    for (const c of candles) {
      expect(c.high).toBeGreaterThanOrEqual(Math.max(c.open, c.close));
      expect(c.low).toBeLessThanOrEqual(Math.min(c.open, c.close));
      expect(Date.parse(c.close_time!) - Date.parse(c.open_time!)).toBe(1000);
    }
  });

  it('streams live ticks of the requested symbols only', async () => {
    const stream = client.streamTicks({ symbols: ['TSLA', 'BTC-USD'] });
    const got: market.Tick[] = [];
    stream.on('data', (m: market.StreamTicksResponse) => got.push(m.tick!));
    stream.on('error', () => undefined);
    await waitFor(() => got.length >= 20, { what: '20 streamed ticks' });
    stream.cancel();
    expect(new Set(got.map((t) => t.symbol))).toEqual(new Set(['TSLA', 'BTC-USD']));
    const tsla = got.filter((t) => t.symbol === 'TSLA').map((t) => Number(t.sequence));
    expect(tsla).toEqual(tsla.map((_, i) => tsla[0] + i));

    const bad = client.streamTicks({ symbols: ['NOPE'] });
    const err = await new Promise<unknown>((resolve) => {
      bad.on('error', resolve);
      bad.on('data', () => undefined);
    });
    expect(readGrpcError(err)).toMatchObject({ code: grpc.status.NOT_FOUND, appCode: 'MARKET_SYMBOL_NOT_FOUND' });
  });

  it("reports the provider's calls, failures and latency", async () => {
    const { providers } = await unary<market.GetProviderStatsResponse>((cb) => client.getProviderStats({ provider: '' }, cb));
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ provider: 'simulated', failures: '0', failure_rate: 0, status: 'online', last_error: '' });
    expect(Number(providers[0].calls)).toBeGreaterThan(0);
    expect(providers[0].latency_p99_ms).toBeGreaterThanOrEqual(providers[0].latency_p50_ms);
    const other = await failure((cb) => client.getProviderStats({ provider: 'binance' }, cb));
    expect(other).toMatchObject({ code: grpc.status.NOT_FOUND, appCode: 'MARKET_PROVIDER_NOT_FOUND' });
  });
});
