import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  closeAllowsReconnect,
  createStreamClient,
  MAX_POSITION_CHARS,
  MAX_POSITION_PARTITIONS,
  type DataMeta,
  type StreamClient,
  type StreamError,
  type StreamState,
  type WebSocketConstructor,
} from './stream';
import type { StreamEvent } from './events';

/**
 * A real WebSocket server speaking the native protocol the way gateway/src/ws/doors/stream.ts
 * does: auth / auth_success / auth_failed + 1008, subscribe {type, filters, since} → subscribed
 * then the replay after `since` (or CANNOT_RECOVER), data {subscription_id, data.event.event_id}, ping → pong.
 */
class FakeGateway {
  readonly wss: WebSocketServer;
  readonly history: Array<{ id: string; type: string; subject: string; pos?: string }> = [];
  /** The position an acknowledgement carries (the gateway on Kafka); none when undefined. */
  ackPosition: string | undefined;
  readonly sockets = new Set<WebSocket>();
  readonly received: Array<Record<string, unknown>> = [];
  connections = 0;
  /** Close codes handed to the next connections as soon as they open. */
  refuse: Array<[number, string]> = [];
  /** Replays also repeat the `since` event itself (an overlap the client must drop). */
  overlap = false;
  /** Replays start this many events further back still (a replay overlapping much of what the client has). */
  rewind = 0;
  answerPings = true;
  /** Subscribes are never answered (neither subscribed nor an error). */
  ignoreSubscribes = false;
  /** The next this many connections are closed (1011) right after their auth_success. */
  closeAfterAuth = 0;
  tokens = new Set(['good']);
  private readonly subs = new Map<WebSocket, Set<string>>();

  constructor() {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.wss.on('connection', (ws) => {
      this.connections++;
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      const refusal = this.refuse.shift();
      if (refusal) return ws.close(...refusal);
      this.subs.set(ws, new Set());
      ws.on('message', (raw) => this.message(ws, JSON.parse(String(raw)) as Record<string, unknown>));
    });
  }

  static async start(): Promise<FakeGateway> {
    const gw = new FakeGateway();
    await new Promise((r) => gw.wss.once('listening', r));
    return gw;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws/stream`;
  }

  private frame(ev: { id: string; type: string; subject: string; pos?: string }) {
    return JSON.stringify({
      type: 'data',
      data: {
        event: {
          event_id: ev.id,
          event_type: ev.type,
          source: 'test',
          subject: ev.subject,
          timestamp: '2026-01-01T00:00:00Z',
          payload: { symbol: ev.subject, price: 1 },
        },
        subscription_type: 'events',
      },
      subscription_id: 'sub_events',
      // The gateway's `events` frame (seed 002's shape, issue 19): the id and time only inside the
      // event (no message `id` or `timestamp`), no empty trace id, no payload default.
      ...(ev.pos !== undefined ? { pos: ev.pos } : {}),
    });
  }

  /** An error the gateway sends about a subscription's resume. */
  resumeError(code: string, position: string): void {
    for (const ws of this.sockets)
      ws.send(JSON.stringify({ type: 'error', data: { error: code, code, subscription_id: 'sub_events', position } }));
  }

  private message(ws: WebSocket, msg: Record<string, unknown>): void {
    this.received.push(msg);
    const data = (msg.data ?? {}) as Record<string, unknown>;
    if (msg.type === 'ping') {
      if (this.answerPings) ws.send(JSON.stringify({ type: 'pong' }));
      return;
    }
    if (msg.type === 'auth') {
      if (this.tokens.has(String(data.token).split('.')[0]!)) {
        ws.send(JSON.stringify({ type: 'auth_success', data: { client_id: `c${this.connections}` } }));
        if (this.closeAfterAuth > 0) {
          this.closeAfterAuth--;
          ws.close(1011, 'internal error');
        }
        return;
      }
      ws.send(JSON.stringify({ type: 'auth_failed', data: { error: 'Invalid credentials' } }));
      return ws.close(1008, 'authentication failed');
    }
    if (msg.type === 'subscribe') {
      if (this.ignoreSubscribes) return;
      this.subs.get(ws)!.add('sub_events');
      ws.send(
        JSON.stringify({
          type: 'subscribed',
          data: { subscription_id: 'sub_events', type: data.type, filters: data.filters ?? {} },
          subscription_id: 'sub_events',
          id: this.history.at(-1)?.id ?? null,
          ...(this.ackPosition !== undefined ? { position: typeof data.position === 'string' ? data.position : this.ackPosition } : {}),
        }),
      );
      if (typeof data.since === 'string') {
        const at = this.history.findIndex((e) => e.id === data.since);
        if (at < 0)
          return void ws.send(
            JSON.stringify({ type: 'error', data: { error: 'missed messages cannot be recovered', code: 'CANNOT_RECOVER' } }),
          );
        for (const ev of this.history.slice(Math.max(0, (this.overlap ? at : at + 1) - this.rewind))) ws.send(this.frame(ev));
      }
    }
  }

  publish(id: string, subject = 'AAPL', pos?: string): void {
    const ev = { id, type: 'market_data_update', subject, ...(pos !== undefined ? { pos } : {}) };
    this.history.push(ev);
    for (const [ws, subs] of this.subs) if (ws.readyState === WebSocket.OPEN && subs.size > 0) ws.send(this.frame(ev));
  }

  /** Sends `text` as it is to every connection. */
  sendRaw(text: string): void {
    for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  /** Ends every connection the way a killed gateway does (no close frame: the client sees 1006). */
  kill(): void {
    for (const ws of this.sockets) ws.terminate();
    this.subs.clear();
  }

  close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

const WS = WebSocket as unknown as WebSocketConstructor;
let server: FakeGateway | undefined;
let client: StreamClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  server = client = undefined;
});

function until(check: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let tries = 0;
    const tick = () => {
      if (check()) return resolve();
      if (++tries > 1000) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

/** The gateway's position format (gateway/src/ws/history/position_token.ts): a version 1 header with a 4-byte epoch. */
const HEADER = Buffer.from([1, 0xde, 0xad, 0xbe, 0xef]).toString('base64url');
/** One partition's entry: topic 0, the partition (u16), the next offset as a varint. */
function entry(partition: number, offset: number): string {
  const bytes = [0, partition >> 8, partition & 0xff];
  for (let n = offset; ;) {
    const low = n % 128;
    n = Math.floor(n / 128);
    if (n === 0) {
      bytes.push(low);
      break;
    }
    bytes.push(low | 0x80);
  }
  return Buffer.from(bytes).toString('base64url');
}
/** A whole token: partition i at offsets[i]. */
const token = (...offsets: number[]) => [HEADER, ...offsets.map((o, p) => entry(p, o))].join('.');
/** A token of another epoch (another Kafka cluster or topic list): its offsets name other records. */
const otherEpochToken = (...offsets: number[]) =>
  [Buffer.from([1, 0xca, 0xfe, 0xba, 0xbe]).toString('base64url'), ...offsets.map((o, p) => entry(p, o))].join('.');

function states(c: StreamClient): Array<[StreamState, number | undefined]> {
  const seen: Array<[StreamState, number | undefined]> = [];
  c.on('state', (s, info) => seen.push([s, info.code]));
  return seen;
}

describe('StreamClient against a real WebSocket server', () => {
  it('authenticates, subscribes with filters and delivers typed events', async () => {
    server = await FakeGateway.start();
    client = createStreamClient({ url: server.url, token: 'good', WebSocket: WS });
    const seen = states(client);
    const got: StreamEvent[] = [];
    const metas: DataMeta[] = [];
    const sub = client.subscribe('events', { filters: { event_type: 'market_data_update', subject: ['AAPL'] } }, (event, meta) => {
      got.push(event);
      metas.push(meta);
    });
    client.connect();
    await until(() => sub.state === 'active', 'subscribed');
    expect(client.clientId).toBe('c1');
    server.publish('e1');
    await until(() => got.length === 1, 'event');
    const event = got[0]!;
    // The union narrows on event_type to the contract's payload.
    if (event.event_type === 'market_data_update') expect(event.payload.symbol).toBe('AAPL');
    // The event's id and time, read from the event (the frame carries each once, inside the event).
    expect(metas[0]).toEqual({ id: 'e1', subscriptionId: 'sub_events', timestamp: '2026-01-01T00:00:00Z' });
    // What the frame left out is back: the payload's contract defaults.
    expect(event).toMatchObject({ event_id: 'e1', payload: { symbol: 'AAPL', price: 1, volume: 0, provider: '', sequence: '0' } });
    expect(server.received[0]).toEqual({ type: 'auth', data: { token: 'good' } });
    expect(server.received[1]).toEqual({
      type: 'subscribe',
      data: { type: 'events', filters: { event_type: 'market_data_update', subject: ['AAPL'] } },
    });
    expect(seen.map(([s]) => s)).toEqual(['connecting', 'connected']);
  });

  it('reconnects after the server dies and resumes from the last id: no gap, no duplicate', async () => {
    server = await FakeGateway.start();
    server.overlap = true;
    const tokens: string[] = [];
    client = createStreamClient({
      url: server.url,
      token: () => (tokens.push('good'), 'good'),
      WebSocket: WS,
      minReconnectDelayMs: 20,
      maxReconnectDelayMs: 40,
    });
    const seen = states(client);
    const ids: string[] = [];
    const sub = client.subscribe('events', {}, (_e, meta) => ids.push(meta.id));
    client.connect();
    await until(() => sub.state === 'active', 'subscribed');
    server.publish('e1');
    server.publish('e2');
    await until(() => ids.length === 2, 'e1 e2');
    server.kill();
    await until(() => client!.state !== 'connected', 'disconnect');
    server.publish('e3'); // while the client is away
    server.publish('e4');
    await until(() => ids.length === 4, 'resumed events');
    server.publish('e5');
    await until(() => ids.length === 5, 'live after resume');
    expect(ids).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    const resubscribe = server.received.filter((m) => m.type === 'subscribe')[1]!;
    expect(resubscribe.data).toEqual({ type: 'events', filters: {}, since: 'e2' });
    expect(tokens.length).toBe(2); // the token getter is asked again on reconnect
    const disconnected = seen.find(([s]) => s === 'disconnected');
    expect(disconnected?.[1]).toBe(1006);
  });

  it("sends back its position: the acknowledgement's token with each partition's entry replaced by the last pos of its own events", async () => {
    server = await FakeGateway.start();
    server.ackPosition = token(0, 0, 0);
    client = createStreamClient({ url: server.url, WebSocket: WS, minReconnectDelayMs: 20, maxReconnectDelayMs: 40 });
    const ids: string[] = [];
    const sub = client.subscribe('events', {}, (_e, meta) => ids.push(meta.id));
    client.connect();
    await until(() => sub.state === 'active', 'subscribed');
    expect(sub.position).toBe(token(0, 0, 0));
    server.publish('e1', 'AAPL', entry(1, 7));
    server.publish('e2', 'AAPL', entry(0, 3));
    server.publish('e3', 'AAPL', entry(1, 9));
    await until(() => ids.length === 3, 'three events');
    expect(sub.position).toBe(token(3, 9, 0));
    // An unrecoverable resume names where the live stream continues from.
    server.resumeError('CANNOT_RECOVER', token(5, 9, 8));
    await until(() => sub.position === token(5, 9, 8), 'the position reset');
    server.kill();
    await until(() => server!.received.filter((m) => m.type === 'subscribe').length === 2, 'the resubscribe');
    expect(server.received.filter((m) => m.type === 'subscribe')[1]).toMatchObject({
      data: { since: 'e3', position: token(5, 9, 8) },
    });
  });

  it('drops a resume replay of 3,000 events it already delivered, beyond dedupeWindow: each event reaches the app once, in order', async () => {
    server = await FakeGateway.start();
    server.ackPosition = token(0, 0);
    client = createStreamClient({ url: server.url, WebSocket: WS, minReconnectDelayMs: 20, maxReconnectDelayMs: 40 });
    const ids: string[] = [];
    const sub = client.subscribe('events', {}, (_e, meta) => ids.push(meta.id));
    client.connect();
    await until(() => sub.state === 'active', 'subscribed');
    // Event i on partition i % 2; its pos is that partition's offset after it.
    const next = [0, 0];
    const publish = (from: number, to: number) => {
      for (let i = from; i <= to; i++) server!.publish(`e${i}`, 'AAPL', entry(i % 2, ++next[i % 2]!));
    };
    publish(1, 3000);
    await until(() => ids.length === 3000, 'the first 3,000 events');
    server.kill();
    await until(() => client!.state !== 'connected', 'disconnect');
    publish(3001, 3010); // while the client is away
    server.rewind = 3000; // the replay starts again from e1: 3,000 events the client has, more than the 2,000 ids it keeps
    await until(() => ids.length >= 3010 && client!.state === 'connected', 'the resume');
    publish(3011, 3020);
    await until(() => ids.at(-1) === 'e3020', 'the live events after the replay');
    expect(ids.length - new Set(ids).size).toBe(0); // delivered twice: none
    expect(ids).toEqual(Array.from({ length: 3020 }, (_, i) => `e${i + 1}`));
    expect(server.received.filter((m) => m.type === 'subscribe')[1]).toMatchObject({
      data: { since: 'e3000', position: token(1500, 1500) },
    });
    expect(sub.position).toBe(token(1510, 1510));
  });

  it("reads the acknowledgement's token as each partition's next offset, and keeps what it delivered across a position set behind it", async () => {
    server = await FakeGateway.start();
    server.ackPosition = token(5, 5);
    // Each event has one id and one pos, as Kafka's records do; a window of one id cannot drop them: the positions do.
    const r = await connected(server, { dedupeWindow: 1 });
    client = r.c;
    const send = (id: string, partition: number, pos: number) => server!.sendRaw(dataFrame(id, {}, { pos: entry(partition, pos) }));
    send('o4', 0, 5); // offset 4: handled before the subscription (its pos, the offset after it, is the token's)
    send('o5', 0, 6); // offset 5: the first after it
    send('q5', 1, 6);
    send('o6', 0, 7);
    send('o5', 0, 6); // sent again
    server.publish('mark1');
    await until(() => r.ids.at(-1) === 'mark1', 'the first events');
    expect(r.ids).toEqual(['o5', 'q5', 'o6', 'mark1']);
    // An instance behind the one left names its own stream's position: the same records follow, already delivered.
    server.resumeError('INVALID_POSITION', token(5, 5));
    await until(() => r.sub.position === token(5, 5), 'the position set behind');
    send('o5', 0, 6);
    send('q5', 1, 6);
    send('o6', 0, 7);
    send('o7', 0, 8);
    server.publish('mark2');
    await until(() => r.ids.at(-1) === 'mark2', 'the events after it');
    expect(r.ids).toEqual(['o5', 'q5', 'o6', 'mark1', 'o7', 'mark2']);
    expect(r.sub.position).toBe(token(8, 6)); // back up to what it delivered
    // Another epoch (another Kafka cluster): its offsets name other records, all new.
    server.resumeError('CANNOT_RECOVER', otherEpochToken(1, 1));
    await until(() => r.sub.position === otherEpochToken(1, 1), 'the new epoch');
    send('x1', 0, 2);
    send('y1', 1, 2);
    send('x1', 0, 2);
    server.publish('mark3');
    await until(() => r.ids.at(-1) === 'mark3', "the new epoch's events");
    expect(r.ids.slice(6)).toEqual(['x1', 'y1', 'mark3']);
  });

  it('judges each subscription by its own position when several share the gateway subscription (and its frames)', async () => {
    server = await FakeGateway.start();
    server.ackPosition = token(0, 0);
    const r = await connected(server);
    client = r.c;
    server.publish('e1', 'AAPL', entry(0, 1));
    server.publish('e2', 'AAPL', entry(0, 2));
    await until(() => r.ids.length === 2, 'the first events');
    // A second subscription of the same type and filters, acknowledged where the stream stands now.
    server.ackPosition = token(2, 0);
    const later: string[] = [];
    const b = client.subscribe('events', {}, (_e, meta) => later.push(meta.id));
    await until(() => b.state === 'active', 'the second subscription');
    // A replay for the shared subscription: the first has these events, the second never wanted them.
    server.sendRaw(dataFrame('e1', {}, { pos: entry(0, 1) }));
    server.sendRaw(dataFrame('e2', {}, { pos: entry(0, 2) }));
    server.publish('e3', 'AAPL', entry(0, 3));
    await until(() => r.ids.at(-1) === 'e3' && later.at(-1) === 'e3', 'the next event');
    expect(r.ids).toEqual(['e1', 'e2', 'e3']);
    expect(later).toEqual(['e3']);
    expect(b.position).toBe(r.sub.position);
  });

  it('resumes a subscription that saw no event yet from the newest id the gateway named when it subscribed', async () => {
    server = await FakeGateway.start();
    server.publish('e0'); // before the subscription: never delivered
    client = createStreamClient({ url: server.url, WebSocket: WS, minReconnectDelayMs: 20, maxReconnectDelayMs: 40 });
    const ids: string[] = [];
    const sub = client.subscribe('events', {}, (_e, meta) => ids.push(meta.id));
    client.connect();
    await until(() => sub.state === 'active', 'subscribed');
    server.kill();
    await until(() => client!.state !== 'connected', 'disconnect');
    server.publish('e1'); // while away, the first event this subscription would have had
    await until(() => ids.length === 1, 'the missed event');
    expect(ids).toEqual(['e1']);
    expect(server.received.filter((m) => m.type === 'subscribe')[1]!.data).toEqual({ type: 'events', filters: {}, since: 'e0' });
  });

  it('does not reconnect after an auth refusal', async () => {
    server = await FakeGateway.start();
    client = createStreamClient({ url: server.url, token: 'bad', WebSocket: WS, minReconnectDelayMs: 5, maxReconnectDelayMs: 10 });
    const seen = states(client);
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    client.connect();
    await until(() => client!.state === 'closed', 'closed');
    // Several reconnect delays pass: still one connection.
    await new Promise((r) => setTimeout(r, 100));
    expect(server.connections).toBe(1);
    expect(errors[0]).toBe('AUTH_FAILED');
    expect(seen.at(-1)).toEqual(['closed', 1008]);
  });

  it('backs off at least capacityDelayMs after 1013, then connects', async () => {
    server = await FakeGateway.start();
    server.refuse.push([1013, 'server at capacity']);
    client = createStreamClient({ url: server.url, WebSocket: WS, minReconnectDelayMs: 5, maxReconnectDelayMs: 10, capacityDelayMs: 200 });
    const delays: number[] = [];
    client.on('state', (s, info) => s === 'disconnected' && delays.push(info.retryInMs!));
    client.connect();
    await until(() => server!.connections === 2 && client!.state === 'connected', 'the second connection');
    expect(delays.length).toBe(1);
    expect(delays[0]).toBeGreaterThanOrEqual(100);
  });

  it('ends the socket and reconnects when pings go unanswered (heartbeat)', async () => {
    server = await FakeGateway.start();
    server.answerPings = false;
    client = createStreamClient({
      url: server.url,
      WebSocket: WS,
      pingIntervalMs: 30,
      pongTimeoutMs: 30,
      minReconnectDelayMs: 5,
      maxReconnectDelayMs: 10,
    });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    client.connect();
    await until(() => server!.connections >= 2, 'a second connection');
    expect(errors).toContain('CLIENT_HEARTBEAT_TIMEOUT');
    expect(server.received.some((m) => m.type === 'ping')).toBe(true);
  });

  it('re-authenticates on the open connection before a JWT expires', async () => {
    server = await FakeGateway.start();
    const jwt = (n: number) =>
      `good.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 2, n })).toString('base64url')}.sig`;
    let n = 0;
    client = createStreamClient({ url: server.url, WebSocket: WS, token: () => jwt(++n), refreshBeforeExpiryMs: 1900 });
    client.connect();
    await until(() => server!.received.filter((m) => m.type === 'auth').length >= 2, 'a second auth');
    expect(server.connections).toBe(1);
    expect(client.state).toBe('connected');
  });

  it('follows the close-code table: which closes end for good', () => {
    expect(closeAllowsReconnect(1008, 'authentication failed')).toBe(false);
    expect(closeAllowsReconnect(1008, 'token expired')).toBe(true);
    expect(closeAllowsReconnect(1008, 'API key revoked')).toBe(false);
    expect(closeAllowsReconnect(1013, 'server at capacity')).toBe(true);
    expect(closeAllowsReconnect(4004, 'unknown endpoint')).toBe(false);
    expect(closeAllowsReconnect(4005, 'unknown symbol')).toBe(false);
    expect(closeAllowsReconnect(1006, '')).toBe(true);
    expect(closeAllowsReconnect(1001, 'server shutting down')).toBe(true);
  });

  it('stays closed after a close with a code that forbids reconnecting (4004)', async () => {
    server = await FakeGateway.start();
    server.refuse.push([4004, 'unknown endpoint']);
    client = createStreamClient({ url: server.url, WebSocket: WS, minReconnectDelayMs: 5, maxReconnectDelayMs: 10 });
    client.connect();
    await until(() => client!.state === 'closed', 'closed');
    await new Promise((r) => setTimeout(r, 60));
    expect(server.connections).toBe(1);
  });
});

/** A data frame of the `events` subscription `sub_events`, as the gateway writes it, with `extra` fields of the message. */
function dataFrame(id: string, event: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'data',
    subscription_id: 'sub_events',
    data: { event: { event_id: id, event_type: 'market_data_update', subject: 'AAPL', payload: { symbol: 'AAPL' }, ...event } },
    ...extra,
  });
}

/** Connects a client with one `events` subscription to `server`; what it delivers and reports is collected. */
async function connected(gw: FakeGateway, options: Partial<Parameters<typeof createStreamClient>[0]> = {}) {
  const c = createStreamClient({ url: gw.url, WebSocket: WS, minReconnectDelayMs: 5, maxReconnectDelayMs: 10, ...options });
  const ids: string[] = [];
  const items: unknown[] = [];
  const errors: StreamError[] = [];
  c.on('error', (e) => errors.push(e));
  const sub = c.subscribe('events', {}, (item, meta) => {
    ids.push(meta.id);
    items.push(item);
  });
  c.connect();
  await until(() => sub.state === 'active', 'subscribed');
  return { c, sub, ids, items, errors };
}

describe('StreamClient against a hostile server', () => {
  it('reads any frame without throwing: a hostile one is CLIENT_INVALID_FRAME and the connection goes on', async () => {
    server = await FakeGateway.start();
    const r = await connected(server);
    client = r.c;
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const frame of [
      // Each of these ended the Node process (String() of an object without a callable toString, canonical()'s recursion).
      '{"type":"error","data":{"code":"X","error":"e","detail":{"toString":1}}}',
      '{"type":"unsubscribed","data":{"subscription_id":{"toString":1},"reason":"X"}}',
      `{"type":"subscribed","subscription_id":"s2","data":{"type":"events","filters":${deep}}}`,
      '{"type":"auth_failed","data":{"error":{"valueOf":1,"toString":1}}}',
      '{"type":"error","data":{"code":{"a":1},"error":["x"]}}',
      '{"type":"data","subscription_id":{"toString":1},"data":{"event":{"event_id":"e-bad-sub"}}}',
      dataFrame('e-bad-time', {}, { timestamp: { toString: 1 } }),
      dataFrame('e-str-payload', { payload: 'abcdef' }),
    ])
      server.sendRaw(frame);
    server.publish('e-after');
    await until(() => r.ids.includes('e-after'), 'the event after the hostile frames');
    expect(r.ids).toEqual(['e-bad-time', 'e-after']);
    const codes = r.errors.map((e) => e.code);
    expect(codes).toEqual([
      'X', // the error, read without its detail
      'CLIENT_INVALID_FRAME', // the unsubscribed
      'CLIENT_INVALID_FRAME', // the filters too deep
      'AUTH_FAILED',
      'UNKNOWN',
      'CLIENT_INVALID_FRAME', // the data's subscription id
      'CLIENT_INVALID_FRAME', // the string payload: never spread into {"0": "a", …}
    ]);
    expect(r.errors[0]!.message).toBe('e');
    expect(r.errors[2]!.message).toMatch(/nested deeper/);
    expect(client.state).toBe('connected');
    expect(server.connections).toBe(1);
  });

  it('calls each callback and listener on its own: one that throws stops neither delivery, nor the other subscriptions, nor the position', async () => {
    server = await FakeGateway.start();
    server.ackPosition = token(0, 0);
    client = createStreamClient({ url: server.url, WebSocket: WS });
    const boom = new Error('app bug');
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const offs: Array<() => void> = [];
    try {
      // The first listeners throw: the ones after them still hear every event.
      offs.push(
        client.on('state', () => {
          throw new Error('state listener bug');
        }),
        client.on('error', () => {
          throw new Error('error listener bug');
        }),
      );
      const errors: StreamError[] = [];
      client.on('error', (e) => errors.push(e));
      const seen: string[] = [];
      client.on('state', (s) => seen.push(s));
      // Two subscriptions of the same type and filters share the gateway's subscription (and its frames).
      const a = client.subscribe('events', {}, () => {
        throw boom;
      });
      const got: string[] = [];
      const b = client.subscribe('events', {}, (_e, meta) => got.push(meta.id));
      client.connect();
      await until(() => a.state === 'active' && b.state === 'active', 'subscribed');
      server.publish('e1', 'AAPL', entry(0, 4));
      server.publish('e2', 'AAPL', entry(1, 7));
      await until(() => got.length === 2, 'both events');
      expect(got).toEqual(['e1', 'e2']);
      expect(a.position).toBe(token(4, 7));
      expect(a.resumeId).toBe('e2');
      const threw = errors.filter((e) => e.code === 'CLIENT_CALLBACK_THREW');
      // The state listener's throws (connecting, connected), then the subscription's callback's, one per event.
      expect(threw.filter((e) => e.subscription === a).map((e) => e.cause)).toEqual([boom, boom]);
      expect(threw.filter((e) => e.subscription === undefined).length).toBe(2);
      expect(threw[0]!.message).toMatch(/a listener of 'state' threw: state listener bug/);
      // The error listener that throws on a CLIENT_CALLBACK_THREW is not reported through it again (no loop): console.error.
      expect(consoleError).toHaveBeenCalledWith(expect.stringMatching(/a listener of 'error' threw/), expect.any(Error));
      expect(seen).toEqual(['connecting', 'connected']);
      expect(client.state).toBe('connected');
    } finally {
      for (const off of offs) off();
      consoleError.mockRestore();
    }
  });

  it('backs off further on each connection that fails at once (accepted then closed, or closed after auth_success)', async () => {
    server = await FakeGateway.start();
    for (let i = 0; i < 3; i++) server.refuse.push([1011, 'internal error']);
    server.closeAfterAuth = 3;
    client = createStreamClient({
      url: server.url,
      token: 'good',
      WebSocket: WS,
      minReconnectDelayMs: 4,
      maxReconnectDelayMs: 60_000,
      stableConnectionMs: 40,
    });
    const delays: number[] = [];
    client.on('state', (s, info) => s === 'disconnected' && delays.push(info.retryInMs!));
    const sub = client.subscribe('events', {}, () => {});
    client.connect();
    await until(() => server!.connections === 7 && sub.state === 'active', 'the seventh connection');
    // The delays the client scheduled: each attempt's ceiling doubles (4, 8, … 128 ms), with jitter over its upper half.
    expect(delays.length).toBe(6);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(2 * 2 ** i);
      expect(d).toBeLessThanOrEqual(4 * 2 ** i);
    });
    // A connection that stayed up stableConnectionMs proved the gateway healthy: the backoff starts over.
    await new Promise((r) => setTimeout(r, 60));
    server.kill();
    await until(() => delays.length === 7, 'the disconnect');
    expect(delays[6]).toBeLessThanOrEqual(4);
  });

  it("keeps only positions of the gateway's format, at most MAX_POSITION_PARTITIONS partitions, never moving one back", async () => {
    server = await FakeGateway.start();
    server.ackPosition = 'v1'; // not a position token
    const r = await connected(server);
    client = r.c;
    expect(r.sub.position).toBeUndefined();
    expect(r.errors.map((e) => e.code)).toEqual(['CLIENT_INVALID_FRAME']);
    // A well-formed one is kept.
    server.resumeError('CANNOT_RECOVER', token(10, 10));
    await until(() => r.sub.position === token(10, 10), 'the position');
    server.publish('e1', 'AAPL', entry(0, 4)); // behind partition 0's 10, where live continues: not delivered, it stays at 10
    server.publish('e2', 'AAPL', 'p000-junk'); // not an entry: delivered, not kept
    server.publish('e3', 'AAPL', entry(1, 12));
    await until(() => r.ids.length === 2, 'two events');
    expect(r.ids).toEqual(['e2', 'e3']);
    expect(r.sub.position).toBe(token(10, 12));
    // One event per partition, far more partitions than a gateway has.
    const partitions = MAX_POSITION_PARTITIONS + 100;
    for (let p = 2; p < partitions; p++) server.sendRaw(dataFrame(`p${p}`, {}, { pos: entry(p, 1) }));
    await until(() => r.ids.length === partitions, 'every event');
    const position = r.sub.position!;
    expect(position.split('.').length - 1).toBe(MAX_POSITION_PARTITIONS);
    expect(position.length).toBeLessThanOrEqual(MAX_POSITION_CHARS);
    expect(position.startsWith(token(10, 12))).toBe(true);
    expect(r.errors.filter((e) => e.code === 'CLIENT_INVALID_FRAME').length).toBe(1 + 1 + 100);
    // Sent again, each is still delivered once: a kept one dropped by its pos, one beyond the limits by its id.
    server.sendRaw(dataFrame('p2', {}, { pos: entry(2, 1) }));
    server.sendRaw(dataFrame(`p${partitions - 1}`, {}, { pos: entry(partitions - 1, 1) }));
    server.publish('e-last');
    await until(() => r.ids.at(-1) === 'e-last', 'the last event');
    expect(r.ids.length).toBe(partitions + 1);
  });

  it('reports a subscribe left unanswered (CLIENT_SUBSCRIBE_TIMEOUT) and reconnects', async () => {
    server = await FakeGateway.start();
    server.ignoreSubscribes = true;
    client = createStreamClient({
      url: server.url,
      WebSocket: WS,
      minReconnectDelayMs: 5,
      maxReconnectDelayMs: 10,
      subscribeTimeoutMs: 50,
    });
    const errors: StreamError[] = [];
    client.on('error', (e) => errors.push(e));
    const sub = client.subscribe('events', {}, () => {});
    client.connect();
    await until(() => server!.connections >= 2 && server!.received.filter((m) => m.type === 'subscribe').length >= 2, 'a reconnect');
    expect(errors[0]).toMatchObject({ code: 'CLIENT_SUBSCRIBE_TIMEOUT', subscription: sub });
    expect(sub.state).toBe('pending');
    // Answered in time, nothing times out.
    server.ignoreSubscribes = false;
    await until(() => sub.state === 'active', 'subscribed');
    const timeouts = errors.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(errors.length).toBe(timeouts);
    expect(client.state).toBe('connected');
  });

  it('refuses event ids longer than MAX_EVENT_ID_CHARS (the dedupe window holds ids)', async () => {
    server = await FakeGateway.start();
    const r = await connected(server);
    client = r.c;
    server.publish('x'.repeat(256));
    server.publish('y'.repeat(257));
    server.publish('e-after');
    await until(() => r.ids.includes('e-after'), 'the event after');
    expect(r.ids).toEqual(['x'.repeat(256), 'e-after']);
    expect(r.errors.map((e) => e.code)).toEqual(['CLIENT_INVALID_FRAME']);
    expect(r.sub.resumeId).toBe('e-after');
  });

  it('drops own __proto__, constructor and prototype keys of an item and its payload', async () => {
    server = await FakeGateway.start();
    const r = await connected(server);
    client = r.c;
    server.sendRaw(
      '{"type":"data","subscription_id":"sub_events","data":{"event":{"event_id":"e1","event_type":"market_data_update",' +
        '"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"payload":{"__proto__":{"isAdmin":true},"prototype":1,"symbol":"AAPL"}}}}',
    );
    await until(() => r.ids.length === 1, 'the event');
    const item = r.items[0] as Record<string, unknown> & { payload: Record<string, unknown> };
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(Object.hasOwn(item, key)).toBe(false);
      expect(Object.hasOwn(item.payload, key)).toBe(false);
    }
    expect(Object.assign({}, item.payload).isAdmin).toBeUndefined();
    expect(item.payload.symbol).toBe('AAPL');
  });
});

/** mulberry32: a seeded generator, so a failing case is made again from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** What a gateway sends one subscription: events (partition, offset) and positions set behind what it sent. */
type Step = { event: [number, number] } | { reset: number[] };

/**
 * A random stream over 2-3 partitions of up to `size` events each: live events, replays from any
 * earlier offset of each partition (a resume, a gateway resending), each partition in offset order
 * but the partitions interleaved at random, and positions set behind what was sent, followed by
 * the stream from there (an instance behind). Every event is sent at least once.
 */
function randomStream(rand: () => number, size: number): { counts: number[]; steps: Step[] } {
  const pick = (n: number) => Math.floor(rand() * n);
  const counts = Array.from({ length: 2 + pick(2) }, () => 1 + pick(size));
  const sent = counts.map(() => 0); // each partition's next offset never sent
  const steps: Step[] = [];
  const interleave = (from: number[], to: number[]) => {
    const at = [...from];
    for (;;) {
      const open = at.flatMap((o, p) => (o < to[p]! ? [p] : []));
      if (open.length === 0) return;
      const p = open[pick(open.length)]!;
      steps.push({ event: [p, at[p]!] });
      sent[p] = Math.max(sent[p]!, ++at[p]!);
    }
  };
  while (sent.some((o, p) => o < counts[p]!)) {
    const roll = rand();
    const upTo = sent.map((o, p) => o + pick(counts[p]! - o + 1));
    if (roll < 0.5) {
      interleave(sent, upTo); // live
    } else {
      const from = sent.map((o) => pick(o + 1));
      if (roll < 0.8)
        interleave(from, upTo); // a replay overlapping what was sent
      else {
        steps.push({ reset: from });
        interleave(from, upTo);
      }
    }
  }
  return { counts, steps };
}

describe('StreamClient dedupe by position (property)', () => {
  it('delivers every event exactly once, in partition order, over random interleavings of live and replayed events', async () => {
    server = await FakeGateway.start();
    server.ackPosition = token(0, 0, 0);
    // Small cases overlap far more than a window of one id holds: only the positions can drop what came again.
    for (let run = 0; run < 60; run++) {
      const seed = 0x5eed + run;
      const { counts, steps } = randomStream(seeded(seed), 1 + (run % 20));
      const r = await connected(server, { dedupeWindow: 1 });
      try {
        const firstSent: string[] = [];
        for (const step of steps) {
          if ('reset' in step) {
            server.resumeError('INVALID_POSITION', token(...step.reset));
            continue;
          }
          const [p, o] = step.event;
          const id = `p${p}o${o}`;
          if (!firstSent.includes(id)) firstSent.push(id);
          server.sendRaw(dataFrame(id, {}, { pos: entry(p, o + 1) }));
        }
        server.sendRaw(dataFrame('end'));
        await until(() => r.ids.at(-1) === 'end', `the end of case ${seed}`);
        const got = r.ids.slice(0, -1);
        const where = `case seed ${seed}: ${JSON.stringify(steps)}`;
        expect(got, where).toEqual(firstSent);
        counts.forEach((n, p) =>
          expect(
            got.filter((id) => id.startsWith(`p${p}o`)),
            where,
          ).toEqual(Array.from({ length: n }, (_, o) => `p${p}o${o}`)),
        );
      } finally {
        r.c.close();
      }
    }
  });
});
