import * as grpc from '@grpc/grpc-js';
import { market } from '@marketpulse/proto';
import { createLogger, startGrpcServer, type GrpcServerHandle } from '@marketpulse/runtime';
import { endOf, expectSlowConsumerEnd, runStalledReader, startStallingLink, type StallingLink } from '@marketpulse/runtime/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketDataEngine, TickListener } from '../engine';
import type { MarketDataStore } from '../store';
import { marketDataService } from './server';

// StreamTicks to a client that stops reading while ticks keep coming. Before, the server skipped
// ticks while the transport was full and went on streaming: a client could not tell it had lost
// any (a sequence hole is only visible per symbol, and only to a client that knows to look) and
// its stream never ended. Now (runtime grpc/stream_bound.ts, shared by every server stream) the
// server keeps at most GRPC_STREAM_BUFFER_MESSAGES unread ticks for it, then stops taking ticks
// and ends the stream with SLOW_CONSUMER after the ones already written, none skipped.
//
// The client is grpc-js through the runtime's stalling link (@marketpulse/runtime/testkit): a paused
// grpc-js stream alone does not stop the transport, a reader that stops reading its socket does.

const logger = createLogger('stream-ticks-test', {}, { level: 'silent' });
const BUFFER = 64;
let server: GrpcServerHandle | undefined;
let client: market.MarketDataServiceClient | undefined;
let link: StallingLink | undefined;

afterEach(async () => {
  client?.close();
  link?.close();
  await server?.close(100);
});

const tick = (n: number): market.Tick => ({
  symbol: 'AAPL',
  price: 100 + n / 1000,
  volume: 1,
  bid: 99,
  ask: 101,
  timestamp: new Date(1_700_000_000_000 + n).toISOString(),
  provider: 'simulated',
  sequence: String(n),
});

describe('StreamTicks to a client that stops reading', () => {
  it('ends the stream with SLOW_CONSUMER after every tick it took, holding at most GRPC_STREAM_BUFFER_MESSAGES for the reader', async () => {
    let listener: TickListener | undefined;
    let unsubscribed = false;
    const engine = {
      quotes: { all: () => [] },
      onTick: (l: TickListener) => {
        listener = l;
        return () => (unsubscribed = true);
      },
    } as unknown as MarketDataEngine;
    const store = {} as MarketDataStore;
    server = await startGrpcServer({
      port: 0,
      services: [marketDataService({ engine, store, symbols: ['AAPL'], logger, streamBuffer: BUFFER })],
      reflection: false,
    });
    link = await startStallingLink(server.port);
    client = new market.MarketDataServiceClient(`127.0.0.1:${link.port}`, grpc.credentials.createInsecure());
    const stream = client.streamTicks({ symbols: [] });
    const received: string[] = [];
    stream.on('data', (m: market.StreamTicksResponse) => received.push(m.tick!.sequence));
    const ended = endOf(stream);
    for (let i = 0; i < 250 && !listener; i++) await new Promise((r) => setTimeout(r, 20));
    expect(listener).toBeDefined();

    // A reader that keeps up is never cut (2,000 ticks in bursts of a quarter of the buffer); then it
    // stalls while up to 50,000 more come, far past its transport and the server's buffer.
    const run = await runStalledReader({
      link,
      burst: BUFFER / 4,
      keepUp: 2_000,
      flood: 50_000,
      emit: (n) => listener!(tick(n)),
      received: () => received.length,
      stopped: () => unsubscribed,
      ended,
    });
    expectSlowConsumerEnd(run, {
      buffer: BUFFER,
      keepUp: 2_000,
      frameBytes: (n) => market.StreamTicksResponse.encode({ tick: tick(n) }).finish().length + 5,
      received,
      catchUpMethod: /GetCandles/,
    });
  }, 60_000);
});
