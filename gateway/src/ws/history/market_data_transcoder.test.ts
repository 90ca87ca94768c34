import { events } from '@marketpulse/proto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth';
import { mayReceive } from '../../visibility';
import type { LogRecord } from './kafka_log';
import { serveLogReads, type ReadReply, type ReadRequest } from './log_read_server';
import { publicationOfRecord } from './record_publication';
import { encoderOf } from './replay_encoders';
import { framesOf } from './replay_frames';
import { positions, record, TOPIC } from './tick_records.testkit';
import { typeChannel } from './type_channel';

// The read-back thread writes the market-data door's tick frames from the records' bytes
// (market_data_transcoder.ts). What a client of that door gets must not change: the same frames,
// in the same order, with the same visibility, the same records filtered out (channels, principal,
// a redelivered id), whichever path each record takes. The generic path, written out here as the
// thread took it before, is the oracle.

const KEY = `${TOPIC}:0`;
const MARKET_DATA = encoderOf({ door: 'market-data' });

interface Sent {
  payload: string;
  channels: readonly string[];
  owner: string;
}

/** What serveLogReads sends a market-data client reading `records` in one pull. */
async function served(records: LogRecord[], channels: string[], principal: Principal | undefined): Promise<Sent[]> {
  let listener: (request: ReadRequest) => void = () => {};
  let onReply: (reply: ReadReply) => void = () => {};
  const log = {
    // As KafkaLog: a range's `from` advances when its records have come.
    async fetch(ranges: readonly { key: string; from: number; to: number }[]) {
      await Promise.resolve();
      return new Map(ranges.map((range) => [range.key, records.slice(range.from, (range.from = range.to))]));
    },
  };
  serveLogReads({ postMessage: (reply) => onReply(reply), on: (_, l) => (listener = l) }, log);
  const ranges = () => [{ key: KEY, from: 0, to: records.length }];
  const codec = { epoch: new Uint8Array(4), topics: [TOPIC] };
  listener({
    op: 'open',
    id: 1,
    ranges: ranges(),
    codec,
    client: { recipe: { door: 'market-data' }, channels, records: records.length + 1 },
  });
  const reply = await new Promise<ReadReply>((resolve) => {
    onReply = resolve;
    listener({ op: 'pull', id: 1, ranges: ranges(), principal });
  });
  if ('failed' in reply) throw new Error(reply.failed);
  const { frames } = reply;
  return framesOf(frames).map((frame, i) => {
    const { channels, owner } = frames.visibility[frames.readers[i]!]!;
    return { payload: frame.payload.toString('latin1'), channels, owner };
  });
}

/** The generic path: every record's publication, filtered and encoded by the door's encoder. */
function generic(records: LogRecord[], channels: string[], principal: Principal | undefined): Sent[] {
  const seen = new Set<string>();
  const sent: Sent[] = [];
  for (const r of records) {
    const pub = publicationOfRecord(r, positions);
    if (!pub || !(pub.channels.some((c) => channels.includes(c)) || channels.includes(typeChannel(pub.type)))) continue;
    if (seen.has(pub.id) || !mayReceive(principal, pub)) continue;
    seen.add(pub.id);
    const frame = MARKET_DATA.encode(pub);
    if (frame) sent.push({ payload: frame.payload.toString('latin1'), channels: pub.channels, owner: pub.owner });
  }
  return sent;
}

/** The producers' ticks of one symbol, as run.mts writes them: id, subject, time, the tick, a traceparent header. */
function ticks(count: number): LogRecord[] {
  const start = Date.UTC(2026, 11, 6, 23, 0, 0);
  return Array.from({ length: count }, (_, n) => {
    const time = new Date(start + n).toISOString();
    const event = events.Event.fromPartial({
      id: `e${n}`,
      type: 'market_data_update',
      source: 'market-data',
      subject: 'CATCH',
      time,
      payload: { $case: 'market_data_update', market_data_update: { symbol: 'CATCH', price: n + 0.5, volume: 1, timestamp: time } },
    });
    const traceparent = Buffer.from(`00-${n.toString(16).padStart(32, '0')}-00f067aa0ba902b7-01`);
    return {
      topic: TOPIC,
      partition: 0,
      offset: n,
      timestamp: 0,
      value: Buffer.from(events.Event.encode(event).finish()),
      headers: { traceparent },
    };
  });
}

/** A field no version of event.proto knows (15, empty): the generated code skips it, the transcoder leaves the record to it. */
const withUnknownField = (r: LogRecord): LogRecord => ({
  ...r,
  offset: r.offset + 1,
  value: Buffer.concat([r.value!, Buffer.from([0x7a, 0x00])]),
});

/** Records, some read again: the same record at another offset, or on the generic path (an unknown field). */
const readBack: fc.Arbitrary<LogRecord[]> = fc.array(record, { maxLength: 30 }).chain((records) =>
  fc
    .subarray(records)
    .chain((again) => fc.array(fc.boolean(), { minLength: again.length, maxLength: again.length }).map((generic) => ({ again, generic })))
    .map(({ again, generic }) => [...records, ...again.map((r, i) => (generic[i] ? withUnknownField(r) : { ...r, offset: r.offset + 1 }))]),
);

const ALICE: Principal = { userId: 'alice', scopes: ['read'], channels: ['market-data:*'], method: 'jwt' };
const OPERATOR: Principal = { userId: 'ops', scopes: ['read', 'admin'], channels: ['*'], method: 'jwt' };
const ONE_SYMBOL: Principal = { userId: 'bob', scopes: ['read'], channels: ['market-data:CATCH'], method: 'api_key' };

describe('the market-data door read back (market_data_transcoder.ts)', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('sends what the generic path sends: the same frames, order, visibility and records left out', async () => {
    // An event without a time is published at the current one: the same for both paths.
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const channelSets = fc.constantFrom<string[]>(
      ['market-data:CATCH'],
      ['market-data:CATCH', 'market-data:AAPL'],
      ['events'],
      [typeChannel('market_data_update')],
    );
    const principals = fc.constantFrom<Principal | undefined>(ANONYMOUS, ALICE, OPERATOR, ONE_SYMBOL, undefined);
    await fc.assert(
      fc.asyncProperty(readBack, channelSets, principals, async (records, channels, principal) => {
        expect(await served(records, channels, principal)).toStrictEqual(generic(records, channels, principal));
      }),
      { seed: 15, numRuns: 400 },
    );
  });

  it('makes no message object for JSON.stringify per tick: the frames are written from the records', async () => {
    const records = ticks(1000);
    const stringify = vi.spyOn(JSON, 'stringify');
    const sent = await served(records, ['market-data:CATCH'], ANONYMOUS);
    const objects = stringify.mock.calls.filter(([value]) => typeof value !== 'string').length;
    stringify.mockRestore();
    expect(sent.map((s) => s.payload)).toStrictEqual(generic(records, ['market-data:CATCH'], ANONYMOUS).map((s) => s.payload));
    expect(objects).toBe(0);
  });
});
