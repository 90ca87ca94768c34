import { events, market, prediction } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../auth';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';
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
const { gateway, sockets, logger } = inProcessGateways({ name: 'resume-replies', env: { JWT_SECRET: SECRET, WS_AUTH_REQUIRED: 'true' } });

/** The one event type of a test: ticks for /ws/stream, forecasts for the predictions door. */
type EventKind = 'market_data_update' | 'prediction_complete';

function eventOf(kind: EventKind, id: string, symbol: string): events.Event {
  const payload: events.Event['payload'] =
    kind === 'market_data_update'
      ? { $case: kind, market_data_update: market.Tick.fromPartial({ symbol, price: 1 }) }
      : { $case: kind, prediction_complete: prediction.Prediction.fromPartial({ id, symbol, horizon_seconds: 60, predicted_price: 1 }) };
  return events.Event.fromPartial({ id, type: kind, source: 't', subject: symbol, time: '2024-01-01T00:00:00Z', payload });
}

/** One partition held in memory; every fetch waits for `gate` to open. */
class GatedLog {
  readonly records: LogRecord[] = [];
  fetches = 0;
  /** When set, fetches past the gate fail with it (the broker gone). */
  failure: Error | undefined = undefined;
  private opened!: () => void;
  readonly gate = new Promise<void>((resolve) => (this.opened = resolve));

  constructor(readonly topic: string) {}

  open(): void {
    this.opened();
  }

  append(event: events.Event): number {
    const offset = this.records.length;
    this.records.push({
      topic: this.topic,
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
    if (this.failure) throw this.failure;
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

async function setup(kind: EventKind = 'market_data_update', path = '/ws/stream') {
  const gw = await gateway();
  // The Kafka read-back the gateway has on BUS=kafka, over a log the test holds (hub.kafkaResume is that seam).
  const topic = `p.${kind}`;
  const key = partitionKey(topic, 0);
  const log = new GatedLog(topic);
  const index = new PositionIndex({ capacity: 1000, maxAgeMs: 3_600_000 });
  index.seed(new Map([[key, 0]]));
  /** Read-backs over, whatever their outcome (a stopped one too). */
  let readsDone = 0;
  gw.hub.kafkaResume = new KafkaResume({
    reader: new LogReader({ log, worker: undefined, logger }),
    index,
    topicOf: (type) => `p.${type}`,
    eventTypes: [kind],
    ratePerSecond: 1_000_000,
    chunk: 3,
    maxConcurrent: 4,
    queueLimitBytes: 1 << 20,
    stallMs: 60_000,
    metrics: { read: () => void readsDone++ },
    logger,
  });
  /** An event in Kafka that the gateway handled (index) and, when `live`, fanned out now. */
  const handle = (id: string, live: boolean, symbol = 'AAPL') => {
    const event = eventOf(kind, id, symbol);
    index.record(id, key, log.append(event), gw.hub.nextSeq);
    if (!live) return;
    gw.hub.publish([kind === 'market_data_update' ? `market-data:${symbol}` : `predictions:${symbol}`, 'events'], {
      id,
      type: kind,
      source: 't',
      subject: symbol,
      owner: '',
      time: new Date().toISOString(),
      traceId: '',
      data: event.payload?.$case === 'prediction_complete' ? { ...event.payload.prediction_complete } : { symbol, price: 1 },
    });
  };
  const token = await mintToken({ secret: SECRET, subject: 'reader', ttlSeconds: 600 });
  const connect = (query = '') => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}?token=${token}${query}`);
    sockets.push(ws);
    return new Client(ws);
  };
  return { gw, log, handle, connect, readsDone: () => readsDone };
}

describe('a client being caught up from Kafka', () => {
  it('gets its pong, `subscribed` and error replies before the read-back finishes, and its data in order, once each', async () => {
    const { log, handle, connect } = await setup();
    const client = connect();
    await client.next((m) => m.type === 'auth_success');
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
    // Once the read-back is over, unsubscribing is answered as ever.
    const events = client.messages.find((m) => m.type === 'subscribed' && m.data?.type === 'events')!;
    client.send({ type: 'unsubscribe', data: { subscription_id: events.subscription_id } });
    await client.next((m) => m.type === 'unsubscribed');
  });
});

// Engineer D: leaving a subscription while a read-back holds its live events. Before, the held
// events of the left subscription (and its read-back's) still came out: on the predictions door
// after the `connected` of the new symbol, so a client took the old symbol's forecasts for the new
// one's; on /ws/stream `unsubscribed` waited behind them. Now leaving drops what is held of it and
// stops its read-back, and the reply goes out at once. Each check is an ordering of messages read
// after a ping's pong (replies and data share one socket), never a duration.

/** `symbol:id` of each forecast received after the `connected` for `symbol`, in order. */
function forecastsAfter(client: Client, symbol: string): string[] {
  const at = client.messages.findIndex((m) => m.type === 'connected' && m.symbol === symbol);
  if (at < 0) return [];
  return client.messages
    .slice(at + 1)
    .filter((m) => m.type === 'prediction_update')
    .map((m) => `${m.symbol}:${m.id}`);
}

/** Everything the gateway sent before the pong has arrived once it does (the test's publishes are synchronous). */
async function roundTrip(client: Client): Promise<void> {
  const seen = client.messages.filter((m) => m.type === 'pong').length;
  client.send({ type: 'ping' });
  await client.next(() => client.messages.filter((m) => m.type === 'pong').length > seen);
}

describe('a predictions client that switches symbol during a read-back', () => {
  it('gets no forecast of the old symbol after `connected` for the new one, and the new one live at once', async () => {
    const { log, handle, connect, readsDone } = await setup('prediction_complete', '/ws/predictions/AAPL');
    for (let i = 0; i < 10; i++) handle(`a${i}`, false);
    const client = connect('&since=a0');
    await client.next((m) => m.type === 'connected' && m.symbol === 'AAPL');
    await expect.poll(() => log.fetches).toBeGreaterThan(0);
    // The AAPL read-back waits on the gate; AAPL's live forecasts are held meanwhile.
    handle('aLive1', true);
    handle('aLive2', true);

    client.send({ type: 'subscribe', symbol: 'MSFT' });
    await client.next((m) => m.type === 'connected' && m.symbol === 'MSFT');
    handle('mLive1', true, 'MSFT');
    handle('aLive3', true);
    await roundTrip(client);
    // MSFT is live at once, though the AAPL read-back has not finished (its gate is still shut).
    expect(forecastsAfter(client, 'MSFT')).toEqual(['MSFT:mLive1']);

    log.open();
    await expect.poll(readsDone).toBe(1);
    handle('mLive2', true, 'MSFT');
    await roundTrip(client);
    expect(forecastsAfter(client, 'MSFT')).toEqual(['MSFT:mLive1', 'MSFT:mLive2']);
    expect(client.messages.filter((m) => m.type === 'prediction_update' && m.symbol === 'AAPL')).toEqual([]);
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('resumes the new symbol from its `since` with no gap, no duplicate, in order, and nothing of the old one', async () => {
    const { log, handle, connect, readsDone } = await setup('prediction_complete', '/ws/predictions/AAPL');
    for (let i = 0; i < 10; i++) {
      handle(`a${i}`, false);
      handle(`m${i}`, false, 'MSFT');
    }
    const client = connect('&since=a0');
    await client.next((m) => m.type === 'connected' && m.symbol === 'AAPL');
    await expect.poll(() => log.fetches).toBeGreaterThan(0);
    handle('aLive1', true);
    handle('mLive1', true, 'MSFT');

    client.send({ type: 'subscribe', symbol: 'MSFT', since: 'm4' });
    await client.next((m) => m.type === 'connected' && m.symbol === 'MSFT');
    handle('aLive2', true);
    handle('mLive2', true, 'MSFT');
    await roundTrip(client);
    // The MSFT read-back waits on the same gate: its live forecast is held behind it.
    expect(forecastsAfter(client, 'MSFT')).toEqual([]);

    log.open();
    await expect.poll(readsDone).toBe(2);
    await roundTrip(client);
    expect(forecastsAfter(client, 'MSFT')).toEqual(['m5', 'm6', 'm7', 'm8', 'm9', 'mLive1', 'mLive2'].map((id) => `MSFT:${id}`));
    expect(client.messages.filter((m) => m.type === 'prediction_update' && m.symbol === 'AAPL')).toEqual([]);
  });
});

describe('a predictions client whose old read-back fails after it switched symbol', () => {
  it('hears no CANNOT_RECOVER about the symbol it left', async () => {
    const { log, handle, connect, readsDone } = await setup('prediction_complete', '/ws/predictions/AAPL');
    for (let i = 0; i < 10; i++) handle(`a${i}`, false);
    const client = connect('&since=a0');
    await client.next((m) => m.type === 'connected' && m.symbol === 'AAPL');
    await expect.poll(() => log.fetches).toBeGreaterThan(0);
    client.send({ type: 'subscribe', symbol: 'MSFT' });
    await client.next((m) => m.type === 'connected' && m.symbol === 'MSFT');

    log.failure = new Error('the broker went away');
    log.open();
    await expect.poll(readsDone).toBe(1);
    await roundTrip(client);
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
  });
});

describe('a /ws/stream client that unsubscribes during its read-back', () => {
  it('gets `unsubscribed` at once, and no data of that subscription, held or read back, at all', async () => {
    const { log, handle, connect, readsDone } = await setup();
    for (let i = 0; i < 10; i++) handle(`r${i}`, false);
    const client = connect();
    await client.next((m) => m.type === 'auth_success');
    client.send({ type: 'subscribe', data: { type: 'events', since: 'r0' } });
    const subscribed = await client.next((m) => m.type === 'subscribed');
    await expect.poll(() => log.fetches).toBeGreaterThan(0);
    handle('live1', true);
    handle('live2', true);

    client.send({ type: 'unsubscribe', data: { subscription_id: subscribed.subscription_id } });
    // A reply to the next message, handled after the unsubscribe (a ping is answered before door messages).
    client.send({ type: 'subscribe', data: { type: 'no_such_type' } });
    await client.next((m) => m.type === 'error');
    const replies = client.messages.map((m) => m.type);
    expect(replies.indexOf('unsubscribed')).toBeGreaterThan(-1);
    expect(replies.indexOf('unsubscribed')).toBeLessThan(replies.indexOf('error'));

    log.open();
    await expect.poll(readsDone).toBe(1);
    handle('live3', true);
    await roundTrip(client);
    expect(client.dataIds).toEqual([]);
    expect(client.messages.filter((m) => m.type === 'error').map((m) => m.data.code)).toEqual(['UNKNOWN_SUBSCRIPTION_TYPE']);
  });
});

describe('a /ws/stream client whose new credential may no longer read a subscription being resumed', () => {
  it('gets `unsubscribed` (CHANNEL_FORBIDDEN) at once, and none of the events held for it', async () => {
    const { log, handle, connect, readsDone } = await setup('prediction_complete');
    for (let i = 0; i < 10; i++) handle(`p${i}`, false);
    const client = connect();
    await client.next((m) => m.type === 'auth_success');
    client.send({ type: 'subscribe', data: { type: 'predictions', since: 'p0' } });
    await client.next((m) => m.type === 'subscribed');
    await expect.poll(() => log.fetches).toBeGreaterThan(0);
    handle('live1', true);

    const narrower = await mintToken({ secret: SECRET, subject: 'reader', ttlSeconds: 600, channels: ['market-data:*'] });
    client.send({ type: 'auth', data: { token: narrower } });
    await client.next(() => client.messages.filter((m) => m.type === 'auth_success').length === 2);
    client.send({ type: 'subscribe', data: { type: 'no_such_type' } });
    await client.next((m) => m.type === 'error');
    const replies = client.messages.map((m) => m.type);
    expect(replies.indexOf('unsubscribed')).toBeGreaterThan(-1);
    expect(replies.indexOf('unsubscribed')).toBeLessThan(replies.indexOf('error'));
    expect(client.messages.find((m) => m.type === 'unsubscribed')!.data.reason).toBe('CHANNEL_FORBIDDEN');

    log.open();
    await expect.poll(readsDone).toBe(1);
    await roundTrip(client);
    // Neither the forecast held for it nor any read back reaches a credential that may not read them.
    expect(client.dataIds).toEqual([]);
  });
});
