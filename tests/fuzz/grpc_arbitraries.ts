// Hostile values for every protobuf field type: text outside ASCII and Latin-1, NUL and control
// characters, lone surrogates, very long strings, int32/int64 extremes, non-finite numbers,
// impossible timestamps, unknown enum numbers, long repeated fields.
import fc from 'fast-check';
import protobuf from 'protobufjs';

const HOSTILE_TEXT = [
  '',
  ' ',
  'Ä',
  'é',
  'ÄÖÜß',
  '日本語',
  '\u{1F4A9}',
  'a\u0000b',
  '\u0000',
  '\u0001\u0002\u001f',
  '\u007f',
  '\u0085\u009f',
  '\r\n',
  'x\ty',
  '\uD800',
  'a\uDFFFb',
  '\uFEFF',
  '\u202Eevil',
  "'; DROP TABLE rules; --",
  '%00',
  '../../etc/passwd',
  '*',
  'AAPL',
  'BTC-USD',
  'market_data_update',
  'position_update',
  'price_above',
  'http://127.0.0.1/x',
  // Non-ASCII, on an IP literal: a name would be resolved, and its DNS query would leave the machine.
  'http://[::1]/é',
  'https://user:pw@10.0.0.1/',
  '9'.repeat(40),
  'v2147483648',
  'AAPL-v99999999999',
  '{"a":1}',
];

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('AAPL', 'rule', 'wh_1', 'x'), fc.constantFrom(...HOSTILE_TEXT)).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.constantFrom(300, 5_000, 70_000).map((n) => 'Ä'.repeat(n)) },
);

const INT32_EXTREMES = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1)];
const int32: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INT32_EXTREMES) },
  { weight: 1, arbitrary: fc.integer() },
);
const INT64_EXTREMES = ['0', '1', '-1', '2147483648', '4294967296', '9007199254740993', '9223372036854775807', '-9223372036854775808'];
const int64: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INT64_EXTREMES) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
);
const uint64: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('0', '1', '4294967296', '9007199254740993', '18446744073709551615') },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String) },
);
const DOUBLE_EXTREMES = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  1e308,
  -1e308,
  5e-324,
  3.4e38,
  2 ** 31,
  2 ** 63,
];
const double: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DOUBLE_EXTREMES) },
  { weight: 1, arbitrary: fc.double() },
);

// Seconds 0001-01-01 and 9999-12-31 (the proto's bounds), just beyond them, and int64's ends.
const TIMESTAMP_SECONDS = [
  '0',
  '-62135596800',
  '-62135596801',
  '253402300799',
  '253402300800',
  '9223372036854775807',
  '-9223372036854775808',
  '-1',
];
const timestamp: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      seconds: fc.constantFrom(...TIMESTAMP_SECONDS),
      nanos: fc.constantFrom(0, 999_999_999, 1_000_000_000, -1, 2 ** 31 - 1, -(2 ** 31)),
    }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4_102_444_800 }).map((s) => ({ seconds: String(s), nanos: 0 })) },
);

const MAX_DEPTH = 3;

function scalar(field: protobuf.Field): fc.Arbitrary<unknown> {
  if (field.resolvedType instanceof protobuf.Enum) {
    const values = Object.values(field.resolvedType.values);
    return fc.oneof(fc.constantFrom(...values), fc.integer({ min: -3, max: 1000 }));
  }
  switch (field.type) {
    case 'string':
      return text;
    case 'bytes':
      return fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
    case 'bool':
      return fc.boolean();
    case 'double':
    case 'float':
      return double;
    case 'int32':
    case 'sint32':
    case 'sfixed32':
    case 'uint32':
    case 'fixed32':
      return int32;
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return int64;
    case 'uint64':
    case 'fixed64':
      return uint64;
    default:
      throw new Error(`no arbitrary for field type ${field.type} (${field.fullName})`);
  }
}

function valueOf(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  if (field.resolvedType instanceof protobuf.Type) return messageOf(field.resolvedType, depth + 1);
  return scalar(field);
}

const shortText = fc.constantFrom('AAPL', 'Ä', 'a\u0000b', '\uD800', '日本語', '');

/** An item of a long repeated field: at most a few bytes, or an empty message. */
function short(field: protobuf.Field): fc.Arbitrary<unknown> {
  if (field.resolvedType instanceof protobuf.Type) return fc.constant({});
  return field.type === 'string' ? shortText : scalar(field);
}

function fieldArbitrary(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  if (field instanceof protobuf.MapField) {
    const key = field.keyType === 'string' ? text : scalar(new protobuf.Field('k', 1, field.keyType));
    return fc.array(fc.tuple(key.map(String), valueOf(field, depth)), { maxLength: 4 }).map((entries) => Object.fromEntries(entries));
  }
  if (field.repeated) {
    const one = valueOf(field, depth);
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(one, { maxLength: 4 }) },
      // Longer than any list a service accepts (symbols, subjects, events...), of short items so the
      // request stays under the 4 MiB a gRPC server takes.
      {
        weight: 1,
        arbitrary: fc.constantFrom(1_001, 2_000).chain((n) => short(field).map((v) => Array.from({ length: n }, () => v))),
      },
    );
  }
  return valueOf(field, depth);
}

const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

/** Hostile instances of a message type: each field absent or hostile, one member of each oneof at most. */
export function messageOf(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (type.fullName === '.google.protobuf.Timestamp') return timestamp;
  if (depth > MAX_DEPTH) return fc.constant({});
  const key = `${type.fullName}@${depth}`;
  const known = cache.get(key);
  if (known) return known;
  const plain = type.fieldsArray.filter((f) => !f.partOf || f.partOf.name.startsWith('_'));
  const oneofs = type.oneofsArray.filter((o) => !o.name.startsWith('_'));
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of plain) parts[f.name] = fc.option(fieldArbitrary(f, depth), { nil: undefined, freq: 3 });
  const oneofChoice = oneofs.map((o) =>
    fc.option(
      fc.constantFrom(...o.fieldsArray).chain((f) => fieldArbitrary(f, depth).map((v) => [f.name, v] as const)),
      { nil: undefined, freq: 4 },
    ),
  );
  const arb = fc.tuple(fc.record(parts, { requiredKeys: [] }), fc.tuple(...oneofChoice)).map(([fields, chosen]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
    for (const c of chosen) if (c) out[c[0]] = c[1];
    return out;
  });
  cache.set(key, arb);
  return arb;
}
