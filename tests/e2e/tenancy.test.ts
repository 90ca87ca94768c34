import { createHmac, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { events, market, providers, realtime } from '@marketpulse/proto';
import { createClient, createLogger, KafkaBus } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, freePort, kafkaBrokers, uniqueTopicPrefix, waitFor, type ManagedProcess, type TestDatabase } from '../harness';
import { createMarketpulseClient, type RouterOutputs } from '@marketpulse/client';
import { HookReceiver, startTracedProcess } from './trace-support';

// Issue 14 end to end: gateway, alerting and webhook-delivery each as its own process on Kafka and
// PostgreSQL, three users (alice, bob, carol). alice's private alert (from her own rule) reaches
// her and no one else on any door, subscription, resume or webhook, while a system alert reaches
// everyone allowed; credentials delegate only downward; random-key floods are limited; a reused
// publish id is a 409; IPv4 hidden in IPv6 is no way into private networks.

const SECRET = 'tenancy-e2e-secret-0123456789';
/** An event as `streams.events` delivers it (onData's `e.data`), not /ws/stream's StreamEvent. */
type SubscribedEvent = RouterOutputs['streams']['events'] extends AsyncIterable<{ data: infer E }> ? E : never;
const BURST = 20;

function jwt(sub: string, claims: Record<string, unknown> = {}): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + 3600, ...claims })}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

type Msg = Record<string, any>;
class Client {
  readonly messages: Msg[] = [];
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.push(JSON.parse(String(d)) as Msg));
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }
  static async open(url: string): Promise<Client> {
    const c = new Client(new WebSocket(url));
    await new Promise<void>((resolve, reject) => {
      c.ws.once('open', () => resolve());
      c.ws.once('close', (code) => reject(new Error(`closed ${code} before opening`)));
    });
    return c;
  }
  of(type: string): Msg[] {
    return this.messages.filter((m) => m.type === type);
  }
  send(m: object): void {
    this.ws.send(JSON.stringify(m));
  }
}

describe('tenancy across processes: three users, one suite', () => {
  const dbs: TestDatabase[] = [];
  const procs: ManagedProcess[] = [];
  const clients: Client[] = [];
  let bus: KafkaBus;
  let http: string;
  let ws: string;
  let publishPort: number;
  let aliceHooks: HookReceiver;
  let carolHooks: HookReceiver;
  const alice = jwt('alice');
  const bob = jwt('bob');
  const carol = jwt('carol');

  const api = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${http}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Msg) : undefined };
  };
  const open = async (path: string) => {
    const c = await Client.open(`${ws}${path}`);
    clients.push(c);
    return c;
  };
  const publish = (event: Partial<events.Event>) =>
    bus.publish(
      events.Event.fromPartial({ id: `e2e-${randomBytes(6).toString('hex')}`, source: 'e2e', time: new Date().toISOString(), ...event }),
    );
  const tick = (price: number) =>
    publish({
      type: 'market_data_update',
      subject: 'AAPL',
      payload: {
        $case: 'market_data_update',
        market_data_update: market.Tick.fromPartial({ symbol: 'AAPL', price, volume: 1, timestamp: new Date().toISOString() }),
      },
    });
  const providerOffline = (provider: string) =>
    publish({
      type: 'provider_status_change',
      subject: provider,
      payload: {
        $case: 'provider_status_change',
        provider_status_change: providers.ProviderStatusChange.fromPartial({ provider, old_status: 'online', new_status: 'offline' }),
      },
    });

  beforeAll(async () => {
    const prefix = uniqueTopicPrefix('tenancy');
    const [gwDb, alDb, whDb] = await Promise.all(
      ['tenancy-gateway', 'tenancy-alerting', 'tenancy-webhooks'].map((n) => createTestDatabase(n)),
    );
    dbs.push(gwDb, alDb, whDb);
    const [gatewayPort, alertingPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
    publishPort = await freePort();
    const common = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, METRICS_PORT: '0' };
    [aliceHooks, carolHooks] = await Promise.all([HookReceiver.start(), HookReceiver.start()]);
    bus = new KafkaBus({
      brokers: kafkaBrokers().split(','),
      topicPrefix: prefix,
      partitions: 3,
      clientId: 'tenancy-e2e',
      logger: createLogger('tenancy-e2e', {}, { level: 'silent' }),
    });

    // Consumers first (each new group starts at the end of its topics).
    procs.push(
      await startTracedProcess('services/webhook-delivery', {
        ...common,
        DATABASE_URL: whDb.url,
        GRPC_PORT: String(webhookPort),
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        WEBHOOK_POLL_MS: '100',
      }),
      await startTracedProcess('services/alerting', {
        ...common,
        DATABASE_URL: alDb.url,
        GRPC_PORT: String(alertingPort),
        MARKET_DATA_GRPC_ADDR: '',
        ALERT_KNOWN_SYMBOLS: 'AAPL',
      }),
      await startTracedProcess(
        'gateway',
        {
          ...common,
          DATABASE_URL: gwDb.url,
          GATEWAY_PORT: String(gatewayPort),
          PUBLISH_GRPC_PORT: String(publishPort),
          JWT_SECRET: SECRET,
          WS_AUTH_REQUIRED: 'true',
          API_RATE_LIMIT_BURST: String(BURST),
          ALERTING_GRPC_ADDR: `127.0.0.1:${alertingPort}`,
          WEBHOOK_GRPC_ADDR: `127.0.0.1:${webhookPort}`,
        },
        /"msg":"consuming events"/,
      ),
    );
    http = `http://127.0.0.1:${gatewayPort}`;
    ws = `ws://127.0.0.1:${gatewayPort}`;
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await Promise.all(procs.map((p) => p.stop(10_000)));
    await bus?.close();
    await Promise.all([aliceHooks?.close(), carolHooks?.close()]);
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it("never shows alice's private alert to bob or carol, on doors, subscriptions, resume or webhooks, while a system alert reaches all", async () => {
    const rule = await api('POST', '/api/v1/alerts/rules', alice, {
      name: 'AAPL above 200',
      symbol: 'AAPL',
      condition: { price_above: { price: 200 } },
      cooldown_seconds: 3600,
    });
    expect(rule.status).toBe(201);
    expect((await api('POST', '/api/v1/webhooks', alice, { url: aliceHooks.url, events: ['alert_triggered'] })).status).toBe(201);
    expect((await api('POST', '/api/v1/webhooks', carol, { url: carolHooks.url, events: ['alert_triggered'] })).status).toBe(201);

    const aliceDoor = await open(`/ws/alerts?token=${alice}`);
    const bobDoor = await open(`/ws/alerts?token=${bob}`);
    const bobStream = await open('/ws/stream');
    bobStream.send({ type: 'auth', data: { token: bob } });
    await waitFor(() => bobStream.of('auth_success').length === 1, { what: "bob's native auth" });
    bobStream.send({ type: 'subscribe', data: { type: 'alerts' } });
    bobStream.send({ type: 'subscribe', data: { type: 'events', filters: { event_type: 'alert_triggered' } } });
    const bobTrpc: SubscribedEvent[] = [];
    let trpcStarted = false;
    const trpc = createMarketpulseClient({ url: http, token: bob }).streams.events.subscribe(
      { channels: ['alerts'] },
      { onStarted: () => void (trpcStarted = true), onData: (e) => void bobTrpc.push(e.data), onError: () => undefined },
    );
    await waitFor(
      () => aliceDoor.of('connected').length && bobDoor.of('connected').length && bobStream.of('subscribed').length === 2 && trpcStarted,
      { what: 'every client connected' },
    );

    // A system alert first (the resume point), then alice's own, then another system alert.
    await providerOffline('prov-before');
    const first = await waitFor(() => bobDoor.of('alert')[0], { timeoutMs: 30_000, what: "the first system alert on bob's door" });
    await tick(199);
    await tick(201);
    const mine = await waitFor(() => aliceDoor.of('alert').find((m) => m.data.user_id === 'alice'), {
      timeoutMs: 30_000,
      what: "alice's alert on her door",
    });
    await providerOffline('prov-after');
    await waitFor(() => bobDoor.of('alert').length === 2, { timeoutMs: 30_000, what: "the second system alert on bob's door" });
    await waitFor(() => bobStream.of('data').length === 4, {
      timeoutMs: 30_000,
      what: "both system alerts on each of bob's subscriptions",
    });
    await waitFor(() => aliceDoor.of('alert').length === 3, { timeoutMs: 30_000, what: "all three alerts on alice's door" });
    const systemIds = bobDoor.of('alert').map((m) => m.id as string);
    expect(systemIds).not.toContain(mine.id);
    expect(
      bobStream
        .of('data')
        // An `events` item's id is its `event_id` (seed 002); an `alerts` data message has `id`.
        .map((m) => m.id ?? m.data.event.event_id)
        .sort(),
    ).toEqual([...systemIds, ...systemIds].sort());
    await waitFor(() => bobTrpc.length === 2, { what: "both system alerts on bob's tRPC subscription" });
    trpc.unsubscribe();
    expect(bobTrpc.map((e) => e.id)).toEqual(systemIds);
    // A tRPC subscription resuming after the first system alert: the second one only.
    const resumedTrpc: string[] = [];
    const again = createMarketpulseClient({ url: http, token: bob }).streams.events.subscribe(
      { channels: ['alerts'], lastEventId: first.id },
      // e.id is the subscription's position on Kafka (what a reconnect sends back); the event's id is e.data.id.
      { onData: (e) => void resumedTrpc.push(e.data.id) },
    );
    await waitFor(() => resumedTrpc.length === 1, { what: 'the replayed system alert over tRPC' });
    again.unsubscribe();
    expect(resumedTrpc).toEqual([systemIds[1]]);

    // Resume: bob reconnecting after the first system alert gets the second one only.
    const bobAgain = await open(`/ws/alerts?since=${first.id}&token=${bob}`);
    await waitFor(() => bobAgain.of('alert').length === 1, { what: 'the replayed system alert' });
    expect(bobAgain.of('alert')[0]!.id).toBe(systemIds[1]);
    const aliceAgain = await open(`/ws/alerts?since=${first.id}&token=${alice}`);
    await waitFor(() => aliceAgain.of('alert').length === 2, { what: "alice's replay: her alert and the system one" });
    expect(aliceAgain.of('alert').map((m) => m.id)).toEqual([mine.id, systemIds[1]]);

    // Webhooks: carol's endpoint gets the system alerts only; alice's gets hers as well.
    // Deliveries only: a receiver on an ephemeral port can also get another test's stray probe to a
    // port it once used (CI saw 52 requests without a webhook-id).
    const hookIds = (r: HookReceiver) =>
      r.requests.filter((q) => q.headers['webhook-id'] !== undefined).map((q) => String(q.headers['webhook-id']));
    await waitFor(() => hookIds(carolHooks).length >= 2 && hookIds(aliceHooks).length >= 3, {
      timeoutMs: 30_000,
      what: 'the webhook deliveries',
    });
    expect(hookIds(carolHooks)).not.toContain(mine.id);
    expect(hookIds(carolHooks).sort()).toEqual([...systemIds].sort());
    expect(hookIds(aliceHooks)).toContain(mine.id);
  });

  it('delegates only downward: a market-data:* token mints a key that reads market data and nothing else, never a wider one', async () => {
    const narrow = jwt('dave', { channels: ['market-data:*'] });
    const wider = await api('POST', '/api/v1/api-keys', narrow, { name: 'everything', scopes: ['read'], channels: ['*'] });
    expect(wider.status).toBe(403);
    expect(wider.body!.error.code).toBe('SCOPE_ESCALATION');
    const made = await api('POST', '/api/v1/api-keys', narrow, { name: 'md', scopes: ['read'] });
    expect(made.status).toBe(201);
    expect(made.body!.channels).toEqual(['market-data:*']);
    const alerts = await Client.open(`${ws}/ws/alerts?token=${made.body!.key}`).catch(() => undefined);
    if (alerts) {
      clients.push(alerts);
      expect(await alerts.closed).toBe(1008);
    }
    const md = await open(`/ws/market-data/AAPL?token=${made.body!.key}`);
    await waitFor(() => md.of('connected').length === 1, { what: 'the key on market data' });
  });

  it('refuses a token without exp on the API and the doors', async () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice' })}`;
    const forever = `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
    const res = await api('GET', '/api/v1/webhooks', forever);
    expect(res.status).toBe(401);
    expect(res.body!.error.message).toMatch(/exp/);
    const door = await Client.open(`${ws}/ws/alerts?token=${forever}`).catch(() => undefined);
    if (door) {
      clients.push(door);
      expect(await door.closed).toBe(1008);
    }
  });

  it('limits a flood of random API keys by address, before they reach the database', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < BURST * 3; i++) {
      statuses.push(
        (await fetch(`${http}/api/v1/webhooks`, { headers: { 'x-api-key': `mpk_${randomBytes(24).toString('base64url')}` } })).status,
      );
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(BURST);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    // A verified user behind the same address is charged on its own budget.
    expect((await api('GET', '/api/v1/webhooks', bob)).status).toBe(200);
  });

  it('limits random API keys on the publish gRPC API by address too', async () => {
    const client = createClient(realtime.PublishServiceClient, `127.0.0.1:${publishPort}`, { deadlineMs: 10_000 });
    const codes: number[] = [];
    try {
      for (let i = 0; i < BURST * 2; i++) {
        const metadata = new grpc.Metadata();
        metadata.set('x-api-key', `mpk_${randomBytes(24).toString('base64url')}`);
        const event = events.Event.fromPartial({
          type: 'system_log',
          payload: { $case: 'system_log', system_log: { level: 'INFO', message: 'x' } },
        });
        codes.push(
          await new Promise<number>((resolve) => client.publish({ event }, metadata, (err) => resolve(err ? (err.code ?? -1) : 0))),
        );
      }
    } finally {
      client.close();
    }
    expect(codes.filter((c) => c === grpc.status.RESOURCE_EXHAUSTED).length).toBeGreaterThanOrEqual(BURST / 2);
    expect(codes.filter((c) => c !== grpc.status.RESOURCE_EXHAUSTED && c !== grpc.status.UNAUTHENTICATED)).toEqual([]);
  });

  it('limits random API keys on the doors by address too', async () => {
    const refusals: string[] = [];
    for (let i = 0; i < BURST * 2; i++) {
      const c = await Client.open(`${ws}/ws/alerts?token=mpk_${randomBytes(24).toString('base64url')}`).catch(() => undefined);
      if (!c) continue;
      clients.push(c);
      expect(await c.closed).toBe(1008);
      refusals.push(String(c.of('error')[0]?.message));
    }
    expect(refusals.filter((m) => m.includes('too many unverified credentials')).length).toBeGreaterThanOrEqual(BURST / 2);
  });

  it('answers a reused publish id with 409, and keeps publishers apart', async () => {
    const engine = jwt('engine', { scopes: ['publish'] });
    const other = jwt('other-engine', { scopes: ['publish'] });
    const event = {
      id: `pos-${randomBytes(4).toString('hex')}`,
      type: 'position_update',
      data: { position_id: 'p1', symbol: 'BTC/USDT', status: 'open' },
    };
    const first = await api('POST', '/api/v1/publish', engine, event);
    expect(first.status).toBe(202);
    expect(first.body!.id).toBe(`engine/${event.id}`);
    const again = await api('POST', '/api/v1/publish', engine, event);
    expect(again.status).toBe(409);
    expect(again.body!.error.code).toBe('DUPLICATE_EVENT');
    const theirs = await api('POST', '/api/v1/publish', other, event);
    expect(theirs.status).toBe(202);
    expect(theirs.body!.id).toBe(`other-engine/${event.id}`);
  });

  it('refuses webhook URLs that hide a private IPv4 address in IPv6', async () => {
    for (const url of ['http://[::10.0.0.1]/hook', 'http://[::ffff:0:10.0.0.1]/hook', 'http://[2002:a9fe:a9fe::1]/hook']) {
      const res = await api('POST', '/api/v1/webhooks', carol, { url, events: ['alert_triggered'] });
      expect(res.status, url).toBe(400);
      expect(res.body!.error.code, url).toBe('URL_FORBIDDEN');
    }
  });

  it('keeps /info and /ws/stats for operators when authentication is required', async () => {
    expect((await api('GET', '/info', undefined)).status).toBe(401);
    expect((await api('GET', '/ws/stats', bob)).status).toBe(403);
    expect((await api('GET', '/ws/stats', jwt('ops', { scopes: ['ops:read'] }))).status).toBe(200);
  });
});
