import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  closeAllowsReconnect,
  createStreamClient,
  type DataMeta,
  type StreamClient,
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
  answerPings = true;
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
      if (this.tokens.has(String(data.token).split('.')[0]!))
        return ws.send(JSON.stringify({ type: 'auth_success', data: { client_id: `c${this.connections}` } }));
      ws.send(JSON.stringify({ type: 'auth_failed', data: { error: 'Invalid credentials' } }));
      return ws.close(1008, 'authentication failed');
    }
    if (msg.type === 'subscribe') {
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
        for (const ev of this.history.slice(this.overlap ? at : at + 1)) ws.send(this.frame(ev));
      }
    }
  }

  publish(id: string, subject = 'AAPL', pos?: string): void {
    const ev = { id, type: 'market_data_update', subject, ...(pos !== undefined ? { pos } : {}) };
    this.history.push(ev);
    for (const [ws, subs] of this.subs) if (ws.readyState === WebSocket.OPEN && subs.size > 0) ws.send(this.frame(ev));
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
    server.ackPosition = 'HDR.p0__0.p1__0.p2__0';
    client = createStreamClient({ url: server.url, WebSocket: WS, minReconnectDelayMs: 20, maxReconnectDelayMs: 40 });
    const ids: string[] = [];
    const sub = client.subscribe('events', {}, (_e, meta) => ids.push(meta.id));
    client.connect();
    await until(() => sub.state === 'active', 'subscribed');
    expect(sub.position).toBe('HDR.p0__0.p1__0.p2__0');
    server.publish('e1', 'AAPL', 'p1__7');
    server.publish('e2', 'AAPL', 'p0__3');
    server.publish('e3', 'AAPL', 'p1__9');
    await until(() => ids.length === 3, 'three events');
    expect(sub.position).toBe('HDR.p0__3.p1__9.p2__0');
    // An unrecoverable resume names where the live stream continues from.
    server.resumeError('CANNOT_RECOVER', 'HDR.p0__5.p1__9.p2__8');
    await until(() => sub.position === 'HDR.p0__5.p1__9.p2__8', 'the position reset');
    server.kill();
    await until(() => server!.received.filter((m) => m.type === 'subscribe').length === 2, 'the resubscribe');
    expect(server.received.filter((m) => m.type === 'subscribe')[1]).toMatchObject({
      data: { since: 'e3', position: 'HDR.p0__5.p1__9.p2__8' },
    });
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
