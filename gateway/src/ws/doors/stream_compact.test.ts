import {
  createStreamClient,
  type DataMeta,
  type Filters,
  type StreamFormat,
  type SubscriptionType,
  type WebSocketLike,
} from '@marketpulse/client';
import { events } from '@marketpulse/proto';
import { EVENT_TYPES } from '@marketpulse/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../encode';
import type { Publication } from '../history';
import { PositionCodec } from '../history/position_token';
import { streamEncoder, subscriptionId } from './stream';

/** The gateway's own position entries, for events that carry one. */
const POSITIONS = new PositionCodec(Buffer.alloc(4), ['events']);
const ACKED = POSITIONS.encode(
  new Map([
    ['events/0', 0],
    ['events/1', 0],
  ]),
);

// `marketpulse.v1.compact` (issue 19: a JSON frame at most 1.5x Centrifugo's bytes for the same
// data): each data message is one JSON array; the client package reads it back to the very items
// seed 002's JSON frames and the binary frames give.

/** The gateway's name of each client format. */
const GATEWAY_FORMAT = { json: 'json', compact: 'compact', protobuf: 'proto' } as const;
const FORMATS = Object.keys(GATEWAY_FORMAT) as StreamFormat[];

/** Each event type's payload as the contracts decode it (every field, at its default where unset). */
function decoded(type: string, payload: object): Record<string, unknown> {
  const event = events.Event.fromPartial({ payload: { $case: type, [type]: payload } } as events.Event);
  return (event.payload as unknown as Record<string, Record<string, unknown>>)[type]!;
}

function publication(type: string, payload: object, over: Partial<Publication> = {}): Publication {
  return {
    seq: 1,
    id: 'bench-publisher/r0-s0-0-0',
    channels: ['portfolio', 'events'],
    type,
    source: 'bench',
    subject: 'BENCH0',
    owner: '',
    time: '2026-12-06T01:47:09.841Z',
    traceId: '',
    data: decoded(type, payload),
    ...over,
  };
}

/** A WebSocket the test drives by hand: what the client sends is kept, what the gateway would send is handed in. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket | undefined;
  readyState = 1;
  binaryType?: string;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.last = this;
  }

  send(): void {}

  close(): void {
    this.readyState = 3;
  }
}

interface Received {
  got: { item: unknown; meta: DataMeta }[];
  errors: string[];
  /** The subscription's position after the frames (its acknowledgement's header plus each frame's `pos`). */
  position: string | undefined;
}

/** What the client package delivers for `messages` (gateway frames, or raw text) on one subscription. */
async function through(format: StreamFormat, type: SubscriptionType, filters: Filters, messages: (Frame | string)[]): Promise<Received> {
  const got: Received['got'] = [];
  const errors: string[] = [];
  const client = createStreamClient({ url: 'ws://127.0.0.1:1/ws/stream', WebSocket: FakeSocket, format });
  client.on('error', (err) => errors.push(err.code));
  const sub = client.subscribe(type, { filters }, (item, meta) => got.push({ item, meta }));
  FakeSocket.last = undefined;
  client.connect();
  while (!FakeSocket.last) await new Promise((resolve) => setImmediate(resolve));
  const socket: FakeSocket = FakeSocket.last;
  socket.onopen!({});
  const id = subscriptionId(type, filters);
  socket.onmessage!({
    data: JSON.stringify({ type: 'subscribed', data: { subscription_id: id, type, filters }, subscription_id: id, position: ACKED }),
  });
  for (const m of messages) socket.onmessage!({ data: typeof m === 'string' ? m : m.binary ? m.payload : m.payload.toString() });
  client.close();
  return { got, errors, position: sub.position };
}

function frames(format: StreamFormat, type: string, filters: Filters, pubs: readonly Publication[]): Frame[] {
  const encoder = streamEncoder(subscriptionId(type, filters), type, filters, GATEWAY_FORMAT[format]);
  return pubs.map((pub) => encoder.encode(pub)).filter((f): f is Frame => f !== null);
}

/** Centrifugo's frame for a publication of `data` on `channel` (its JSON protocol's push, as bench/fanout receives it). */
function centrifugoFrame(channel: string, data: object): number {
  return Buffer.byteLength(JSON.stringify({ push: { channel, pub: { data } } }));
}

/** bench/fanout's event: an equity update (its `peak_equity` unset), to clients subscribed to its subject. */
const BENCH_PAYLOAD = { total_equity: '27494081344554', current_equity: '10250.50' };
const bench = publication('equity_update', BENCH_PAYLOAD);

describe('/ws/stream compact frames (marketpulse.v1.compact, issue 19)', () => {
  it("sends bench/fanout's event in at most 1.5x Centrifugo's bytes for the same data, down from seed 002's JSON object", () => {
    const filters = { subject: 'BENCH0' };
    const [compact] = frames('compact', 'events', filters, [bench]);
    const [json] = frames('json', 'events', filters, [bench]);
    const centrifugo = centrifugoFrame('BENCH0', BENCH_PAYLOAD);
    expect(JSON.parse(compact!.payload.toString())).toEqual([
      subscriptionId('events', filters),
      bench.id,
      'equity_update',
      Date.parse(bench.time),
      BENCH_PAYLOAD,
      'bench',
    ]);
    expect(compact!.binary).toBe(false);
    expect(compact!.byteLength).toBeLessThanOrEqual(1.5 * centrifugo);
    // Seed 002's shape, which clients offering no subprotocol keep getting, could not be.
    expect(json!.byteLength).toBeGreaterThan(1.5 * centrifugo);
  });

  it('leaves out what the filters fix (event type, source, subject, payload fields) and what is empty, and keeps the time exact', () => {
    const tick = publication(
      'market_data_update',
      { symbol: 'AAPL', price: 187.25, volume: 0, provider: 'simulated', sequence: '42' },
      { subject: 'AAPL', source: 'market-data', pos: 'p003k9x', traceId: '0af7651916cd43dd8448eb211c80319c' },
    );
    const pinned = { event_type: ['market_data_update'], subject: 'AAPL', 'payload.symbol': 'AAPL' };
    const id = subscriptionId('events', pinned);
    expect(JSON.parse(frames('compact', 'events', pinned, [tick])[0]!.payload.toString())).toEqual([
      id,
      tick.id,
      '',
      Date.parse(tick.time),
      { price: 187.25, provider: 'simulated', sequence: '42' },
      'market-data',
      '',
      'p003k9x',
      '0af7651916cd43dd8448eb211c80319c',
    ]);
    // A typed item has neither source nor subject; trailing empty fields go. A time that epoch
    // milliseconds would not give back verbatim stays text.
    const odd = { ...tick, time: '2026-12-06T01:47:09Z', pos: undefined, traceId: '' };
    const status = { symbol: 'AAPL' };
    expect(
      JSON.parse(
        frames('compact', 'system_status', status, [
          { ...odd, type: 'data_quality_issue', data: decoded('data_quality_issue', { symbol: 'AAPL', kind: 'gap' }) },
        ])[0]!.payload.toString(),
      ),
    ).toEqual([subscriptionId('system_status', status), tick.id, 'data_quality_issue', '2026-12-06T01:47:09Z', { kind: 'gap' }]);
  });

  it('decodes, through the client package, to the same items, ids, times, trace ids and positions as JSON and protobuf, for events of every type', async () => {
    const typed: Readonly<Record<string, SubscriptionType>> = {
      status_update: 'metrics',
      alert_triggered: 'alerts',
      rate_limit_alert: 'alerts',
      prediction_complete: 'predictions',
      aggregation: 'aggregations',
      provider_status_change: 'system_status',
      system_error: 'system_status',
      data_quality_issue: 'system_status',
    };
    const text = fc.oneof(
      fc.constant(''),
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }),
    );
    /** A payload of `type`: each scalar field at its default or set (message and map fields left unset). */
    const payloadOf = (type: string) => {
      const fields: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, value] of Object.entries(decoded(type, {}))) {
        if (value === '') fields[key] = text;
        else if (value === '0') fields[key] = fc.oneof(fc.constant('0'), fc.bigInt({ min: 1n, max: 2n ** 53n }).map(String));
        else if (value === 0) fields[key] = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 }));
        else if (value === false) fields[key] = fc.boolean();
      }
      return fc.record(fields).map((payload) => decoded(type, payload));
    };
    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
    const event = fc.constantFrom(...EVENT_TYPES).chain((type) =>
      fc.record({
        type: fc.constant<string>(type),
        data: payloadOf(type),
        id: fc.string({ minLength: 1, maxLength: 30 }),
        source: text,
        subject: text,
        time: fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }).map((ms) => new Date(ms).toISOString()),
        traceId: fc.oneof(fc.constant(''), hex),
        // Entries as the gateway writes them: the client keeps only positions of its format.
        pos: fc.option(
          fc.tuple(fc.constantFrom(0, 1), fc.nat()).map(([partition, offset]) => POSITIONS.entry('events', partition, offset)!),
          { nil: undefined },
        ),
      }),
    );

    /** Filter sets a subscription to the first event may have: none, one value pinning a field, several values pinning none. */
    const filterSets = (type: SubscriptionType, first: Publication): Filters[] => {
      const scalar = Object.keys(first.data).filter((k) => ['string', 'number', 'boolean'].includes(typeof first.data[k]));
      const key = scalar[first.id.length % Math.max(1, scalar.length)];
      const value = key === undefined ? undefined : (first.data[key] as string | number | boolean);
      const byPayload = key === undefined ? {} : type === 'events' ? { [`payload.${key}`]: value! } : { [key]: value! };
      return type === 'events'
        ? [
            {},
            { subject: first.subject },
            { source: first.source, subject: [first.subject] },
            { event_type: first.type },
            { event_type: [first.type], ...byPayload },
            { subject: [first.subject, '\u0000 another'] },
          ]
        : [{}, { event_type: first.type }, byPayload, { event_type: first.type, ...byPayload }];
    };

    let deliveries = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 4 }), fc.nat(), fc.boolean(), async (drawn, pick, useTyped) => {
        const pubs: Publication[] = drawn.map((e, i) => ({ ...e, id: `${i}-${e.id}`, seq: i + 1, channels: ['events'], owner: '' }));
        const first = pubs[0]!;
        const type: SubscriptionType = useTyped && typed[first.type] ? typed[first.type]! : 'events';
        const sets = filterSets(type, first);
        const filters = sets[pick % sets.length]!;
        const got = {} as Record<StreamFormat, Received>;
        const sent = Object.fromEntries(FORMATS.map((format) => [format, frames(format, type, filters, pubs)])) as Record<
          StreamFormat,
          Frame[]
        >;
        // Each compact frame is a JSON array, shorter than the JSON object.
        for (const [i, frame] of sent.compact.entries()) {
          expect(frame.payload[0]).toBe(0x5b);
          expect(frame.byteLength).toBeLessThan(sent.json[i]!.byteLength);
        }
        for (const format of FORMATS) got[format] = await through(format, type, filters, sent[format]);
        // The first event always matches; each item is whole (completeItem's job, shown in clients/ts) and the same in every format.
        expect(got.json.got.length).toBeGreaterThan(0);
        expect(got.json.errors).toEqual([]);
        expect(got.compact).toEqual(got.json);
        expect(got.protobuf).toEqual(got.json);
        deliveries += got.json.got.length;
      }),
      { seed: 19, numRuns: 200 },
    );
    expect(deliveries).toBeGreaterThanOrEqual(200);
  });

  it("gives back an event's time verbatim when epoch milliseconds would not", async () => {
    for (const time of ['2026-12-06T01:47:09Z', '2026-12-06T02:47:09.841+01:00', '2026-12-06T01:47:09.841123Z', 'not a time']) {
      const pub = { ...bench, time };
      const json = await through('json', 'events', {}, frames('json', 'events', {}, [pub]));
      const compact = await through('compact', 'events', {}, frames('compact', 'events', {}, [pub]));
      expect(compact.got[0]!.meta.timestamp).toBe(time);
      expect(compact).toEqual(json);
    }
  });

  it('turns a malformed compact frame into a CLIENT_INVALID_FRAME error, never a throw, and keeps delivering', async () => {
    const filters = { subject: 'BENCH0' };
    const id = subscriptionId('events', filters);
    const good = frames('compact', 'events', filters, [bench])[0]!;
    const hostile = [
      [],
      [id],
      [id, bench.id, 'equity_update', 1, {}, 'bench', '', '', '', 'one too many'],
      [id, '', 'equity_update', 1, {}],
      [id, bench.id, 7, 1, {}],
      [id, bench.id, 'equity_update', 1.5, {}],
      [id, bench.id, 'equity_update', 8.64e15 + 1, {}],
      [id, bench.id, 'equity_update', null, {}],
      [id, bench.id, 'equity_update', 1, []],
      [id, bench.id, 'equity_update', 1, null],
      [id, bench.id, 'equity_update', 1, 'payload'],
      [id, bench.id, 'equity_update', 1, {}, 5],
      [{ type: 'data' }],
    ].map((frame) => JSON.stringify(frame));
    const received = await through('compact', 'events', filters, [...hostile, 'null', '7', '"data"', good]);
    expect(received.errors).toEqual([
      ...hostile.map(() => 'CLIENT_INVALID_FRAME'),
      'CLIENT_INVALID_FRAME',
      'CLIENT_INVALID_FRAME',
      'CLIENT_INVALID_FRAME',
    ]);
    expect(received.got.map((g) => g.meta.id)).toEqual([bench.id]);
    // Arbitrary JSON arrays and values: an error or nothing, never a throw out of the client.
    const junk = fc.sample(fc.oneof(fc.array(fc.jsonValue(), { maxLength: 10 }), fc.jsonValue()), { seed: 19, numRuns: 200 });
    await expect(
      through(
        'compact',
        'events',
        filters,
        junk.map((j) => JSON.stringify(j)),
      ),
    ).resolves.toBeDefined();
  });

  it('offers marketpulse.v1.compact, then marketpulse.v1.json (a gateway without compact frames answers JSON); JSON offers none', async () => {
    const offered: Partial<Record<StreamFormat, unknown>> = {};
    for (const format of FORMATS) {
      await through(format, 'events', {}, []);
      offered[format] = FakeSocket.last!.protocols;
    }
    expect(offered).toEqual({
      json: undefined,
      compact: ['marketpulse.v1.compact', 'marketpulse.v1.json'],
      protobuf: ['marketpulse.v1.proto'],
    });
    // That fallback: seed 002's JSON frames reach a client that asked for compact ones.
    expect(await through('compact', 'events', {}, frames('json', 'events', {}, [bench]))).toEqual(
      await through('json', 'events', {}, frames('json', 'events', {}, [bench])),
    );
  });
});
