import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '../tick';
import { CoinbaseProtocol } from './coinbase';
import { fixtureMessages, startExchangeTestServer, waitFor, type ExchangeTestServer } from './exchange_server.testkit';
import { WebSocketFeedProvider } from './websocket_feed';

describe('Coinbase adapter', () => {
  let server: ExchangeTestServer | undefined;
  let provider: WebSocketFeedProvider | undefined;
  afterEach(async () => {
    await provider?.stop();
    await server?.close();
  });

  it('subscribes to the ticker channel and maps ticker messages to ticks', async () => {
    server = await startExchangeTestServer(fixtureMessages('coinbase_ticker.ndjson'), {
      afterSubscribe: (first) => {
        const request = JSON.parse(first) as { product_ids: string[] };
        return [JSON.stringify({ type: 'subscriptions', channels: [{ name: 'ticker', product_ids: request.product_ids }] })];
      },
    });
    provider = new WebSocketFeedProvider(new CoinbaseProtocol(['AAPL', 'BTC-USD', 'ETH-USD']), {
      baseUrl: server.url,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      idleTimeoutMs: 10_000,
      maxMessagesPerSecond: 5000,
    });
    const ticks: Tick[] = [];
    await provider.start((t) => ticks.push(t));
    await waitFor(() => ticks.length === 4);
    expect(JSON.parse(server.received[0])).toEqual({ type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channels: ['ticker'] });
    expect(ticks.map((t) => [t.symbol, t.price])).toEqual([
      ['ETH-USD', 3781.22],
      ['BTC-USD', 67005.01],
      ['ETH-USD', 3781.3],
      ['BTC-USD', 67006.5],
    ]);
    expect(ticks[0]).toEqual({
      symbol: 'ETH-USD',
      price: 3781.22,
      bid: 3781.04,
      ask: 3781.27,
      volume: 11.4396987,
      timeMs: Date.parse('2024-05-29T16:26:40.061Z'),
      provider: 'coinbase',
    });
    expect(provider.stats()).toMatchObject({ failures: 0, ticks: 4, connected: true });
  });

  it('records an error the exchange reports in-band as a failure', async () => {
    server = await startExchangeTestServer(
      [JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: 'XYZ-USD is not a valid product' })],
      {
        afterSubscribe: () => [],
      },
    );
    provider = new WebSocketFeedProvider(new CoinbaseProtocol(['XYZ-USD']), {
      baseUrl: server.url,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      idleTimeoutMs: 10_000,
      maxMessagesPerSecond: 5000,
    });
    await provider.start(() => undefined);
    await waitFor(() => provider!.stats().failures === 1);
    expect(provider.stats().lastError).toBe('coinbase error: Failed to subscribe (XYZ-USD is not a valid product)');
  });
});
