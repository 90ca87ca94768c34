import fc from 'fast-check';
import type { LogRecord } from './kafka_log';
import { PositionCodec } from './position_token';

// Records as a read-back thread meets them, for the property tests of the hand-written paths
// (tick_event_decoder.test.ts, market_data_transcoder.test.ts): every event type, and ticks in
// every shape the generated decoder reads, hostile and extreme ones included.

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
  // What JSON.stringify escapes (quote, backslash, controls) or writes as it is (DEL, U+2028, lone surrogates as \u escapes).
  fc.constantFrom(
    '',
    'CATCH',
    ' aapl ',
    '\uFEFFAAPL',
    'é',
    '\u{1F600}',
    'a'.repeat(40),
    'ü'.repeat(40),
    'A"B',
    'A\\B',
    'A\nB',
    '\u0000',
    '\u007f',
    '\u2028',
    '\uD800',
  ),
);
// Around the valid range of a Date (±8.64e15 ms), the protobuf Timestamp's (years 1-9999), and int64's.
export const seconds = fc.oneof(
  { weight: 12, arbitrary: fc.bigInt({ min: 1_700_000_000n, max: 1_900_000_000n }) },
  fc.bigInt({ min: -62_135_596_800n, max: 253_402_300_799n }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, -1n, 8_640_000_000_000n, 8_640_000_000_001n, -8_640_000_000_000n, -8_640_000_000_001n, 2n ** 49n - 1n, 2n ** 49n),
);
export const nanos = fc.oneof(
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

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
/** A traceparent header as Kafka gives it (bytes, or several) or as a test may (text): well-formed, almost, or anything. */
const traceparent: fc.Arbitrary<LogRecord['headers'][string]> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constant(TRACEPARENT) },
    fc
      .tuple(fc.nat(TRACEPARENT.length - 1), fc.constantFrom('A', 'g', '-', ' ', '0', 'é', '\n'))
      .map(([at, char]) => TRACEPARENT.slice(0, at) + char + TRACEPARENT.slice(at + 1)),
    // Two neighbours swapped: a dash one place off.
    fc
      .nat(TRACEPARENT.length - 2)
      .map((at) => TRACEPARENT.slice(0, at) + TRACEPARENT[at + 1] + TRACEPARENT[at] + TRACEPARENT.slice(at + 2)),
    fc.constantFrom(` ${TRACEPARENT}`, `${TRACEPARENT}\t`, `${TRACEPARENT}0`, TRACEPARENT.toUpperCase(), TRACEPARENT.slice(1)),
    str,
  )
  .chain((text) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<LogRecord['headers'][string]>(Buffer.from(text)) },
      fc.constant(text),
      fc.constant<LogRecord['headers'][string]>([Buffer.from(text), Buffer.from(TRACEPARENT)]),
    ),
  );

export const TOPIC = 'p.market_data_update';
export const positions = new PositionCodec(new Uint8Array(4), [TOPIC]);

export const record: fc.Arbitrary<LogRecord> = fc
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
        fc.option(traceparent, { nil: undefined }),
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
export const mangled: fc.Arbitrary<LogRecord> = fc
  .tuple(record, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), fc.boolean())
  .map(([r, flips, cut, shorten]) => {
    const bytes = Buffer.from(r.value!);
    for (const [at, byte] of flips) if (bytes.length > 0) bytes[at % bytes.length] = byte;
    return { ...r, value: shorten && bytes.length > 0 ? bytes.subarray(0, cut % bytes.length) : bytes };
  });
