import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../auth';
import type { GatewayHandle } from '../service';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';

// Tenancy on the WebSocket side of an in-process gateway (in-memory bus, the hub fed directly):
// owned events, re-authentication, the subscription and per-address caps, the operator routes.
// tests/e2e/tenancy.test.ts runs the same story against every service as its own process.

const SECRET = 'tenancy-test-secret-0123456789';
const { gateway, sockets } = inProcessGateways({ name: 'tenancy', env: { JWT_SECRET: SECRET, WS_AUTH_REQUIRED: 'true' } });

const token = (subject: string, options: { channels?: string[]; scopes?: string[]; ttlSeconds?: number } = {}) =>
  mintToken({
    secret: SECRET,
    subject,
    ttlSeconds: options.ttlSeconds ?? 600,
    ...(options.channels ? { channels: options.channels } : {}),
    ...(options.scopes ? { scopes: options.scopes } : {}),
  });

let seq = 0;
function alert(gw: GatewayHandle, owner: string): string {
  const id = `alert-${owner || 'system'}-${++seq}`;
  gw.hub.publish(['alerts', 'events'], {
    id,
    type: 'alert_triggered',
    source: 'alerting',
    subject: 'AAPL',
    owner,
    time: new Date().toISOString(),
    traceId: '',
    data: {
      alert_id: id,
      user_id: owner,
      alert_type: 'price_alert',
      symbol: 'AAPL',
      message: `alert for ${owner || 'everyone'}`,
      severity: 'warning',
    },
  });
  return id;
}
function tick(gw: GatewayHandle): string {
  const id = `tick-${++seq}`;
  gw.hub.publish(['market-data:AAPL', 'events'], {
    id,
    type: 'market_data_update',
    source: 'market-data',
    subject: 'AAPL',
    owner: '',
    time: new Date().toISOString(),
    traceId: '',
    data: { symbol: 'AAPL', price: seq },
  });
  return id;
}

type Msg = { type: string; [k: string]: any };
function connect(url: string) {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const messages: Msg[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Msg));
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const until = async (pred: () => boolean, what: string, timeoutMs = 10_000) => {
    for (const end = Date.now() + timeoutMs; !pred(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last message ${JSON.stringify(messages.at(-1))}`);
    }
  };
  return {
    ws,
    messages,
    closed,
    until,
    of: (t: string) => messages.filter((m) => m.type === t),
    send: (m: object) =>
      ws.readyState === WebSocket.CONNECTING ? ws.once('open', () => ws.send(JSON.stringify(m))) : ws.send(JSON.stringify(m)),
  };
}
const wsUrl = (gw: GatewayHandle, path: string) => `ws://127.0.0.1:${gw.port}${path}`;
/** Ids of the events a client received, in order (every door's event messages carry `id`; `/ws/stream`'s `events` items, `event_id`). */
const eventIds = (c: ReturnType<typeof connect>, type: string) => c.of(type).map((m) => (m.id ?? m.data.event.event_id) as string);

describe('owned events reach their owner only; system events every reader', () => {
  it('on /ws/alerts, live and on resume', async () => {
    const gw = await gateway();
    const alice = connect(wsUrl(gw, `/ws/alerts?token=${await token('alice')}`));
    const bob = connect(wsUrl(gw, `/ws/alerts?token=${await token('bob')}`));
    const ops = connect(wsUrl(gw, `/ws/alerts?token=${await token('ops', { scopes: ['read', 'admin'] })}`));
    for (const c of [alice, bob, ops]) await c.until(() => c.of('connected').length === 1, 'connected');
    const first = alert(gw, '');
    const privateId = alert(gw, 'alice');
    const system = alert(gw, '');
    await alice.until(() => alice.of('alert').length === 3, "alice's three alerts");
    await ops.until(() => ops.of('alert').length === 3, "the operator's three alerts");
    await bob.until(() => bob.of('alert').length === 2, "bob's two system alerts");
    expect(eventIds(bob, 'alert')).toEqual([first, system]);
    // bob resuming from before alice's alert gets the system alert only.
    const resumed = connect(wsUrl(gw, `/ws/alerts?since=${first}&token=${await token('bob')}`));
    await resumed.until(() => resumed.of('alert').length === 1, 'the replayed system alert');
    expect(eventIds(resumed, 'alert')).toEqual([system]);
    expect(eventIds(alice, 'alert')).toEqual([first, privateId, system]);
  });

  it("never names another user's event as the resume point of a welcome or subscribed message", async () => {
    const gw = await gateway();
    const system = alert(gw, '');
    const privateId = alert(gw, 'alice');
    const bob = connect(wsUrl(gw, `/ws/alerts?token=${await token('bob')}`));
    await bob.until(() => bob.of('connected').length === 1, 'connected');
    expect(bob.of('connected')[0]!.id).toBe(system);
    const stream = connect(wsUrl(gw, '/ws/stream'));
    stream.send({ type: 'auth', data: { token: await token('bob') } });
    await stream.until(() => stream.of('auth_success').length === 1, 'auth');
    stream.send({ type: 'subscribe', data: { type: 'alerts' } });
    await stream.until(() => stream.of('subscribed').length === 1, 'subscribed');
    expect(stream.of('subscribed')[0]!.id).toBe(system);
    const alice = connect(wsUrl(gw, `/ws/alerts?token=${await token('alice')}`));
    await alice.until(() => alice.of('connected').length === 1, 'connected');
    expect(alice.of('connected')[0]!.id).toBe(privateId);
  });

  it('on /ws/stream subscriptions (alerts and the events firehose), live and with since', async () => {
    const gw = await gateway();
    const bob = connect(wsUrl(gw, '/ws/stream'));
    bob.send({ type: 'auth', data: { token: await token('bob') } });
    await bob.until(() => bob.of('auth_success').length === 1, 'auth');
    bob.send({ type: 'subscribe', data: { type: 'alerts' } });
    bob.send({ type: 'subscribe', data: { type: 'events', filters: { event_type: 'alert_triggered' } } });
    await bob.until(() => bob.of('subscribed').length === 2, 'subscribed');
    const first = alert(gw, '');
    alert(gw, 'alice');
    const system = alert(gw, '');
    await bob.until(() => bob.of('data').length === 4, 'two system alerts on each subscription');
    expect(eventIds(bob, 'data')).toEqual([first, first, system, system]);
    bob.send({ type: 'subscribe', data: { type: 'alerts', filters: { severity: 'warning' }, since: first } });
    await bob.until(() => bob.of('data').length === 5, 'the replayed system alert');
    expect(eventIds(bob, 'data').at(-1)).toBe(system);
  });
});

describe('re-authentication', () => {
  it('replaces the principal: a narrower token drops the channels it may not read and ends the connection when none is left', async () => {
    const gw = await gateway();
    const c = connect(wsUrl(gw, `/ws/alerts?token=${await token('alice')}`));
    await c.until(() => c.of('connected').length === 1, 'connected');
    alert(gw, '');
    await c.until(() => c.of('alert').length === 1, 'an alert with the wide token');
    c.send({ type: 'auth', token: await token('alice', { channels: ['market-data:*'] }) });
    expect(await c.closed).toBe(1008);
    expect(c.of('error').at(-1)).toMatchObject({ code: 'CHANNEL_FORBIDDEN' });
  });

  it("narrows a native connection's subscriptions to what the new token reads, at once", async () => {
    const gw = await gateway();
    const c = connect(wsUrl(gw, '/ws/stream'));
    c.send({ type: 'auth', data: { token: await token('alice') } });
    await c.until(() => c.of('auth_success').length === 1, 'auth');
    c.send({ type: 'subscribe', data: { type: 'events' } });
    c.send({ type: 'subscribe', data: { type: 'alerts' } });
    await c.until(() => c.of('subscribed').length === 2, 'subscribed');
    const before = alert(gw, '');
    await c.until(() => c.of('data').length === 2, 'the alert before, on both subscriptions');
    c.send({ type: 'auth', data: { token: await token('alice', { channels: ['market-data:*'] }) } });
    await c.until(() => c.of('auth_success').length === 2, 'the second auth');
    // The alerts subscription reads nothing the new token may read: it is dropped, and said so.
    await c.until(() => c.of('unsubscribed').length === 1, 'the alerts subscription dropped');
    expect(c.of('unsubscribed')[0]).toMatchObject({ data: { reason: 'CHANNEL_FORBIDDEN' } });
    c.send({ type: 'subscribe', data: { type: 'alerts' } });
    await c.until(() => c.of('error').length === 1, 'a new alerts subscription refused');
    expect(c.of('error')[0]).toMatchObject({ data: { code: 'CHANNEL_FORBIDDEN' } });
    alert(gw, '');
    alert(gw, 'alice');
    const after = tick(gw);
    await c.until(() => c.of('data').length === 3, 'the tick after');
    expect(eventIds(c, 'data')).toEqual([before, before, after]);
  });

  it('takes the new expiry: a connection re-authenticated with a short-lived token ends when that token expires', async () => {
    const gw = await gateway();
    const c = connect(wsUrl(gw, `/ws/alerts?token=${await token('alice', { ttlSeconds: 600 })}`));
    await c.until(() => c.of('connected').length === 1, 'connected');
    c.send({ type: 'auth', token: await token('alice', { ttlSeconds: 1 }) });
    expect(await c.closed).toBe(1008);
    expect(c.of('error').at(-1)).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining('expired') });
  });

  it('refuses a token without exp, on ?token= and in an auth message', async () => {
    const gw = await gateway();
    const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(new TextEncoder().encode(SECRET));
    const c = connect(wsUrl(gw, `/ws/alerts?token=${forever}`));
    expect(await c.closed).toBe(1008);
    expect(c.of('error')[0]).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining('exp') });
  });
});

describe('caps', () => {
  it('holds at most WS_MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions; an identical subscribe is acknowledged, not added', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'false', WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const c = connect(wsUrl(gw, '/ws/stream'));
    c.send({ type: 'subscribe', data: { type: 'events' } });
    c.send({ type: 'subscribe', data: { type: 'events' } });
    c.send({ type: 'subscribe', data: { type: 'alerts' } });
    c.send({ type: 'subscribe', data: { type: 'metrics' } });
    await c.until(() => c.of('subscribed').length === 3 && c.of('error').length === 1, 'three acks and one refusal');
    expect(c.of('error')[0]).toMatchObject({ data: { code: 'TOO_MANY_SUBSCRIPTIONS' } });
    tick(gw);
    await c.until(() => c.of('data').length === 1, 'one copy of the tick');
    const stats = (await (await fetch(`http://127.0.0.1:${gw.port}/ws/stats`)).json()) as { channels: Record<string, number> };
    // The `events` subscription listens on `events`; `alerts` on its event types' own channels.
    expect(stats.channels.events).toBe(1);
    expect(stats.channels['type:alert_triggered']).toBe(1);
  });

  it('closes with 1013 a connection over WS_MAX_CONNECTIONS_PER_ADDRESS, and admits one again when another closed', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'false', WS_MAX_CONNECTIONS_PER_ADDRESS: '2' });
    const a = connect(wsUrl(gw, '/ws/alerts'));
    const b = connect(wsUrl(gw, '/ws/alerts'));
    for (const c of [a, b]) await c.until(() => c.of('connected').length === 1, 'connected');
    const c = connect(wsUrl(gw, '/ws/alerts'));
    expect(await c.closed).toBe(1013);
    a.ws.close();
    await a.closed;
    const d = connect(wsUrl(gw, '/ws/alerts'));
    await d.until(() => d.of('connected').length === 1, 'connected after a slot freed');
  });
});

describe("/info, /ws/stats and the health checks' details follow the authentication setting", () => {
  it('need the ops:read scope when authentication is required, and stay public when it is not', async () => {
    const gw = await gateway();
    const get = async (path: string, credential?: string) =>
      (await fetch(`http://127.0.0.1:${gw.port}${path}`, credential ? { headers: { authorization: `Bearer ${credential}` } } : {})).status;
    const reader = await token('bob');
    const operator = await token('ops', { scopes: ['ops:read'] });
    for (const path of ['/info', '/ws/stats']) {
      expect([await get(path), await get(path, reader), await get(path, operator), await get(path, 'mpk_random')]).toEqual([
        401, 403, 200, 401,
      ]);
    }
    const open = await gateway({ WS_AUTH_REQUIRED: 'false' });
    expect((await fetch(`http://127.0.0.1:${open.port}/info`)).status).toBe(200);
  });

  it('show what each health check said (addresses, folders, errors) to operators only, when authentication is required', async () => {
    const gw = await gateway();
    const body = async (path: string, credential?: string) =>
      (await fetch(`http://127.0.0.1:${gw.port}${path}`, credential ? { headers: { authorization: `Bearer ${credential}` } } : {})).json();
    const operator = await token('ops', { scopes: ['ops:read'] });
    // Before: every caller read each component's detail on the public probes.
    for (const caller of [undefined, await token('bob'), 'mpk_random']) {
      expect(JSON.stringify(await body('/health', caller))).not.toContain('"detail"');
      expect(JSON.stringify(await body('/readyz?verbose', caller))).not.toContain('"detail"');
    }
    const full = (await body('/health', operator)) as { components: Record<string, { detail?: string }> };
    expect(Object.values(full.components).some((c) => typeof c.detail === 'string' && c.detail.length > 0)).toBe(true);
    expect(JSON.stringify(await body('/readyz?verbose', operator))).toContain('"detail"');
    const open = await gateway({ WS_AUTH_REQUIRED: 'false' });
    expect(JSON.stringify(await (await fetch(`http://127.0.0.1:${open.port}/health`)).json())).toContain('"detail"');
  });
});
