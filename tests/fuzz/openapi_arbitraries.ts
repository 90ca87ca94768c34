import fc from 'fast-check';

// Hostile values for the OpenAPI fuzzer, and values shaped by an operation's JSON schemas (so
// requests get past the first check and reach the services), mixed.

type Schema = Record<string, any>;

/** Text a careless or hostile client sends: outside ASCII and Latin-1, control characters, lone surrogates, injection, huge. */
export const HOSTILE_TEXT = [
  '',
  ' ',
  'Ä',
  'é',
  'Łódź',
  '日本語',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '🚀',
  '\u0000',
  'a\u0000b',
  '\u0001\u001f\u007f\u0085\u009f',
  '\r\nX-Injected: 1',
  '\ud800',
  'x\udfffy',
  '\u202e\u200b\ufeff',
  '%00',
  '%',
  '%E0%A4%A',
  '../../../etc/passwd',
  "' OR 1=1 --",
  '"; DROP TABLE api_keys; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'toString',
  'NaN',
  'Infinity',
  '-0',
  '1e400',
  '0x10',
  'AAPL',
  'BTC-USD',
  'wh_does_not_exist',
  'x'.repeat(300),
  'é'.repeat(2000),
];

export const HOSTILE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 63,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e-300,
  86_400,
  86_401,
];

export const HOSTILE_DATES = [
  '0020-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+01:00',
  '9999-12-31T23:59:59-14:00',
  '+275760-09-13T00:00:00Z',
  '2025-02-30T00:00:00Z',
  '2025-13-01T00:00:00Z',
  '2025-01-01T25:61:61Z',
  '1969-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '2025-11-11T00:30:00Z',
  '2099-01-01T00:00:00Z',
  'yesterday',
  '',
];

/** Any UTF-16 code unit: lone surrogates included (fast-check's own units keep strings well-formed). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: codeUnit, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_DATES) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

/** A value of the wrong JSON type for almost any field. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  hostileNumber,
  hostileString,
  fc.array(fc.oneof(fc.integer(), hostileString), { maxLength: 3 }),
  fc.dictionary(hostileString, fc.oneof(fc.integer(), hostileString), { maxKeys: 3 }),
);

export function resolveRef(doc: Schema, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
    s = (s.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce<Schema>((acc, part) => acc?.[part] as Schema, doc);
  }
  return s ?? {};
}

/** Plausible text for a field: an allowed value when the schema lists some, a date for a date-time, an example URL for a URL. */
function plausibleString(schema: Schema): fc.Arbitrary<string> {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as string[]));
  if (schema.format === 'date-time') return fc.constantFrom(...HOSTILE_DATES.slice(9, 12));
  // IP literals on loopback (the fuzz suite allows loopback webhooks): a URL is vetted by resolving its
  // host, and a name would send a DNS query off this machine; port 9 (discard) refuses every delivery.
  if (schema.format === 'uri') return fc.constantFrom(...PLAUSIBLE_URLS);
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = PLAUSIBLE.filter((v) => v.length >= min && v.length <= max && (!pattern || pattern.test(v)));
  return fits.length > 0 ? fc.constantFrom(...fits) : fc.constant('x'.repeat(Math.min(min, 64)));
}

const PLAUSIBLE_URLS = ['http://127.0.0.1:9/fuzz', 'http://127.0.0.1:9/x?y=1'];

/** Values a real client would send for an id, symbol, name or secret: some of them pass every field's checks. */
const PLAUSIBLE = [
  'AAPL',
  'BTC-USD',
  'fuzz',
  'CoinGecko',
  'Loopback',
  'wh_fuzz',
  'health_checks',
  'AAPL-v1',
  'v1',
  'read',
  'fuzz-secret-0123456789abcdef',
];

/**
 * A value shaped by `schema`, with hostile values mixed in at every level; with `mix` false, only
 * values the schema allows (a request a real client could send, which reaches the service and its
 * success path: where a field the schema makes optional, left out, once became a 500).
 */
export function valueFor(doc: Schema, raw: Schema | undefined, depth = 0, mix = true): fc.Arbitrary<unknown> {
  const schema = resolveRef(doc, raw);
  const hostile = depth > 3 ? fc.constant(null) : wrongType;
  /** `valid`, or mostly `valid` with `rest` mixed in. */
  const mixed = (valid: fc.Arbitrary<unknown>, ...rest: fc.WeightedArbitrary<unknown>[]) =>
    mix ? fc.oneof({ weight: 8, arbitrary: valid }, ...rest) : valid;
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((v) => valueFor(doc, v, depth + 1, mix)));
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return mixed(fc.constantFrom(...(schema.enum as unknown[])), { weight: 1, arbitrary: hostile });
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : (schema.type as string | undefined);
  switch (type) {
    case 'string':
      return mixed(plausibleString(schema), { weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: hostile });
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1000;
      const inRange =
        type === 'integer'
          ? fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) })
          : fc.double({ min: Math.max(min, -1e9), max: Math.min(max, 1e9), noNaN: true });
      return mixed(inRange, { weight: 3, arbitrary: hostileNumber }, { weight: 1, arbitrary: hostile });
    }
    case 'boolean':
      return mixed(fc.boolean(), { weight: 2, arbitrary: hostile });
    case 'array':
      if (depth > 3) return fc.constant([]);
      return mixed(
        fc.array(valueFor(doc, schema.items as Schema, depth + 1, mix), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(3, schema.minItems ?? 0),
        }),
        { weight: 1, arbitrary: hostile },
      );
    case 'object':
    default: {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const names = Object.keys(props);
      if (names.length === 0 || depth > 3) {
        if (!mix) return fc.constant({});
        return schema.additionalProperties
          ? fc.dictionary(hostileString, depth > 3 ? fc.constant('x') : hostileString, { maxKeys: 3 })
          : fc.oneof(fc.constant({}), hostile);
      }
      const required = new Set((schema.required ?? []) as string[]);
      // Required fields are there (so the request reaches the service), optional ones sometimes.
      const record = fc.record(Object.fromEntries(names.map((n) => [n, valueFor(doc, props[n], depth + 1, mix)])), {
        requiredKeys: names.filter((n) => required.has(n)),
      });
      // Objects of optional fields are often "exactly one of" (a rule's condition) or a PATCH of one field.
      const single = fc.constantFrom(...names).chain((n) => valueFor(doc, props[n], depth + 1, mix).map((v) => ({ [n]: v })));
      if (!mix) return required.size === 0 ? fc.oneof(single, record) : record;
      return required.size === 0
        ? fc.oneof({ weight: 5, arbitrary: single }, { weight: 5, arbitrary: record }, { weight: 1, arbitrary: hostile })
        : fc.oneof({ weight: 10, arbitrary: record }, { weight: 1, arbitrary: hostile });
    }
  }
}

/** Raw request bodies no schema produces: broken JSON, numbers JSON.stringify cannot write, deep nesting, huge text. */
export const rawBody: fc.Arbitrary<{ text: string; type: string }> = fc.oneof(
  fc.constantFrom(
    { text: '{"a":', type: 'application/json' },
    { text: '{"horizon_seconds": 1e400, "cooldown_seconds": -1e400, "rate_limit_per_second": 1e400}', type: 'application/json' },
    { text: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, type: 'application/json' },
    { text: `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, type: 'application/json' },
    { text: '"just a string"', type: 'application/json' },
    { text: 'null', type: 'application/json' },
    { text: '[1,2,3]', type: 'application/json' },
    { text: 'name=x&scopes=read', type: 'application/x-www-form-urlencoded' },
    { text: '\u0000\u0001\u0002', type: 'application/json' },
    {
      text: JSON.stringify({ name: 'x'.repeat(200_000), symbol: 'AAPL', url: PLAUSIBLE_URLS[0] }),
      type: 'application/json',
    },
    { text: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}', type: 'application/json' },
  ),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) ?? 'null', type: 'application/json' })),
);
