import { events } from '@marketpulse/proto';
import { isEventType, payloadMismatch } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelsOf, payloadOf, publicationOf } from '../../events/routes';
import type { Publication } from '../history';
import type { LogRecord } from './kafka_log';
import { PositionCodec } from './position_token';
import { decodeRecord } from './record_event';
import { publicationOfEvent } from './record_publication';
import { encoderOf, type EncoderRecipe } from './replay_encoders';
import { decodeTickEvent } from './tick_event_decoder';
import { isoOfTimestamp } from './timestamp_iso';

// The read-back thread decodes tick records by hand (tick_event_decoder.ts) and completes their
// publication in place (record_publication.ts). The generated code (events.Event.decode) and the
// publication as it was built before are the oracle: same event, same publication, and the same
// frame bytes for every door and format a read-back serves, for any record, hostile ones included.

// A protobuf writer of our own, so records can hold what the generated encoder never writes:
// timestamps without a valid Date, negative nanos, 64-bit numbers, unknown and repeated fields.
function varint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));
const delimited = (field: number, bytes: readonly number[]) => [...tag(field, 2), ...varint(BigInt(bytes.length)), ...bytes];
const text = (field: number, value: string) => delimited(field, [...Buffer.from(value)]);
const int = (field: number, value: bigint) => [...tag(field, 0), ...varint(value)];
function double(field: number, value: number): number[] {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return [...tag(field, 1), ...bytes];
}

const PAYLOAD_FIELDS: Readonly<Record<string, number>> = {
  market_data_update: 10,
  aggregation: 11,
  data_quality_issue: 12,
  prediction_complete: 13,
  model_trained: 14,
  model_deployed: 15,
  backtest_complete: 16,
  alert_triggered: 17,
  provider_status_change: 18,
  rate_limit_alert: 19,
  status_update: 20,
  system_log: 21,
  system_error: 22,
  position_update: 23,
  equity_update: 24,
  risk_status_update: 25,
  webhook_delivery: 26,
};
const TYPES = Object.keys(PAYLOAD_FIELDS);

/** Mostly null: what makes the hand decoder give way, kept rare so that most records test it. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

/** Fields in the generated encoder's order, or shuffled, some repeated, with a field no version knows. */
const message = (fields: fc.Arbitrary<number[] | null>[]): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.tuple(...fields), fc.boolean(), fc.option(fc.nat(5)), rarely(fc.uint8Array({ maxLength: 6 })))
    .chain(([parts, shuffle, repeat, unknown]) => {
      const present = parts.filter((p): p is number[] => p !== null);
      if (repeat !== null && present.length > 0) present.push(present[repeat % present.length]!);
      if (unknown !== null) present.push(delimited(15, [...unknown]));
      return (shuffle ? fc.shuffledSubarray(present, { minLength: present.length }) : fc.constant(present)).map((p) => p.flat());
    });

const str = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', 'CATCH', '\uFEFFAAPL', 'é', '\u{1F600}', 'a'.repeat(40), 'ü'.repeat(40)),
);
// Around the valid range of a Date (±8.64e15 ms), the protobuf Timestamp's (years 1-9999), and int64's.
const seconds = fc.oneof(
  { weight: 12, arbitrary: fc.bigInt({ min: 1_700_000_000n, max: 1_900_000_000n }) },
  fc.bigInt({ min: -62_135_596_800n, max: 253_402_300_799n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, -1n, 8_640_000_000_000n, 8_640_000_000_001n, -8_640_000_000_000n, -8_640_000_000_001n, 2n ** 49n - 1n, 2n ** 49n),
);
const nanos = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 999_999_999 }) },
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  // What an int32 field's 5-byte varint may hold: the generated code takes the low 32 bits, signed.
  fc.integer({ min: 2 ** 31, max: 2 ** 32 - 1 }),
  fc.constantFrom(0, 1, 999_999, 999_999_999, 1_000_000_000, -1, 2 ** 31, 2 ** 32 - 1),
);
const timestamp = (field: number) =>
  message([fc.option(seconds.map((s) => int(1, s))), fc.option(nanos.map((n) => int(2, BigInt(n))))]).map((t) => delimited(field, t));

const tick = message([
  fc.option(str.map((s) => text(1, s))),
  ...[2, 3, 4, 5].map((field) => fc.option(fc.double().map((d) => double(field, d)))),
  fc.option(timestamp(6)),
  fc.option(str.map((s) => text(7, s))),
  fc.option(
    fc
      .oneof({ weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 49n }) }, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
      .map((s) => int(8, s)),
  ),
]);

/** Any type's payload: a tick, another type's (empty or arbitrary bytes), none. */
const payload = fc.oneof(
  { weight: 3, arbitrary: tick.map((t) => ({ type: 'market_data_update', bytes: delimited(10, t) })) },
  fc
    .tuple(fc.constantFrom(...TYPES), fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 12 })))
    .map(([type, bytes]) => ({ type, bytes: delimited(PAYLOAD_FIELDS[type]!, [...bytes]) })),
  fc.constant({ type: 'market_data_update', bytes: [] as number[] }),
);

const TOPIC = 'p.market_data_update';
const positions = new PositionCodec(new Uint8Array(4), [TOPIC]);

const record: fc.Arbitrary<LogRecord> = fc
  .tuple(payload, fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, str))
  .chain(([{ type, bytes }, otherType]) =>
    fc
      .tuple(
        message([
          fc.option(fc.oneof(fc.uuid(), str).map((s) => text(1, s))),
          fc.constant(text(2, otherType ?? type)),
          fc.option(str.map((s) => text(3, s))),
          fc.option(str.map((s) => text(4, s))),
          fc.option(timestamp(5)),
          fc.option(fc.oneof(fc.constant('alice'), str).map((s) => text(6, s))),
          fc.constant(bytes.length > 0 ? bytes : null),
        ]),
        fc.option(fc.oneof(fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), str), { nil: undefined }),
        fc.nat(1_000_000),
      )
      .map(([value, traceparent, offset]) => ({
        topic: TOPIC,
        partition: 0,
        offset,
        timestamp: 0,
        value: Buffer.from(value),
        headers: { traceparent },
      })),
  );

/** A record with bytes flipped, cut or added: the hostile ones. */
const mangled: fc.Arbitrary<LogRecord> = fc
  .tuple(record, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), fc.boolean())
  .map(([r, flips, cut, shorten]) => {
    const bytes = Buffer.from(r.value!);
    for (const [at, byte] of flips) if (bytes.length > 0) bytes[at % bytes.length] = byte;
    return { ...r, value: shorten && bytes.length > 0 ? bytes.subarray(0, cut % bytes.length) : bytes };
  });

/** The generic path, as the read-back thread took it before: the generated decoder, the publication made by spreads. */
function generic(r: LogRecord): { event: events.Event | null; pub: Publication | null } {
  let event: events.Event;
  try {
    event = events.Event.decode(r.value!);
  } catch {
    return { event: null, pub: null };
  }
  if (!event.id || !isEventType(event.type) || payloadMismatch(event)) return { event, pub: null };
  const traceparent = r.headers.traceparent as string | undefined;
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

/** The fast path's event, publication and frames are the generic path's, byte for byte. */
function sameAsGeneric(r: LogRecord): void {
  const fast = decodeTickEvent(r.value!);
  const want = generic(r);
  if (fast !== undefined) {
    expect(fast).toStrictEqual(want.event);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(want.event));
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
    const taken = fc.sample(record, { seed: 14, numRuns: 1000 }).filter((r) => decodeTickEvent(r.value!) !== undefined).length;
    expect(taken).toBeGreaterThan(300);
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
