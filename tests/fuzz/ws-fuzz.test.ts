import fc from 'fast-check';
import { CLOSE, ERROR } from '@marketpulse/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hostileNumber, hostileString, wrongType } from './openapi_arbitraries';
import { SUITE_HOOK_TIMEOUT_MS } from '@marketpulse/tests';
import { fuzzSeed, startSuiteUnderFuzz, type SuiteUnderFuzz } from './suite.kit';

// Issue 13: client messages on every WebSocket door, however malformed, deep or large, get an
// `error` message (with a code from gateway/src/ws/codes.ts) or a documented client-error close,
// never 1011; after each one the connection (or a new one) still answers a ping, and the process
// (every service and the gateway, on real Kafka and PostgreSQL) still serves at the end.

const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 100;
const DOORS = ['/ws/stream', '/ws/predictions/AAPL', '/ws/market-data/AAPL', '/ws/alerts', '/ws', '/ws/live'];
/** Closes a client can cause and codes.ts documents: auth (1008), too big (1009), slow (4002), rate (4003). */
const CLIENT_CLOSES = new Set<number>([
  CLOSE.BINARY_NOT_ACCEPTED.code,
  CLOSE.AUTH_FAILED.code,
  CLOSE.MESSAGE_TOO_BIG.code,
  CLOSE.SLOW_CLIENT.code,
  CLOSE.RATE_LIMITED.code,
]);
const ERROR_CODES = new Set(Object.keys(ERROR));
const MAX_MESSAGE_BYTES = 1024 * 1024;

let suite: SuiteUnderFuzz;
let tried = 0;
const closes = new Map<number, number>();

beforeAll(async () => {
  suite = await startSuiteUnderFuzz('ws-fuzz');
}, SUITE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await suite?.close();
});

interface Client {
  ws: WebSocket;
  messages: Record<string, any>[];
  closed: { code: number; reason: string } | undefined;
}

async function connect(door: string): Promise<Client> {
  const ws = new WebSocket(`${suite.ws}${door}?token=${suite.token}`);
  const client: Client = { ws, messages: [], closed: undefined };
  ws.on('message', (data, binary) => {
    if (!binary) client.messages.push(JSON.parse(String(data)) as Record<string, any>);
  });
  ws.on('close', (code, reason) => (client.closed = { code, reason: String(reason) }));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', (code) => reject(new Error(`${door} closed with ${code} before opening`)));
  });
  return client;
}

/** Resolves when `test` holds, or throws after `ms`. */
async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `{"a":…}` nested `levels` deep, as text. */
const nested = (levels: number, open = '{"a":', close = '}') => `${open.repeat(levels)}1${close.repeat(levels)}`;

/** Client messages: the doors' own types with hostile fields, and frames that are no message at all. */
const message: fc.Arbitrary<{ data: string | Buffer; binary?: boolean }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          type: fc.oneof(
            fc.constantFrom('subscribe', 'unsubscribe', 'request_prediction', 'auth', 'ping', 'pong', 'subscribe'),
            hostileString,
            wrongType,
          ),
          data: fc.oneof(
            fc.record(
              {
                type: fc.oneof(
                  fc.constantFrom('events', 'metrics', 'alerts', 'predictions', 'aggregations', 'system_status', 'toString', '__proto__'),
                  hostileString,
                  wrongType,
                ),
                filters: fc.oneof(
                  fc.dictionary(hostileString, fc.oneof(hostileString, hostileNumber, fc.array(hostileString, { maxLength: 4 }))),
                  fc.jsonValue({ maxDepth: 6 }),
                  wrongType,
                ),
                since: fc.oneof(hostileString, wrongType),
                subscription_id: fc.oneof(hostileString, wrongType, fc.constant({ toString: 1, valueOf: 2 })),
                token: fc.oneof(hostileString, wrongType),
              },
              { requiredKeys: [] },
            ),
            wrongType,
          ),
          symbol: fc.oneof(fc.constantFrom('AAPL', 'MSFT', 'Ä', 'aapl'), hostileString, wrongType, fc.constant({ toString: 'x' })),
          horizon_seconds: fc.oneof(hostileNumber, wrongType, fc.constant({ valueOf: 1 })),
          since: fc.oneof(hostileString, wrongType),
          token: fc.oneof(hostileString, wrongType),
        },
        { requiredKeys: ['type'] },
      )
      .map((m) => ({ data: JSON.stringify(m) })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          '',
          '{',
          'null',
          '[]',
          '42',
          '"subscribe"',
          '{"type":null}',
          '{"type":"subscribe","data":{"type":"events","filters":{"a":{"b":{"c":{"d":1}}}}}}',
          `{"type":"subscribe","data":{"type":"events","filters":{"payload.symbol":${nested(5000)}}}}`,
          `{"type":"subscribe","data":{"type":"events","filters":${nested(5000)}}}`,
          `{"type":"unsubscribe","data":{"subscription_id":${nested(3000, '[', ']')}}}`,
          `{"type":"ping","x":${nested(200_000, '[', ']')}}`,
          `{"type":"subscribe","data":{"type":"events","filters":{${Array.from({ length: 5000 }, (_, i) => `"p${i}":${i}`).join(',')}}}}`,
          `{"type":"${'x'.repeat(500_000)}"}`,
          '{"type":"subscribe","data":{"type":"events","filters":{"__proto__":{"polluted":1},"constructor":{"prototype":1}}}}',
          '\u0000\u0001',
        ),
        fc.string({ unit: 'binary', maxLength: 64 }),
      )
      .map((data) => ({ data })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })) },
  // Over WS_MAX_MESSAGE_BYTES: a documented 1009 close.
  { weight: 1, arbitrary: fc.constant({ data: `{"type":"ping","pad":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}` }) },
);

/** Sends one fuzzed message, then a ping: a pong proves the connection still serves; a close must be a documented client error. */
async function exchange(door: string, state: { client?: Client }, msg: { data: string | Buffer; binary?: boolean }): Promise<void> {
  tried++;
  if (!state.client || state.client.closed) state.client = await connect(door);
  const client = state.client;
  const before = client.messages.length;
  client.ws.send(msg.data, { binary: msg.binary ?? false });
  const pongsBefore = client.messages.filter((m) => m.type === 'pong').length;
  if (!client.closed) client.ws.send('{"type":"ping"}');
  const what = `${door} after ${String(msg.data).slice(0, 200)}`;
  await until(
    () => client.closed !== undefined || client.messages.filter((m) => m.type === 'pong').length > pongsBefore,
    15_000,
    `a pong or a close on ${what}`,
  );
  for (const m of client.messages.slice(before)) {
    if (m.type !== 'error') continue;
    const code = (m.code ?? m.data?.code) as string;
    if (!ERROR_CODES.has(code)) throw new Error(`error code ${code} is not in codes.ts: ${JSON.stringify(m).slice(0, 300)} on ${what}`);
  }
  if (client.closed) {
    closes.set(client.closed.code, (closes.get(client.closed.code) ?? 0) + 1);
    if (!CLIENT_CLOSES.has(client.closed.code)) throw new Error(`closed with ${client.closed.code} (${client.closed.reason}) on ${what}`);
  }
}

describe('WebSocket fuzz: client messages on every door', () => {
  it('answers every message with a reply, an error or a documented close, never 1011, and keeps serving', async () => {
    const seed = fuzzSeed();
    const failures: string[] = [];
    for (const [i, door] of DOORS.entries()) {
      const state: { client?: Client } = {};
      const result = await fc.check(
        fc.asyncProperty(message, (msg) => exchange(door, state, msg)),
        { seed: seed + i, numRuns: RUNS, endOnFailure: true },
      );
      state.client?.ws.terminate();
      if (result.failed)
        failures.push(`${door}: ${String((result.errorInstance as Error | undefined)?.message ?? result.failures)} (seed ${seed + i})`);
    }
    const byCode = [...closes.entries()].map(([code, n]) => `${code}: ${n}`).join(', ') || 'none';
    console.log(
      `ws fuzz: ${tried} cases over ${DOORS.length} doors (seed ${seed}, ${RUNS} runs each), ${failures.length} failing doors; closes ${byCode}`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(await suite.alive()).toBe(true);
  }, 600_000);
});
