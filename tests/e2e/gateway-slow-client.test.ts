import { randomUUID } from 'node:crypto';
import { CLOSE, loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import type { events } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { uniqueTopicPrefix, waitFor } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// Issue 6's acceptance line: "a client that stops reading is disconnected while 100 others keep
// receiving on time". Events go through the bus into a gateway started with startGateway, out over
// real sockets to 101 clients of one channel; one of them pauses its socket after the welcome.
//
// "On time" without a stopwatch: the publisher sends message k + LAG only once every reader has
// received message k, and the slow client does not read a byte until publishing is over. A
// broadcast that waited for the slow client would stall the readers, and with them the publisher.

const logger = createLogger('gateway-slow-client-e2e', {}, { level: 'warn' });
const prefix = uniqueTopicPrefix('gateway-slow-client');

const READERS = 100;
const QUEUE_BYTES = 64 * 1024;
/** Events per publish call. */
const BATCH = 10;
/** How many messages a reader may be behind the publisher. */
const LAG = 2 * BATCH;
/** Messages still published after the slow client is gone, which the readers must get too. */
const AFTER_DISCONNECT = 200;
/** Enough to fill any loopback socket buffers many times over; reaching it means no 4002 came. */
const MAX_MESSAGES = 20_000;
/** A generous bound for a stall, not a speed requirement: the readers normally catch up within a batch. */
const STALL_MS = 10_000;
/** Ticks padded to a few KiB: the slow client's loopback socket buffers (about 4 MiB here) fill within about 1,000 messages. */
const PAD = 'x'.repeat(4096);

let gateway: GatewayHandle;
let publisher: Bus;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  const env = { BUS: 'memory', KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  gateway = await startGateway(
    loadGatewayConfig({ ...env, SERVICE_NAME: 'gateway-slow-client-e2e', GATEWAY_PORT: '0', WS_SEND_QUEUE_BYTES: String(QUEUE_BYTES) }),
    { logger, api: false, getPrediction: () => Promise.reject(new Error('not in this test')) },
  );
  await gateway.consuming;
  publisher = createBus(loadGatewayConfig({ ...env, SERVICE_NAME: 'gateway-slow-client-publisher' }), logger);
});

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await gateway?.close();
  await publisher?.close();
});

function tick(n: number): events.Event {
  const time = new Date().toISOString();
  return {
    id: randomUUID(),
    type: 'market_data_update',
    source: 'e2e',
    subject: 'AAPL',
    time,
    owner: '',
    payload: {
      $case: 'market_data_update',
      market_data_update: {
        symbol: 'AAPL',
        price: 150 + n / 100,
        volume: n,
        bid: 150,
        ask: 150.02,
        timestamp: time,
        provider: `simulated-${PAD}`,
        sequence: String(n),
      },
    },
  };
}

/** A client that checks each tick against the published order as it arrives and keeps only counts. */
interface Reader {
  ws: WebSocket;
  received: number;
  outOfOrder: string[];
  welcomed: boolean;
  /** Close code once the connection has closed. */
  closeCode: number | undefined;
  closed: Promise<{ code: number; reason: string }>;
}

function connectReader(url: string, published: readonly string[], onWelcome?: (r: Reader) => void): Reader {
  const ws = new WebSocket(url);
  sockets.push(ws);
  ws.on('error', () => undefined);
  const reader: Reader = {
    ws,
    received: 0,
    outOfOrder: [],
    welcomed: false,
    closeCode: undefined,
    closed: new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        reader.closeCode = code;
        resolve({ code, reason: String(reason) });
      }),
    ),
  };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; id?: string };
    if (m.type === 'connected') {
      reader.welcomed = true;
      onWelcome?.(reader);
    } else if (m.type === 'market_data_update') {
      const expected = published[reader.received];
      if (m.id !== expected && reader.outOfOrder.length < 5)
        reader.outOfOrder.push(`#${reader.received}: got ${m.id}, expected ${expected}`);
      reader.received++;
    }
  });
  return reader;
}

/** Waits until every reader has `count` ticks; on a stall, says who is behind and where. */
async function everyReaderHas(readers: readonly Reader[], count: number, when: string): Promise<void> {
  const deadline = Date.now() + STALL_MS;
  while (readers.some((r) => r.received < count)) {
    const closed = readers.filter((r) => r.closeCode !== undefined);
    if (closed.length > 0)
      throw new Error(`${closed.length} readers were closed (codes ${[...new Set(closed.map((r) => r.closeCode))].join(', ')}) ${when}`);
    if (Date.now() > deadline) {
      const behind = readers.filter((r) => r.received < count);
      throw new Error(
        `${behind.length} readers still lack message ${count} ${when} after ${STALL_MS} ms; they have ${behind
          .slice(0, 10)
          .map((r) => r.received)
          .join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;

describe('gateway slow client among 100 readers', () => {
  it('disconnects the client that stops reading with 4002 while 100 others receive every message, none held back', async () => {
    const url = `ws://127.0.0.1:${gateway.port}/ws/market-data/AAPL`;
    const published: string[] = [];
    // Paused on its welcome: from then on it reads nothing until the end of the test.
    const slow = connectReader(url, published, (r) => socketOf(r.ws).pause());
    const readers = Array.from({ length: READERS }, () => connectReader(url, published));
    await waitFor(() => slow.welcomed && readers.every((r) => r.welcomed), {
      what: `${READERS + 1} welcomes`,
      timeoutMs: 20_000,
      intervalMs: 20,
    });

    const slowDisconnects = () => gateway.ws.stats().counters.slow_disconnects;
    expect(slowDisconnects()).toBe(0);
    let disconnectedAt: number | undefined;
    while (disconnectedAt === undefined || published.length < disconnectedAt + AFTER_DISCONNECT) {
      if (published.length >= MAX_MESSAGES)
        throw new Error(`${MAX_MESSAGES} messages published and the paused client was never disconnected`);
      // Message k + LAG goes out only once every reader has message k.
      const mustHave = published.length + BATCH - LAG;
      if (mustHave > 0) await everyReaderHas(readers, mustHave, `before message ${mustHave + LAG} is published`);
      const batch = Array.from({ length: BATCH }, () => tick(published.length));
      for (const e of batch) published.push(e.id);
      await publisher.publish(batch);
      if (disconnectedAt === undefined && slowDisconnects() > 0) disconnectedAt = published.length;
    }

    await everyReaderHas(readers, published.length, 'after the last message');
    for (const r of readers) {
      expect(r.outOfOrder).toEqual([]);
      expect(r.received).toBe(published.length);
    }
    // The slow client went away during publishing, and it alone: the readers are all still subscribed.
    expect(slowDisconnects()).toBe(1);
    expect(gateway.hub.stats().subscribers_by_channel['market-data:AAPL']).toBe(READERS);
    expect(readers.every((r) => r.ws.readyState === WebSocket.OPEN)).toBe(true);

    // Once it reads again it finds what the kernel held, then the close frame with the slow-client code.
    socketOf(slow.ws).resume();
    expect(await slow.closed).toEqual({ code: CLOSE.SLOW_CLIENT.code, reason: CLOSE.SLOW_CLIENT.reason });
    expect(slow.outOfOrder).toEqual([]);
    expect(slow.received).toBeLessThan(disconnectedAt!);
  });
});
