import type { AddressInfo } from 'node:net';
import { events, realtime } from '@marketpulse/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createStreamClient, type StreamClient, type StreamError, type WebSocketConstructor } from './stream';
import { completeItem, decodeBinaryData, decodeCompactData } from './stream_items';

// The native protocol's frames leave out what the client knows (issue 19); the client package
// puts it back, and reads the binary subprotocol `marketpulse.v1.proto` when asked to.

describe('completeItem', () => {
  it('puts back the fields the filters fix and each payload field at its contract default', () => {
    expect(
      completeItem(
        'events',
        { subject: 'AAPL', 'payload.symbol': ['AAPL'] },
        {
          event_id: 'e1',
          event_type: 'market_data_update',
          timestamp: 't',
          payload: { price: 1 },
        },
      ),
    ).toEqual({
      event_id: 'e1',
      event_type: 'market_data_update',
      // An empty source is left out of a frame; a fixed subject and payload symbol too.
      source: '',
      subject: 'AAPL',
      timestamp: 't',
      payload: { symbol: 'AAPL', price: 1, volume: 0, bid: 0, ask: 0, provider: '', sequence: '0' },
    });
    // A typed item always carries its event_type (seed 002 names it), even when a filter fixes it.
    expect(
      completeItem(
        'system_status',
        { symbol: 'AAPL', event_type: 'data_quality_issue' },
        { event_type: 'data_quality_issue', kind: 'gap' },
      ),
    ).toEqual({
      event_type: 'data_quality_issue',
      id: '',
      kind: 'gap',
      symbol: 'AAPL',
      provider: '',
      severity: '',
      detail: '',
      observed_value: 0,
      expected_value: 0,
    });
    // A filter admitting several values fixes nothing; an unknown type has no defaults to add.
    expect(completeItem('events', { subject: ['A', 'B'] }, { event_type: 'not_a_type', source: 's', payload: { x: 1 } })).toEqual({
      event_type: 'not_a_type',
      source: 's',
      subject: '',
      payload: { x: 1 },
    });
  });

  it('refuses bytes that are no StreamData', () => {
    expect(() => decodeBinaryData(Uint8Array.from([0x0a, 0x05, 0x61]))).toThrow();
  });

  it('puts back an empty map, which no format sends', () => {
    expect(completeItem('alerts', {}, { event_type: 'alert_triggered', id: 'a1' })).toMatchObject({ id: 'a1', values: {} });
  });
});

describe('decodeCompactData', () => {
  it("reads a compact frame's places: the event type from a filter that fixes it, epoch milliseconds as ISO time", () => {
    const frame = decodeCompactData([
      'sub_a',
      'e1',
      '',
      Date.parse('2026-12-06T01:47:09.841Z'),
      { price: 2 },
      'market-data',
      '',
      'p0001',
      'ab',
    ]);
    expect(frame).toMatchObject({ subscriptionId: 'sub_a', id: 'e1', timestamp: '2026-12-06T01:47:09.841Z', pos: 'p0001', traceId: 'ab' });
    expect(frame.item('events', { event_type: ['market_data_update'], subject: 'AAPL' })).toEqual({
      event_id: 'e1',
      event_type: 'market_data_update',
      source: 'market-data',
      subject: '',
      timestamp: '2026-12-06T01:47:09.841Z',
      payload: { price: 2 },
    });
    expect(decodeCompactData(['sub_a', 'e2', 'status_update', '2026-12-06T01:47:09Z', { alert_count: 1 }]).item('metrics', {})).toEqual({
      event_type: 'status_update',
      alert_count: 1,
    });
  });

  it('refuses an array of any other shape', () => {
    for (const bad of [
      [],
      ['sub_a', 'e1', '', 1],
      ['sub_a', '', '', 1, {}],
      ['sub_a', 'e1', '', 1e16, {}],
      ['sub_a', 'e1', '', 1, {}, null],
    ])
      expect(() => decodeCompactData(bad)).toThrow(TypeError);
  });
});

let server: WebSocketServer | undefined;
let client: StreamClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

describe("StreamClient's protobuf format", () => {
  it('asks for marketpulse.v1.proto and delivers binary data messages as whole items; a bad one is an error, not a crash', async () => {
    const offered: (string | undefined)[] = [];
    const pub = events.Event.fromPartial({
      id: 'e1',
      source: 'market-data',
      time: '2026-01-01T00:00:00.000Z',
      payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: 2 } },
    });
    server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (p) => (p.has('marketpulse.v1.proto') ? 'marketpulse.v1.proto' : false),
    });
    server.on('connection', (ws, req) => {
      offered.push(req.headers['sec-websocket-protocol']);
      ws.send(JSON.stringify({ type: 'auth_success', data: { client_id: 'c1' } }));
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { type: string; data: { type: string; filters: object } };
        if (msg.type !== 'subscribe') return;
        ws.send(JSON.stringify({ type: 'subscribed', data: { subscription_id: 'sub_a', ...msg.data }, subscription_id: 'sub_a' }));
        ws.send(Buffer.from([0xff, 0xff, 0xff]), { binary: true });
        ws.send(realtime.StreamData.encode({ subscription_id: 'sub_a', event: pub, pos: 'AAABBQ', trace_id: '' }).finish(), {
          binary: true,
        });
      });
    });
    await new Promise((r) => server!.once('listening', r));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/stream`;
    client = createStreamClient({ url, WebSocket: WebSocket as unknown as WebSocketConstructor, format: 'protobuf' });
    const errors: StreamError[] = [];
    client.on('error', (e) => errors.push(e));
    const got: unknown[] = [];
    client.subscribe('events', { filters: { subject: 'AAPL' } }, (item, meta) => got.push({ item, meta }));
    client.connect();
    for (let i = 0; i < 500 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(offered).toEqual(['marketpulse.v1.proto']);
    expect(errors.map((e) => e.code)).toEqual(['CLIENT_INVALID_FRAME']);
    expect(got).toEqual([
      {
        item: {
          event_id: 'e1',
          event_type: 'market_data_update',
          source: 'market-data',
          subject: 'AAPL',
          timestamp: '2026-01-01T00:00:00.000Z',
          payload: { symbol: 'AAPL', price: 2, volume: 0, bid: 0, ask: 0, provider: '', sequence: '0' },
        },
        meta: { id: 'e1', subscriptionId: 'sub_a', timestamp: '2026-01-01T00:00:00.000Z' },
      },
    ]);
  });
});

describe('completeItem against hostile items', () => {
  it('drops own __proto__, constructor and prototype keys; a payload or item that is not an object throws', () => {
    const item = JSON.parse(
      '{"event_id":"e","event_type":"status_update","__proto__":{"x":1},"constructor":1,"prototype":2,"payload":{"__proto__":{"isAdmin":true},"ok":1}}',
    ) as Record<string, unknown>;
    const whole = completeItem('events', {}, item);
    expect(Object.keys(whole).filter((k) => ['__proto__', 'constructor', 'prototype'].includes(k))).toEqual([]);
    expect(Object.hasOwn(whole.payload as object, '__proto__')).toBe(false);
    expect((whole.payload as Record<string, unknown>).ok).toBe(1);
    const typed = completeItem(
      'metrics',
      {},
      JSON.parse('{"event_type":"status_update","__proto__":{"x":1},"cpu":1}') as Record<string, unknown>,
    );
    expect(Object.hasOwn(typed, '__proto__')).toBe(false);
    // A filter naming such a key fixes nothing either.
    expect(Object.getPrototypeOf(completeItem('events', { 'payload.__proto__': 'x' }, { event_type: 't' }).payload)).toBe(Object.prototype);
    expect(() => completeItem('events', {}, { event_type: 'system_error', payload: 'abcdef' })).toThrow(TypeError);
    expect(() => completeItem('events', {}, { event_type: 'system_error', payload: [1] })).toThrow(TypeError);
    expect(() => completeItem('metrics', {}, ['a'] as never)).toThrow(TypeError);
  });
});
