import { events } from '@marketpulse/proto';
import { isEventType, payloadMismatch } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelsOf, payloadOf, publicationOf } from '../../events/routes';
import type { Publication } from '../history';
import type { LogRecord } from './kafka_log';
import { MarketDataTranscoder } from './market_data_transcoder';
import { decodeRecord } from './record_event';
import { publicationOfEvent } from './record_publication';
import { encoderOf, type EncoderRecipe } from './replay_encoders';
import { decodeTickEvent } from './tick_event_decoder';
import { mangled, nanos, positions, record, seconds, TOPIC } from './tick_records.testkit';
import { isoOfTimestamp } from './timestamp_iso';

// The read-back thread decodes tick records by hand (tick_event_decoder.ts), completes their
// publication in place (record_publication.ts), and writes the market-data door's frames of ticks
// straight from their bytes (market_data_transcoder.ts). The generated code (events.Event.decode)
// and the publication as it was built before are the oracle: same event, same publication, and the
// same frame bytes for every door and format a read-back serves, for any record, hostile ones included.

/** The generic path, as the read-back thread took it before: the generated decoder, the publication made by spreads. */
function generic(r: LogRecord): { event: events.Event | null; pub: Publication | null } {
  let event: events.Event;
  try {
    event = events.Event.decode(r.value!);
  } catch {
    return { event: null, pub: null };
  }
  if (!event.id || !isEventType(event.type) || payloadMismatch(event)) return { event, pub: null };
  const header = r.headers.traceparent;
  const traceparent = (Array.isArray(header) ? header[0] : header)?.toString();
  const pos = positions.entryAfter(r.topic, r.partition, r.offset);
  const data = payloadOf(event);
  const pub = {
    ...publicationOf(event, traceparent, data),
    seq: 0,
    channels: channelsOf(event, data),
    ...(pos !== undefined ? { pos } : {}),
  };
  return { event, pub };
}

const RECIPES: EncoderRecipe[] = [
  { door: 'market-data' },
  { door: 'alerts' },
  { door: 'predictions' },
  { door: 'trading' },
  { door: 'trpc' },
  { door: 'live', activeClients: 7 },
  { door: 'stream', id: 's1', type: 'events', filters: {}, format: 'json' },
  { door: 'stream', id: 's2', type: 'events', filters: {}, format: 'compact' },
  { door: 'stream', id: 's3', type: 'events', filters: {}, format: 'proto' },
  { door: 'stream', id: 's4', type: 'events', filters: { source: 'feed' }, format: 'compact' },
  { door: 'stream', id: 's5', type: 'predictions', filters: { symbol: 'AAPL' }, format: 'proto' },
  { door: 'stream', id: 's6', type: 'alerts', filters: {}, format: 'json' },
];
const ENCODERS = RECIPES.map(encoderOf);
const MARKET_DATA = encoderOf({ door: 'market-data' });
/** One for every record of a run, as one read's: what it keeps from one tick to the next must never leak into the next's frame. */
const transcoder = new MarketDataTranscoder(positions);

/** The fast paths' event, publication and frames are the generic path's, byte for byte. */
function sameAsGeneric(r: LogRecord): void {
  const fast = decodeTickEvent(r.value!);
  const want = generic(r);
  if (fast !== undefined) {
    expect(fast).toStrictEqual(want.event);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(want.event));
  }
  if (transcoder.read(r)) {
    // Taken by the transcoder: what the read-back's checks read, and the frame, are the generic path's.
    expect(want.pub).not.toBeNull();
    const { id, type, channels, owner } = want.pub!;
    expect([transcoder.id, transcoder.visible]).toStrictEqual([id, { type, channels, owner }]);
    expect(Buffer.from(transcoder.frame()).toString('latin1')).toBe(MARKET_DATA.encode(want.pub!)!.payload.toString('latin1'));
  }
  const got = decodeRecord(r, positions);
  const pub = got && publicationOfEvent(got);
  expect(pub).toStrictEqual(want.pub);
  if (!pub || !want.pub) return;
  expect(Object.keys(pub)).toEqual(Object.keys(want.pub));
  for (const encoder of ENCODERS) {
    const [a, b] = [encoder.encode(pub), encoder.encode(want.pub)];
    expect(a === null).toBe(b === null);
    if (a && b) {
      expect(a.binary).toBe(b.binary);
      expect(a.wire.equals(b.wire)).toBe(true);
    }
  }
}

describe('isoOfTimestamp', () => {
  it('writes what the generated code writes (new Date(seconds * 1000 + nanos / 1e6).toISOString()), or nothing where that throws', () => {
    // The generated fromTimestamp (proto/gen, ts-proto useDate=string), written out.
    const generated = (s: number, n: number) => {
      try {
        return new Date(s * 1_000 + n / 1_000_000).toISOString();
      } catch {
        return undefined;
      }
    };
    const anySeconds = fc.oneof(
      seconds.map(Number),
      fc.integer({ min: -9_000_000_000_000, max: 9_000_000_000_000 }),
      fc.integer({ min: 1_800_000_000, max: 1_800_000_010 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(anySeconds, nanos), { minLength: 1, maxLength: 5 }), (times) => {
        // Several in a row: a cached second must never leak into the next one.
        for (const [s, n] of times) expect(isoOfTimestamp(s, n)).toBe(generated(s, n));
      }),
      { seed: 15, numRuns: 5000 },
    );
  });
});

describe('tick records decoded by hand (tick_event_decoder.ts)', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('yields exactly what the generic path yields: event, publication, every door and format\u2019s frame bytes', () => {
    // An event without a time is published at the current one: the same for both paths.
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    fc.assert(fc.property(record, sameAsGeneric), { seed: 14, numRuns: 3000 });
  });

  it('and for hostile bytes: the same event, or the same record skipped', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    fc.assert(fc.property(mangled, sameAsGeneric), { seed: 41, numRuns: 3000 });
  });

  it('is the fast path for most generated records, so the properties above test it', () => {
    const records = fc.sample(record, { seed: 14, numRuns: 1000 });
    expect(records.filter((r) => decodeTickEvent(r.value!) !== undefined).length).toBeGreaterThan(300);
    expect(records.filter((r) => new MarketDataTranscoder(positions).read(r)).length).toBeGreaterThan(100);
  });

  it('takes the ticks the producers write (the generic path only for what it must)', () => {
    const time = '2026-12-06T21:18:39.123Z';
    const value = events.Event.encode(
      events.Event.fromPartial({
        id: 'e1',
        type: 'market_data_update',
        source: 'market-data',
        subject: 'AAPL',
        time,
        payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: 1.5, timestamp: time, sequence: '42' } },
      }),
    ).finish();
    expect(decodeTickEvent(value)).toStrictEqual(events.Event.decode(value));
  });

  it('makes no Date per record: one per second of ticks read back, where the generated code made two per tick', () => {
    let dates = 0;
    const RealDate = Date;
    const start = Date.UTC(2026, 11, 6, 21, 0, 0);
    const records = Array.from({ length: 1000 }, (_, n) => {
      const time = new RealDate(start + n).toISOString();
      const event = events.Event.fromPartial({
        id: `e${n}`,
        type: 'market_data_update',
        subject: 'CATCH',
        time,
        payload: { $case: 'market_data_update', market_data_update: { symbol: 'CATCH', price: n, timestamp: time } },
      });
      return { topic: TOPIC, partition: 0, offset: n, timestamp: 0, value: Buffer.from(events.Event.encode(event).finish()), headers: {} };
    });
    vi.stubGlobal(
      'Date',
      class extends RealDate {
        constructor(...args: ConstructorParameters<typeof Date>) {
          super(...args);
          dates++;
        }
      },
    );
    const times = records.map((r) => decodeRecord(r)?.event.time);
    vi.unstubAllGlobals();
    expect(times[999]).toBe('2026-12-06T21:00:00.999Z');
    expect(dates).toBeLessThanOrEqual(1);
  });
});
