import net from 'node:net';
import { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '../tick';
import { BinanceProtocol } from './binance';
import { fixtureMessages, startExchangeTestServer, waitFor, type ExchangeTestServer } from './exchange_server.testkit';
import { WebSocketFeedProvider } from './websocket_feed';

/** A BTC-USD feed to a server of the test's own on 127.0.0.1, retrying from 20 ms. */
const feedTo = (
  address: ReturnType<net.Server['address']>,
  options: { reconnectMaxMs: number; idleTimeoutMs: number; maxMessagesPerSecond?: number },
) =>
  new WebSocketFeedProvider(new BinanceProtocol(['BTC-USD']), {
    baseUrl: `ws://127.0.0.1:${(address as net.AddressInfo).port}`,
    reconnectMinMs: 20,
    maxMessagesPerSecond: 5000,
    ...options,
  });

describe('Binance adapter', () => {
  let server: ExchangeTestServer | undefined;
  let provider: WebSocketFeedProvider | undefined;
  afterEach(async () => {
    await provider?.stop();
    await server?.close();
  });

  const start = async (messages: string[]) => {
    server = await startExchangeTestServer(messages);
    provider = new WebSocketFeedProvider(new BinanceProtocol(['AAPL', 'BTC-USD', 'ETH-USD']), {
      baseUrl: server.url,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      idleTimeoutMs: 10_000,
      maxMessagesPerSecond: 5000,
    });
    const ticks: Tick[] = [];
    await provider.start((t) => ticks.push(t));
    return ticks;
  };

  it('subscribes to trade and book streams of the listed pairs and maps trades to ticks', async () => {
    const ticks = await start(fixtureMessages('binance_combined_stream.ndjson'));
    await waitFor(() => ticks.length === 5);
    expect(server!.paths[0]).toBe('/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/ethusdt@bookTicker');
    expect(provider!.symbols()).toEqual(['BTC-USD', 'ETH-USD']);
    expect(ticks.map((t) => [t.symbol, t.price])).toEqual([
      ['BTC-USD', 67010.15],
      ['ETH-USD', 3781.44],
      ['BTC-USD', 67010.2],
      ['ETH-USD', 3781.45],
      ['BTC-USD', 67011.1],
    ]);
    expect(ticks[0]).toEqual({
      symbol: 'BTC-USD',
      price: 67010.15,
      bid: 67010.1,
      ask: 67010.2,
      volume: 0.0125,
      timeMs: 1717000000121,
      provider: 'binance',
    });
    // No book ticker seen yet for ETH: quoted at the trade price; then from the book.
    expect(ticks[1]).toMatchObject({ bid: 3781.44, ask: 3781.44 });
    expect(ticks[3]).toMatchObject({ bid: 3781.43, ask: 3781.45 });
    expect(ticks[4]).toMatchObject({ bid: 67011.0, ask: 67011.1, volume: 0.25 });
    const stats = provider!.stats();
    expect(stats).toMatchObject({ connected: true, failures: 0, ticks: 5 });
    expect(stats.calls).toBe(1 + 8); // connection + messages
  });

  it('counts unreadable messages as failures and keeps going', async () => {
    const ticks = await start(['{not json', ...fixtureMessages('binance_combined_stream.ndjson').slice(0, 2)]);
    await waitFor(() => ticks.length === 1);
    expect(provider!.stats()).toMatchObject({ failures: 1 });
    expect(provider!.stats().lastError).not.toBe('');
  });

  it('drops a message over 1 MiB and reconnects, instead of parsing whatever size the exchange sends', async () => {
    const huge = JSON.stringify({
      stream: 'btcusdt@trade',
      data: { e: 'trade', s: 'BTCUSDT', p: '1', q: '1', T: 1, pad: 'x'.repeat(2 * 1024 * 1024) },
    });
    const ticks = await start([huge, ...fixtureMessages('binance_combined_stream.ndjson').slice(0, 2)]);
    await waitFor(() => server!.paths.length >= 2 && provider!.stats().failures >= 1);
    expect(ticks).toEqual([]);
    expect(provider!.stats().lastError).toMatch(/payload|1009|too big/i);
  });

  it('gives up on an exchange that accepts the connection but never answers the upgrade, and tries again', async () => {
    const connections: net.Socket[] = [];
    const silent = net.createServer((socket) => void connections.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const feed = feedTo(silent.address(), { reconnectMaxMs: 100, idleTimeoutMs: 300 });
    try {
      await feed.start(() => undefined);
      await waitFor(() => connections.length >= 2 && feed.stats().failures >= 1);
      expect(feed.stats()).toMatchObject({ connected: false });
      expect(feed.stats().lastError).toMatch(/handshake/i);
    } finally {
      await feed.stop();
      for (const socket of connections) socket.destroy();
      silent.close();
    }
  });

  it('backs off from an exchange that accepts the connection and closes it at once, instead of retrying at the shortest delay', async () => {
    const opened: number[] = [];
    const exchange = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    exchange.on('connection', (socket) => {
      opened.push(performance.now());
      socket.close();
    });
    await new Promise<void>((resolve) => exchange.once('listening', resolve));
    const feed = feedTo(exchange.address(), { reconnectMaxMs: 10_000, idleTimeoutMs: 10_000 });
    try {
      await feed.start(() => undefined);
      await waitFor(() => opened.length >= 6, 10_000);
      // Timers never fire early: the waits double, 20, 40, ... 320 ms before the sixth connection.
      // At the shortest delay each time (the old reset at 'open'), that gap was about 20 ms.
      expect(opened[5] - opened[4]).toBeGreaterThanOrEqual(300);
    } finally {
      await feed.stop();
      exchange.close();
    }
  });

  it('reads a flood at most maxMessagesPerSecond, one message per turn of the event loop, so the process keeps serving', async () => {
    const trade = (i: number) =>
      JSON.stringify({
        stream: 'btcusdt@trade',
        data: { e: 'trade', E: 1717000000123, s: 'BTCUSDT', t: i, p: '67010.15', q: '0.0125', T: 1717000000121, m: false, M: true },
      });
    const flood = Array.from({ length: 8000 }, (_, i) => trade(i));
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (socket) => {
      for (const m of flood) socket.send(m);
    });
    const rate = 1000;
    provider = feedTo(wss.address(), { reconnectMaxMs: 100, idleTimeoutMs: 10_000, maxMessagesPerSecond: rate });
    const ticks: Tick[] = [];
    let firstAt = 0;
    let handledWhenTheLoopTurned = 0;
    try {
      await provider.start((t) => {
        ticks.push(t);
        if (ticks.length > 1) return;
        firstAt = performance.now();
        setImmediate(() => (handledWhenTheLoopTurned = ticks.length));
      });
      await waitFor(() => ticks.length >= 4000, 20_000);
      const elapsedMs = performance.now() - firstAt;
      // Before: every message of a read at once (all 8,000 before anything else ran), in a few
      // milliseconds. The budget holds one second's worth, then refills at `rate`; what was read
      // before reading paused is still handled (up to three 64 KiB reads of these messages). Load
      // only makes the feed slower, never faster, so this lower bound on the time cannot fail for it.
      expect(handledWhenTheLoopTurned).toBeLessThanOrEqual(2);
      const slack = Math.ceil((3 * 65_536) / Buffer.byteLength(flood[0]!));
      expect(elapsedMs).toBeGreaterThanOrEqual(((4000 - rate - slack) / rate) * 1000);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('reconnects after the exchange drops the connection', async () => {
    const ticks = await start(fixtureMessages('binance_combined_stream.ndjson').slice(0, 2));
    await waitFor(() => ticks.length === 1);
    server!.sockets[0].terminate();
    await waitFor(() => ticks.length === 2);
    expect(server!.paths).toHaveLength(2);
  });
});
