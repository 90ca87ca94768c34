import { events, market } from '@marketpulse/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../auth';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';
import { partitionKey, type LogRecord, type ReadRange } from './history/kafka_log';
import { KafkaResume } from './history/kafka_resume';
import { LogReader } from './history/log_reader';
import { PositionCodec, positionEpoch } from './history/position_token';
import { PositionIndex, type Frontier } from './history/positions';

// Issue 15: a client resumes on an instance that interleaved the partitions in another order than
// the one it left (a restarted gateway warms its history from Kafka in time order; another instance
// consumed the partitions at its own pace). Its last id then places it wrongly in this instance's
// history: records this instance handled before that id may never have been sent to it (the page's
// missed tick in the dashboard test, CI of session 18), and records handled after it may have been
// (duplicates). Its position token says exactly what it was sent: the memory replay goes by that.

const SECRET = 'resume-position-memory-secret-0123';
const { gateway, sockets, logger } = inProcessGateways({
  name: 'resume-position-memory',
  api: true,
  env: { JWT_SECRET: SECRET, WS_AUTH_REQUIRED: 'true' },
});

const TYPE = 'market_data_update';
const TOPIC = `p.${TYPE}`;
const TOPICS = [TOPIC];
const PARTITIONS = 3;

/** Partitions held in memory, read the way KafkaLog reads a broker. */
class MemoryLog {
  readonly partitions = Array.from({ length: PARTITIONS }, () => [] as LogRecord[]);
  fetches = 0;

  append(partition: number, event: events.Event): number {
    const log = this.partitions[partition]!;
    const offset = log.length;
    log.push({ topic: TOPIC, partition, offset, timestamp: offset, value: Buffer.from(events.Event.encode(event).finish()), headers: {} });
    return offset;
  }

  async fetch(ranges: readonly ReadRange[]): Promise<Map<string, LogRecord[]>> {
    this.fetches++;
    await new Promise((r) => setImmediate(r));
    const out = new Map<string, LogRecord[]>();
    for (const range of ranges) {
      const partition = Number(range.key.slice(range.key.lastIndexOf('/') + 1));
      const records = this.partitions[partition]!.filter((r) => r.offset >= range.from && r.offset < range.to).slice(0, 4);
      if (records.length > 0) range.from = records.at(-1)!.offset + 1;
      out.set(range.key, records);
    }
    return out;
  }
}

/** A client of /ws/stream that collects every message. */
class Client {
  readonly messages: Record<string, any>[] = [];
  private waiters: { test: (m: Record<string, any>) => boolean; resolve: () => void }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as Record<string, any>;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => !(w.test(msg) && (w.resolve(), true)));
    });
  }
  async next(test: (m: Record<string, any>) => boolean): Promise<void> {
    if (this.messages.some(test)) return;
    await new Promise<void>((resolve) => this.waiters.push({ test, resolve }));
  }
  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }
  get dataIds(): string[] {
    return this.messages.filter((m) => m.type === 'data').map((m) => String(m.data.event.event_id));
  }
  /** Everything sent before the pong has arrived once it does. */
  async roundTrip(): Promise<void> {
    const pongs = this.messages.filter((m) => m.type === 'pong').length;
    this.send({ type: 'ping' });
    await this.next(() => this.messages.filter((m) => m.type === 'pong').length > pongs);
  }
}

/** A gateway whose hub is fed as the Kafka consumer feeds it, over a log the test holds. */
async function instance(indexCapacity = 1000, historySize?: number) {
  const gw = await gateway(historySize === undefined ? {} : { WS_HISTORY_SIZE: String(historySize) });
  const log = new MemoryLog();
  const codec = new PositionCodec(positionEpoch('cluster', TOPICS), TOPICS);
  const index = new PositionIndex({ capacity: indexCapacity, maxAgeMs: 3_600_000 });
  index.codec = codec;
  index.seed(new Map(Array.from({ length: PARTITIONS }, (_, p) => [partitionKey(TOPIC, p), 0])));
  gw.hub.kafkaResume = new KafkaResume({
    reader: new LogReader({ log, worker: undefined, logger }),
    index,
    topicOf: (type) => `p.${type}`,
    eventTypes: [TYPE],
    ratePerSecond: 1_000_000,
    chunk: 3,
    maxConcurrent: 4,
    queueLimitBytes: 1 << 20,
    stallMs: 60_000,
    metrics: { read: () => undefined },
    logger,
  });
  /** Record `id` lands on `partition` in Kafka (every instance's log is the same Kafka). */
  const produce = (partition: number, id: string) => {
    const event = events.Event.fromPartial({
      id,
      type: TYPE,
      source: 't',
      subject: 'AAPL',
      time: '2024-01-01T00:00:00Z',
      payload: { $case: TYPE, market_data_update: market.Tick.fromPartial({ symbol: 'AAPL', price: 1 }) },
    });
    return { partition, offset: log.append(partition, event), id };
  };
  /** This instance handles a record, as its consumer does: the index, then the hub with the record's pos. */
  const handle = (record: { partition: number; offset: number; id: string }) => {
    index.record(record.id, partitionKey(TOPIC, record.partition), record.offset, gw.hub.nextSeq);
    gw.hub.publish(['market-data:AAPL', 'events'], {
      id: record.id,
      type: TYPE,
      source: 't',
      subject: 'AAPL',
      owner: '',
      time: '2024-01-01T00:00:00Z',
      traceId: '',
      data: { symbol: 'AAPL', price: 1 },
      pos: codec.entryAfter(TOPIC, record.partition, record.offset),
    });
  };
  /** The token of a client that was sent, on each partition, the records before `next`. */
  const position = (next: readonly number[]) => {
    const frontier: Frontier = new Map(next.map((offset, p) => [partitionKey(TOPIC, p), offset]));
    return codec.encode(frontier);
  };
  const token = await mintToken({ secret: SECRET, subject: 'reader', ttlSeconds: 600 });
  const connect = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/stream?token=${token}`);
    sockets.push(ws);
    const client = new Client(ws);
    await client.next((m) => m.type === 'auth_success');
    return client;
  };
  /** A client that was sent the records before `next` on each partition, its last one `since`, resumes here. */
  const resume = async (since: string, next: readonly number[], onSubscribed = () => {}) => {
    const client = await connect();
    client.send({ type: 'subscribe', data: { type: 'events', since, position: position(next) } });
    await client.next((m) => m.type === 'subscribed');
    onSubscribed();
    await client.roundTrip();
    return client;
  };
  /** The ids a tRPC `streams.events` subscription (SSE, read directly) yields, resuming from a position, until `last` came. */
  const resumeOverTrpc = async (next: readonly number[], last: () => string) => {
    const input = encodeURIComponent(JSON.stringify({ channels: ['market-data:AAPL'], lastEventId: position(next) }));
    const res = await fetch(`http://127.0.0.1:${gw.port}/trpc/streams.events?input=${input}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const ids: string[] = [];
    const end = last();
    let text = '';
    for await (const chunk of res.body!) {
      text += Buffer.from(chunk).toString('utf8');
      for (let at = text.indexOf('\n\n'); at >= 0; at = text.indexOf('\n\n')) {
        const data = text
          .slice(0, at)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        text = text.slice(at + 2);
        // The stream's other messages (its `connected`) carry no event id.
        const id = data && (JSON.parse(data.slice(6)) as { id?: unknown }).id;
        if (typeof id === 'string') ids.push(id);
      }
      if (ids.includes(end)) break;
    }
    await res.body!.cancel().catch(() => undefined);
    return ids;
  };
  return { gw, log, produce, handle, resume, resumeOverTrpc };
}

describe('a resume by position on an instance that handled the partitions in another order', () => {
  it('gets a record this instance handled before the last id the client saw, which the client was never sent', async () => {
    const { produce, handle, resume } = await instance();
    // Kafka: y on partition 0, then x on partition 1, then z on partition 0.
    const y = produce(0, 'y');
    const x = produce(1, 'x');
    const z = produce(0, 'z');
    // This instance (warmed in time order) handled y before x; the one the client left sent x and
    // was killed before it sent y.
    for (const r of [y, x, z]) handle(r);
    const client = await resume('x', [0, 1, 0]);
    // Resumed after x in this instance's order, the client lost y.
    expect(client.dataIds).toEqual(['y', 'z']);
  });

  it('does not get again a record this instance handled after that id, which the client was sent', async () => {
    const { produce, handle, resume } = await instance();
    const x = produce(1, 'x');
    const y = produce(0, 'y');
    const z = produce(1, 'z');
    const w = produce(0, 'w');
    for (const r of [x, y, z, w]) handle(r);
    // The instance it left sent x, z, then y: y is its last id, and z came before it there.
    const client = await resume('y', [1, 2, 0]);
    expect(client.dataIds).toEqual(['w']);
  });

  it('a tRPC subscription resuming from its position gets the same, from memory without reading Kafka', async () => {
    const { log, produce, handle, resumeOverTrpc } = await instance();
    const y = produce(0, 'y');
    const x = produce(1, 'x');
    const z = produce(0, 'z');
    for (const r of [y, x, z]) handle(r);
    // A record published once the request is out reaches it once: replayed, or live if it came after.
    const ids = await resumeOverTrpc([0, 1, 0], () => {
      handle(produce(2, 'end'));
      return 'end';
    });
    expect(ids).toEqual(['y', 'z', 'end']);
    // Before, a position always read back from Kafka, whatever the history held.
    expect(log.fetches).toBe(0);
  });

  it('reads back from Kafka what it was not sent when the resume index no longer reaches back to its position', async () => {
    const { log, produce, handle, resume } = await instance(2);
    const records = ['a', 'b', 'c', 'd', 'e'].map((id, i) => produce(i % 2, id));
    for (const r of records) handle(r);
    // Sent a (partition 0) and b (partition 1) only; the index keeps the last two records (d, e).
    const client = await resume('b', [1, 1, 0]);
    await client.next(() => client.dataIds.length >= 3);
    await client.roundTrip();
    expect(client.dataIds).toEqual(['c', 'd', 'e']);
    expect(log.fetches).toBeGreaterThan(0);
  });

  it('property: whatever the two orders, wherever the client stopped and whatever memory still holds, it gets exactly what it was not sent, each partition in order', async () => {
    // Records per partition; the order the client's instance sent them in, and this instance's order.
    const interleaving = (counts: readonly number[]) =>
      fc.array(fc.nat({ max: PARTITIONS - 1 }), { minLength: 60, maxLength: 60 }).map((picks) => {
        const left = [...counts];
        const order: number[] = [];
        for (const p of picks) {
          if (left[p] === 0) continue;
          order.push(p);
          left[p]!--;
        }
        for (let p = 0; p < PARTITIONS; p++) for (; left[p]! > 0; left[p]!--) order.push(p);
        return order;
      });
    const scenario = fc
      .array(fc.integer({ min: 0, max: 6 }), { minLength: PARTITIONS, maxLength: PARTITIONS })
      .filter((counts) => counts.some((c) => c > 0))
      .chain((counts) =>
        fc.record({
          counts: fc.constant(counts),
          theirs: interleaving(counts),
          ours: interleaving(counts),
          sent: fc.integer({ min: 1, max: counts.reduce((a, b) => a + b, 0) }),
          // Small bounds evict: then what memory lost is read back from Kafka.
          indexCapacity: fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 12 })),
          historySize: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 12 })),
          // Partitions of live records handled once the client is subscribed, a replay perhaps still going.
          live: fc.array(fc.nat({ max: PARTITIONS - 1 }), { maxLength: 4 }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ counts, theirs, ours, sent, indexCapacity, historySize, live }) => {
        const { produce, handle, resume } = await instance(indexCapacity, historySize);
        const records = counts.map((n, p) => Array.from({ length: n }, (_, i) => produce(p, `p${p}-${i}`)));
        const inOrder = (order: readonly number[]) => {
          const taken = Array.from({ length: PARTITIONS }, () => 0);
          return order.map((p) => records[p]![taken[p]!++]!);
        };
        for (const r of inOrder(ours)) handle(r);
        const theirOrder = inOrder(theirs);
        const next = Array.from({ length: PARTITIONS }, () => 0);
        for (const r of theirOrder.slice(0, sent)) next[r.partition] = r.offset + 1;
        const liveIds = live.map((p) => {
          const record = produce(p, `p${p}-${records[p]!.length}`);
          records[p]!.push(record);
          return record;
        });
        const client = await resume(theirOrder[sent - 1]!.id, next, () => liveIds.forEach(handle));
        const missed = [...theirOrder.slice(sent), ...liveIds].map((r) => r.id);
        // A read-back's events follow the replies; a gap shows as fewer than missed after the wait.
        await Promise.race([client.next(() => client.dataIds.length >= missed.length), new Promise((r) => setTimeout(r, 5000))]);
        await client.roundTrip();
        expect([...client.dataIds].sort()).toEqual([...missed].sort());
        for (let p = 0; p < PARTITIONS; p++) {
          const own = client.dataIds.filter((id) => id.startsWith(`p${p}-`));
          expect(own).toEqual(missed.filter((id) => id.startsWith(`p${p}-`)));
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
