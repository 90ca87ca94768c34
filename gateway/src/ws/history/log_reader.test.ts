import { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { describe, expect, it, vi } from 'vitest';
import { partitionKey, PastRetentionError, type LogRecord, type ReadRange } from './kafka_log';
import { LogReader } from './log_reader';
import { PositionCodec, positionEpoch } from './position_token';
import { ANONYMOUS, type Principal } from '../../auth';
import type { Delivered } from '../doors/door_encoders';
import { framesOf, type ReplayFrames } from './replay_frames';
import { decodeTickEvent } from './tick_event_decoder';

// Ticks are decoded by hand (the generated decoder only when that gives way): counted through a spy.
vi.mock('./tick_event_decoder', async (original) => {
  const { decodeTickEvent } = await original<typeof import('./tick_event_decoder')>();
  return { decodeTickEvent: vi.fn(decodeTickEvent) };
});

const TOPIC = 'p.market_data_update';
const logger = createLogger('test', {}, { level: 'silent' });
const alice: Principal = { ...ANONYMOUS, userId: 'alice', method: 'jwt', channels: ['*'], scopes: ['read'] };
/** Reads for a tRPC subscriber of AAPL's ticks (its frames are each event's JSON), as alice. */
const CLIENT = { recipe: { door: 'trpc' as const }, channels: ['market-data:AAPL'], records: 256 };
const asAlice = () => alice;

/** A tick record; `key` as the runtime's bus writes it (the subject), or none. */
function record(partition: number, offset: number, timestamp: number, symbol = 'AAPL', key: string | null = null): LogRecord {
  const event = events.Event.fromPartial({
    id: `e${partition}-${offset}`,
    type: 'market_data_update',
    source: 't',
    subject: symbol,
    time: '2024-01-01T00:00:00Z',
    payload: { $case: 'market_data_update', market_data_update: { symbol, price: offset } },
  });
  const value = Buffer.from(events.Event.encode(event).finish());
  return { topic: TOPIC, partition, offset, timestamp, key: key === null ? null : Buffer.from(key), value, headers: {} };
}

/** Partitions in memory, `perFetch` records per partition per fetch; records before `low` are past retention. */
function memoryLog(partitions: LogRecord[][], perFetch = 2, low = 0) {
  return {
    async fetch(ranges: readonly ReadRange[]) {
      await new Promise((r) => setImmediate(r));
      const out = new Map<string, LogRecord[]>();
      for (const range of ranges) {
        if (range.from < low) throw new PastRetentionError(range.key);
        const partition = Number(range.key.slice(range.key.lastIndexOf('/') + 1));
        const records = partitions[partition]!.filter((r) => r.offset >= range.from && r.offset < range.to).slice(0, perFetch);
        if (records.length > 0) range.from = records.at(-1)!.offset + 1;
        out.set(range.key, records);
      }
      return out;
    },
  };
}

function unpacked(frames: ReplayFrames | null): Delivered[] {
  return frames ? framesOf(frames).map((f) => JSON.parse(f.payload.toString()) as Delivered) : [];
}

async function drain(next: () => Promise<ReplayFrames | null>): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (let batch = await next(); batch; batch = await next()) out.push(...unpacked(batch));
  return out;
}

// Without a worker (and always when run from sources) the reader serves reads on this thread over a
// MessageChannel: the same messages, copied the same way, as with the read-back thread.
describe('LogReader', () => {
  it("hands back the frames of every partition's events, in Kafka time order, each with its pos, then ends", async () => {
    const log = memoryLog([
      [record(0, 0, 10), record(0, 1, 13), record(0, 2, 14)],
      [record(1, 0, 11), record(1, 1, 12), record(1, 2, 15)],
    ]);
    const codec = new PositionCodec(positionEpoch('cluster', [TOPIC]), [TOPIC]);
    const reader = new LogReader({ log, worker: undefined, logger });
    const read = reader.open(
      [
        { key: partitionKey(TOPIC, 0), from: 1, to: 3 },
        { key: partitionKey(TOPIC, 1), from: 0, to: 3 },
      ],
      codec.parts,
      CLIENT,
      asAlice,
    );
    const got = await drain(read.next);
    expect(got.map((e) => e.id)).toEqual(['e1-0', 'e1-1', 'e0-1', 'e0-2', 'e1-2']);
    expect(got[0]!.pos).toBe(codec.entryAfter(TOPIC, 1, 0));
    expect(got[0]!.data).toEqual(expect.objectContaining({ price: 0 }));
    read.close();
    await reader.close();
  });

  it("decodes only the records whose key names a symbol the client reads, in a topic of every symbol's ticks", async () => {
    // Ten symbols share the topic; a resume of AAPL's channel is about a tenth of its records.
    const symbols = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOG', 'META', 'NFLX', 'IBM', 'ORCL'];
    const partition = Array.from({ length: 100 }, (_, o) => record(0, o, o, symbols[o % 10]!, symbols[o % 10]!));
    // A record without a key is judged by its event, as before.
    partition.push(record(0, 100, 100, 'AAPL', null), record(0, 101, 101, 'MSFT', null));
    const reader = new LogReader({ log: memoryLog([partition], 200), worker: undefined, logger });
    const decode = vi.mocked(decodeTickEvent);
    decode.mockClear();
    try {
      const read = reader.open([{ key: partitionKey(TOPIC, 0), from: 0, to: 102 }], undefined, CLIENT, asAlice);
      const got = await drain(read.next);
      expect(got.map((e) => e.id)).toEqual([...Array.from({ length: 10 }, (_, i) => `e0-${i * 10}`), 'e0-100']);
      expect(decode).toHaveBeenCalledTimes(12);
      read.close();
    } finally {
      await reader.close();
    }
  });

  it('reads on when the ranges grow after the pull that got to their end had left, also into a partition it had not asked for', async () => {
    const log = memoryLog([[0, 1, 2, 3, 4].map((o) => record(0, o, o)), [record(1, 0, 10)]], 10);
    const reader = new LogReader({ log, worker: undefined, logger });
    const ranges: ReadRange[] = [{ key: partitionKey(TOPIC, 0), from: 0, to: 3 }];
    const read = reader.open(ranges, undefined, CLIENT, asAlice);
    const first = read.next();
    // The live events held for the client were dropped: the read must go as far as live stood then.
    ranges[0]!.to = 5;
    ranges.push({ key: partitionKey(TOPIC, 1), from: 0, to: 1 });
    const got = [...unpacked(await first), ...(await drain(read.next))];
    expect(got.map((e) => e.id)).toEqual(['e0-0', 'e0-1', 'e0-2', 'e0-3', 'e0-4', 'e1-0']);
    read.close();
    await reader.close();
  });

  it('a read starting past retention rejects with PastRetentionError naming the partition', async () => {
    const reader = new LogReader({ log: memoryLog([[record(0, 0, 0), record(0, 1, 1)]], 2, 1), worker: undefined, logger });
    const read = reader.open([{ key: partitionKey(TOPIC, 0), from: 0, to: 2 }], undefined, CLIENT, asAlice);
    const failure = await read.next().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PastRetentionError);
    expect((failure as PastRetentionError).key).toBe(partitionKey(TOPIC, 0));
    await expect(read.next()).rejects.toBeInstanceOf(PastRetentionError);
    await reader.close();
  });

  it('closing the reader fails the reads in flight rather than leaving them waiting', async () => {
    const never = { fetch: () => new Promise<Map<string, LogRecord[]>>(() => {}) };
    const reader = new LogReader({ log: never, worker: undefined, logger });
    const read = reader.open([{ key: partitionKey(TOPIC, 0), from: 0, to: 2 }], undefined, CLIENT, asAlice);
    const pending = read.next();
    await reader.close();
    await expect(pending).rejects.toThrow(/read-back thread stopped: the gateway is closing/);
  });
});
