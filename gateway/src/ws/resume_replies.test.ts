import { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../auth';
import { loadGatewayConfig } from '../config';
import { startGateway, type GatewayHandle } from '../service';
import { partitionKey, type LogRecord, type ReadRange } from './history/kafka_log';
import { KafkaResume } from './history/kafka_resume';
import { LogReader } from './history/log_reader';
import { PositionIndex } from './history/positions';

// Issue "stream leftovers" (engineer S), finding 2: while a Kafka read-back caught a connection up,
// the client's own replies (pong, `subscribed`, errors) waited with its held live events behind the
// whole read-back. Now they go out at once; the data keeps its order (read-back, then the live
// events held meanwhile, none missing, none twice). The read-back here is held on a gate the test
// opens only after the replies arrived: on the code as it was, the pong never came (timeout).

const SECRET = 'resume-replies-secret-0123456789';
const TOPIC = 'p.market_data_update';
const KEY = partitionKey(TOPIC, 0);
const logger = createLogger('resume-replies-test', {}, { level: 'silent' });
const gateways: GatewayHandle[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

/** One partition held in memory; every fetch waits for `gate` to open. */
class GatedLog {
  readonly records: LogRecord[] = [];
  fetches = 0;
  private opened!: () => void;
  readonly gate = new Promise<void>((resolve) => (this.opened = resolve));

  open(): void {
    this.opened();
  }

  append(id: string): number {
    const event = events.Event.fromPartial({
      id,
      type: 'market_data_update',
      source: 't',
      subject: 'AAPL',
      time: '2024-01-01T00:00:00Z',
      payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: 1 } },
    });
    const offset = this.records.length;
    this.records.push({
      topic: TOPIC,
      partition: 0,
      offset,
      timestamp: offset,
      value: Buffer.from(events.Event.encode(event).finish()),
      headers: {},
    });
    return offset;
  }

  async fetch(ranges: readonly ReadRange[]): Promise<Map<string, LogRecord[]>> {
    this.fetches++;
    await this.gate;
    const out = new Map<string, LogRecord[]>();
    for (const range of ranges) {
      const records = this.records.filter((r) => r.offset >= range.from && r.offset < range.to).slice(0, 3);
      if (records.length > 0) range.from = records.at(-1)!.offset + 1;
      out.set(range.key, records);
    }
    return out;
  }
}

/** A client of /ws/stream that collects every message, and waits for one that matches. */
class Client {
  readonly messages: Record<string, any>[] = [];
  private waiters: { test: (m: Record<string, any>) => boolean; resolve: (m: Record<string, any>) => void }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as Record<string, any>;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => !(w.test(msg) && (w.resolve(msg), true)));
    });
  }
  next(test: (m: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }
  /** Ids of the data messages received, in order. */
  get dataIds(): string[] {
    return this.messages.filter((m) => m.type === 'data').map((m) => String(m.id ?? m.data?.event?.event_id));
  }
}

async function setup() {
  const config = loadGatewayConfig({
    BUS: 'memory',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    WS_AUTH_REQUIRED: 'true',
    KAFKA_TOPIC_PREFIX: `resume-replies.${Math.random()}.`,
  });
  const gw = await startGateway(config, { logger, getPrediction: () => Promise.reject(new Error('unused')), api: false });
  gateways.push(gw);
  // The Kafka read-back the gateway has on BUS=kafka, over a log the test holds (hub.kafkaResume is that seam).
  const log = new GatedLog();
  const index = new PositionIndex({ capacity: 1000, maxAgeMs: 3_600_000 });
  index.seed(new Map([[KEY, 0]]));
  gw.hub.kafkaResume = new KafkaResume({
    reader: new LogReader({ log, worker: undefined, logger }),
    index,
    topicOf: (type) => `p.${type}`,
    eventTypes: ['market_data_update'],
    ratePerSecond: 1_000_000,
    chunk: 3,
    maxConcurrent: 4,
    queueLimitBytes: 1 << 20,
    stallMs: 60_000,
    metrics: { read: () => {} },
    logger,
  });
  /** An event in Kafka that the gateway handled (index) and, when `live`, fanned out now. */
  const handle = (id: string, live: boolean) => {
    index.record(id, KEY, log.append(id));
    if (!live) return;
    gw.hub.publish(['market-data:AAPL', 'events'], {
      id,
      type: 'market_data_update',
      source: 't',
      subject: 'AAPL',
      owner: '',
      time: new Date().toISOString(),
      traceId: '',
      data: { symbol: 'AAPL', price: 1 },
    });
  };
  const token = await mintToken({ secret: SECRET, subject: 'reader', ttlSeconds: 600 });
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/stream?token=${token}`);
  sockets.push(ws);
  const client = new Client(ws);
  await client.next((m) => m.type === 'auth_success');
  return { gw, log, handle, client };
}

describe('a client being caught up from Kafka', () => {
  it('gets its pong, `subscribed` and error replies before the read-back finishes, and its data in order, once each', async () => {
    const { log, handle, client } = await setup();
    for (let i = 0; i < 10; i++) handle(`r${i}`, false);
    client.send({ type: 'subscribe', data: { type: 'events', since: 'r0' } });
    await client.next((m) => m.type === 'subscribed');
    // The read-back has started and waits on the gate; live events arrive meanwhile and are held.
    await expect.poll(() => log.fetches).toBeGreaterThan(0);
    handle('live1', true);
    handle('live2', true);

    client.send({ type: 'ping' });
    await client.next((m) => m.type === 'pong');
    client.send({ type: 'subscribe', data: { type: 'alerts' } });
    const second = await client.next((m) => m.type === 'subscribed' && m.data?.type === 'alerts');
    client.send({ type: 'subscribe', data: { type: 'no_such_type' } });
    const refusal = await client.next((m) => m.type === 'error');
    expect(second.subscription_id).toBeTypeOf('string');
    expect(refusal.data.code).toBe('UNKNOWN_SUBSCRIPTION_TYPE');
    // Every reply came while the read-back was still held: no data yet.
    expect(client.dataIds).toEqual([]);

    log.open();
    await client.next((m) => m.type === 'data' && client.dataIds.includes('live2'));
    expect(client.dataIds).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'live1', 'live2']);
    // `unsubscribed` stays behind the data it ends.
    const events = client.messages.find((m) => m.type === 'subscribed' && m.data?.type === 'events')!;
    client.send({ type: 'unsubscribe', data: { subscription_id: events.subscription_id } });
    await client.next((m) => m.type === 'unsubscribed');
  });
});
