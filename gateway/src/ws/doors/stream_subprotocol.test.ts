import { request } from 'node:http';
import type { Socket } from 'node:net';
import { createStreamClient, type Filters, type StreamFormat, type SubscriptionType } from '@marketpulse/client';
import { events, realtime } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken, type Principal } from '../../auth';
import { loadGatewayConfig } from '../../config';
import { startGateway, type GatewayHandle } from '../../service';
import type { Frame } from '../encode';
import type { Publication } from '../history';
import { Hub, type ChannelEncoder } from '../hub';
import { streamEncoder, subscriptionId } from './stream';

// The native door's subprotocols (issue 19): `marketpulse.v1.proto` sends data messages as binary
// StreamData frames, `marketpulse.v1.compact` as JSON arrays, which the client package decodes to
// the very items the JSON frames give; anything else gets JSON; a client's binary frame is refused
// with 1003, never a crash.

const SECRET = 'stream-subprotocol-secret-0123456789';
const logger = createLogger('stream-subprotocol-test', {}, { level: 'silent' });
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

async function gateway(env: Record<string, string> = {}): Promise<GatewayHandle> {
  const config = loadGatewayConfig({
    BUS: 'memory',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    KAFKA_TOPIC_PREFIX: `subprotocol.${Math.random()}.`,
    ...env,
  });
  const gw = await startGateway(config, { logger, getPrediction: () => Promise.reject(new Error('unused')), api: false });
  cleanup.push(() => gw.close());
  return gw;
}

const token = () => mintToken({ secret: SECRET, subject: 'reader', ttlSeconds: 600 });

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A `ws` client that keeps every message: text parsed as JSON, binary as bytes. */
class Client {
  readonly texts: Record<string, unknown>[] = [];
  readonly binaries: Buffer[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly ws: WebSocket;

  constructor(url: string, protocols?: string[]) {
    this.ws = new WebSocket(url, protocols);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binaries.push(data);
      else this.texts.push(JSON.parse(data.toString()) as Record<string, unknown>);
    });
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.ws.on('error', () => {});
    cleanup.push(() => this.ws.terminate());
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  async next(type: string): Promise<Record<string, unknown>> {
    await until(type, () => this.texts.some((m) => m.type === type));
    const at = this.texts.findIndex((m) => m.type === type);
    return this.texts.splice(at, 1)[0]!;
  }
}

let seq = 0;
/** Publishes an event the way the consumer hands it to the hub: its payload as the contracts decode it. */
function publish(gw: GatewayHandle, type: string, subject: string, payload: object, channels: string[]): Publication {
  const data = (
    events.Event.fromPartial({ payload: { $case: type, [type]: payload } } as events.Event).payload as unknown as Record<
      string,
      Record<string, unknown>
    >
  )[type]!;
  const pub = gw.hub.publish([...channels, 'events'], {
    id: `evt-${++seq}`,
    type,
    source: 'market-data',
    subject,
    owner: '',
    time: new Date(Date.UTC(2026, 11, 6, 0, 0, seq)).toISOString(),
    traceId: seq % 2 ? '0af7651916cd43dd8448eb211c80319c' : '',
    data,
  });
  if (!pub) throw new Error('not published');
  return pub;
}

/** The whole item a subscriber should get: every contract field of the payload, defaults included. */
function wholePayload(type: string, payload: object): Record<string, unknown> {
  return (
    events.Event.toJSON(events.Event.fromPartial({ payload: { $case: type, [type]: payload } } as events.Event)) as Record<
      string,
      Record<string, unknown>
    >
  )[type]!;
}

describe('/ws/stream subprotocols (issue 19)', () => {
  it('sends binary StreamData frames on marketpulse.v1.proto, which the client package decodes to the same items as JSON', async () => {
    const gw = await gateway();
    const url = `ws://127.0.0.1:${gw.port}/ws/stream`;

    // A raw client: the handshake names the subprotocol; control messages stay JSON text, data is binary.
    const raw = new Client(`${url}?token=${await token()}`, ['marketpulse.v1.proto']);
    await raw.opened();
    expect(raw.ws.protocol).toBe('marketpulse.v1.proto');
    await raw.next('auth_success');
    raw.ws.send(JSON.stringify({ type: 'subscribe', data: { type: 'events', filters: { subject: 'AAPL' } } }));
    const subscribed = await raw.next('subscribed');

    // The client package in both formats, with an `events` and a typed subscription each.
    const got = { json: [] as unknown[], protobuf: [] as unknown[] };
    const subscriptions: { state: string }[] = [];
    for (const format of ['json', 'protobuf'] as const) {
      const client = createStreamClient({ url, token: await token(), WebSocket: WebSocket as never, format });
      subscriptions.push(
        client.subscribe('events', { filters: { subject: 'AAPL' } }, (item, meta) =>
          got[format].push({ item, id: meta.id, at: meta.timestamp }),
        ),
        client.subscribe('system_status', { filters: { symbol: 'AAPL' } }, (item, meta) => got[format].push({ item, id: meta.id })),
      );
      client.connect();
      cleanup.push(() => client.close());
    }
    await until('every subscription acknowledged', () => subscriptions.every((sub) => sub.state === 'active'));

    const tick = { symbol: 'AAPL', price: 187.25, volume: 0, provider: 'simulated', sequence: '42' };
    const issue = { id: 'dq-1', kind: 'gap', symbol: 'AAPL', severity: 'warning', detail: 'no tick for 42 s', observed_value: 0 };
    const t = publish(gw, 'market_data_update', 'AAPL', tick, ['market-data:AAPL']);
    const d = publish(gw, 'data_quality_issue', 'AAPL', issue, ['system']);
    publish(gw, 'market_data_update', 'MSFT', { ...tick, symbol: 'MSFT' }, ['market-data:MSFT']);

    await until('the raw client gets a binary frame', () => raw.binaries.length >= 1);
    const frame = realtime.StreamData.decode(raw.binaries[0]!);
    expect(frame.subscription_id).toBe(subscribed.subscription_id);
    // What the frame only repeats is left at its default: the type (the payload's case), the fixed subject.
    expect(frame.event).toMatchObject({ id: t.id, type: '', subject: '', source: 'market-data', time: t.time });
    expect(frame.event?.payload).toEqual({ $case: 'market_data_update', market_data_update: expect.objectContaining({ price: 187.25 }) });
    expect(frame.trace_id).toBe(t.traceId);
    expect(raw.texts.filter((m) => m.type === 'data')).toEqual([]);

    await until('both clients get all three items', () => got.json.length === 3 && got.protobuf.length === 3);
    const eventItem = (pub: Publication, payload: object) => ({
      item: {
        event_id: pub.id,
        event_type: pub.type,
        source: 'market-data',
        subject: 'AAPL',
        timestamp: pub.time,
        payload: wholePayload(pub.type, payload),
      },
      id: pub.id,
      at: pub.time,
    });
    // The quality issue is about AAPL too: the `events` subscription gets it as well as the typed one.
    const expected = [
      eventItem(t, tick),
      eventItem(d, issue),
      { item: { event_type: 'data_quality_issue', ...wholePayload('data_quality_issue', issue) }, id: d.id },
    ];
    expect(got.json).toEqual(expected);
    expect(got.protobuf).toEqual(expected);
  });

  it('sends JSON arrays on marketpulse.v1.compact, and all three formats give the same whole items under every filter set', async () => {
    const gw = await gateway();
    const url = `ws://127.0.0.1:${gw.port}/ws/stream`;

    // A raw client: data messages are arrays, every other message stays a JSON object; it still sends objects.
    const raw = new Client(`${url}?token=${await token()}`, ['marketpulse.v1.compact']);
    await raw.opened();
    expect(raw.ws.protocol).toBe('marketpulse.v1.compact');
    await raw.next('auth_success');
    raw.ws.send(JSON.stringify([{ type: 'subscribe' }]));
    expect(await raw.next('error')).toMatchObject({ data: { code: 'INVALID_MESSAGE' } });
    raw.ws.send(JSON.stringify({ type: 'subscribe', data: { type: 'events', filters: { subject: 'AAPL' } } }));
    const subscribed = await raw.next('subscribed');

    const sets: [SubscriptionType, Filters][] = [
      ['events', {}],
      ['events', { subject: 'AAPL' }],
      ['events', { event_type: 'market_data_update', 'payload.symbol': 'AAPL' }],
      ['events', { source: 'market-data', subject: ['AAPL', 'MSFT'] }],
      ['system_status', { symbol: 'AAPL' }],
      ['system_status', { event_type: ['data_quality_issue'], symbol: 'AAPL' }],
    ];
    const formats: StreamFormat[] = ['json', 'compact', 'protobuf'];
    const got = Object.fromEntries(formats.map((f) => [f, sets.map(() => [] as unknown[])])) as Record<StreamFormat, unknown[][]>;
    const subscriptions: { state: string }[] = [];
    for (const format of formats) {
      const client = createStreamClient({ url, token: await token(), WebSocket: WebSocket as never, format });
      for (const [i, [type, filters]] of sets.entries())
        subscriptions.push(client.subscribe(type, { filters }, (item, meta) => got[format][i]!.push({ item, meta })));
      client.connect();
      cleanup.push(() => client.close());
    }
    await until('every subscription acknowledged', () => subscriptions.every((sub) => sub.state === 'active'));

    const tick = { symbol: 'AAPL', price: 187.25, volume: 0, provider: 'simulated', sequence: '42' };
    const issue = { id: 'dq-1', kind: 'gap', symbol: 'AAPL', severity: 'warning', detail: 'no tick for 42 s', observed_value: 0 };
    const t = publish(gw, 'market_data_update', 'AAPL', tick, ['market-data:AAPL']);
    publish(gw, 'data_quality_issue', 'AAPL', issue, ['system']);
    publish(gw, 'market_data_update', 'MSFT', { ...tick, symbol: 'MSFT' }, ['market-data:MSFT']);

    // Per filter set: every event, AAPL's two, the AAPL tick, all three, the issue, the issue.
    const expectedCounts = [3, 2, 1, 3, 1, 1];
    await until('every client gets every item', () => formats.every((f) => got[f].every((items, i) => items.length === expectedCounts[i])));
    expect(got.compact).toEqual(got.json);
    expect(got.protobuf).toEqual(got.json);
    expect(got.json[2]).toEqual([
      {
        item: {
          event_id: t.id,
          event_type: 'market_data_update',
          source: 'market-data',
          subject: 'AAPL',
          timestamp: t.time,
          payload: wholePayload('market_data_update', tick),
        },
        meta: {
          id: t.id,
          subscriptionId: subscriptionId('events', sets[2]![1]),
          timestamp: t.time,
          ...(t.traceId ? { traceId: t.traceId } : {}),
        },
      },
    ]);

    await until('the raw client gets two data arrays', () => raw.texts.filter(Array.isArray).length === 2);
    expect(raw.texts.find(Array.isArray)).toEqual([
      subscribed.subscription_id,
      t.id,
      'market_data_update',
      Date.parse(t.time),
      { symbol: 'AAPL', price: 187.25, provider: 'simulated', sequence: '42' },
      'market-data',
      // The fixed subject and the absent pos (in-memory bus) are empty where the trace id follows; trailing empties go.
      ...(t.traceId ? ['', '', t.traceId] : []),
    ]);
    expect(raw.texts.filter((m) => m.type === 'data')).toEqual([]);
  });

  it('sends binary frames as binary on a permessage-deflate connection too', async () => {
    const gw = await gateway({ WS_DEFLATE: 'true' });
    const client = new Client(`ws://127.0.0.1:${gw.port}/ws/stream?token=${await token()}`, ['marketpulse.v1.proto']);
    await client.opened();
    expect(client.ws.extensions).toContain('permessage-deflate');
    await client.next('auth_success');
    client.ws.send(JSON.stringify({ type: 'subscribe', data: { type: 'events', filters: { subject: 'AAPL' } } }));
    await client.next('subscribed');
    // Over the compression threshold (256 bytes), so the frame is compressed on the way.
    const pub = publish(gw, 'market_data_update', 'AAPL', { symbol: 'AAPL', price: 1, provider: 'p'.repeat(400) }, ['market-data:AAPL']);
    await until('a binary frame', () => client.binaries.length === 1);
    expect(realtime.StreamData.decode(client.binaries[0]!).event).toMatchObject({ id: pub.id, subject: '' });
  });

  it('encodes a publication once per subscription and format, whatever the number of clients', () => {
    const hub = new Hub(10);
    const reader: Principal = { userId: 'reader', scopes: ['read'], channels: ['*'], method: 'jwt' };
    const filters = { subject: 'AAPL' };
    const id = subscriptionId('events', filters);
    const encodes = { json: 0, proto: 0, compact: 0 };
    const received: Frame[][] = [];
    for (const format of ['json', 'proto', 'compact', 'json', 'proto', 'compact'] as const) {
      const inner = streamEncoder(id, 'events', filters, format);
      const counted: ChannelEncoder = { key: inner.key, route: inner.route, encode: (pub) => (encodes[format]++, inner.encode(pub)) };
      const frames: Frame[] = [];
      received.push(frames);
      hub.subscribe('events', counted, { principal: reader, deliver: (f) => frames.push(f) });
    }
    hub.publish(['market-data:AAPL', 'events'], {
      id: 'e1',
      type: 'market_data_update',
      source: 'market-data',
      subject: 'AAPL',
      owner: '',
      time: '2026-12-06T00:00:00.000Z',
      traceId: '',
      data: { symbol: 'AAPL', price: 1 },
    });
    expect(encodes).toEqual({ json: 1, proto: 1, compact: 1 });
    const [json, proto, compact] = [received[0]![0]!, received[1]![0]!, received[2]![0]!];
    expect([json.binary, proto.binary, compact.binary]).toEqual([false, true, false]);
    // The very same frame object for every client of a format.
    for (const [i, frames] of received.entries()) expect(frames[0]).toBe([json, proto, compact][i % 3]);
    expect(proto.byteLength).toBeLessThan(compact.byteLength);
    expect(compact.byteLength).toBeLessThan(json.byteLength);
  });

  it('answers an offer of only unknown subprotocols without one and speaks JSON; other doors choose none', async () => {
    const gw = await gateway();
    const handshake = (path: string, protocols: string) =>
      new Promise<{ status: number | undefined; protocol: string | undefined; socket: Socket }>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: gw.port,
          path,
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
            'sec-websocket-version': '13',
            'sec-websocket-protocol': protocols,
          },
        });
        req.on('upgrade', (res, socket) => {
          cleanup.push(() => socket.destroy());
          resolve({ status: res.statusCode, protocol: res.headers['sec-websocket-protocol'], socket });
        });
        req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
        req.on('error', reject);
        req.end();
      });

    const unknown = await handshake('/ws/stream', 'marketpulse.v9.cbor, chat');
    expect(unknown).toMatchObject({ status: 101, protocol: undefined });
    // A masked text frame (all-zero key) `{"type":"ping"}`: the answer is a JSON text frame.
    const ping = Buffer.from('{"type":"ping"}');
    const reply = new Promise<Buffer>((resolve) => unknown.socket.once('data', resolve));
    unknown.socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | ping.length, 0, 0, 0, 0]), ping]));
    const answer = await reply;
    expect(answer[0]).toBe(0x81);
    expect(JSON.parse(answer.subarray(2, 2 + answer[1]!).toString())).toEqual({ type: 'pong' });

    expect(await handshake('/ws/stream', 'chat, marketpulse.v1.json')).toMatchObject({ status: 101, protocol: 'marketpulse.v1.json' });
    expect(await handshake('/ws/stream', 'marketpulse.v1.json, marketpulse.v1.proto')).toMatchObject({ protocol: 'marketpulse.v1.proto' });
    expect(await handshake('/ws/alerts', 'marketpulse.v1.proto')).toMatchObject({ status: 101, protocol: undefined });
    // The fewest bytes a client can read: compact over JSON, protobuf over compact, whatever the order offered.
    expect(await handshake('/ws/stream', 'marketpulse.v1.json, marketpulse.v1.compact')).toMatchObject({
      protocol: 'marketpulse.v1.compact',
    });
    expect(await handshake('/ws/stream', 'marketpulse.v1.compact, marketpulse.v1.proto')).toMatchObject({
      protocol: 'marketpulse.v1.proto',
    });
    // Names are exact (RFC 6455 subprotocol tokens are case-sensitive), and only this door has them.
    expect(await handshake('/ws/stream', 'MARKETPULSE.V1.COMPACT, marketpulse.v1.compact.x')).toMatchObject({
      status: 101,
      protocol: undefined,
    });
    expect(await handshake('/ws/alerts', 'marketpulse.v1.compact')).toMatchObject({ status: 101, protocol: undefined });
    // An offer naming one twice, or not a token list, is refused before any upgrade; the gateway keeps serving.
    await expect(handshake('/ws/stream', 'marketpulse.v1.compact, marketpulse.v1.compact')).rejects.toThrow('no upgrade: 400');
    await expect(handshake('/ws/stream', 'marketpulse.v1.compact,,')).rejects.toThrow('no upgrade: 400');
    expect(await handshake('/ws/stream', 'marketpulse.v1.compact')).toMatchObject({ status: 101, protocol: 'marketpulse.v1.compact' });
  });

  it('closes a connection that sends a binary frame with INVALID_MESSAGE and 1003, and keeps serving', async () => {
    const gw = await gateway();
    const url = `ws://127.0.0.1:${gw.port}/ws/stream?token=${await token()}`;
    const hostile = [
      Buffer.alloc(0),
      Buffer.from('{"type":"ping"}'),
      Buffer.from(realtime.StreamData.encode({ subscription_id: 'sub_x', pos: '', trace_id: '' }).finish()),
      Buffer.alloc(64 * 1024, 0xff),
      ...fc.sample(fc.uint8Array({ maxLength: 256 }), { seed: 19, numRuns: 6 }).map((b) => Buffer.from(b)),
    ];
    for (const [i, bytes] of hostile.entries()) {
      const client = new Client(url, [undefined, ['marketpulse.v1.proto'], ['marketpulse.v1.compact']][i % 3]);
      await client.opened();
      await client.next('auth_success');
      client.ws.send(bytes, { binary: true });
      await until(`the close after hostile frame ${i}`, () => client.closed !== undefined);
      expect(client.closed).toEqual({ code: 1003, reason: 'binary messages not accepted' });
      expect(client.texts.find((m) => m.type === 'error')).toMatchObject({
        data: { code: 'INVALID_MESSAGE', detail: 'binary frames are not accepted: send JSON text' },
      });
    }
    const after = new Client(url, ['marketpulse.v1.proto']);
    await after.opened();
    after.ws.send(JSON.stringify({ type: 'ping' }));
    await after.next('pong');
  });
});
