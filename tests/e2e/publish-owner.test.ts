import * as grpc from '@grpc/grpc-js';
import { createMarketpulseClient } from '@marketpulse/client';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { events, realtime } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, waitFor, type TestDatabase } from '@marketpulse/tests';
import type { WebhookDeliveryHandle } from '@marketpulse/webhook-delivery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, tokenFor } from './api.kit';
import { connectClient, type RecordingClient } from './gateway_ws_client';
import { HookReceiver } from './trace-support';
import { startWebhookDeliveryHere } from './webhooks-support';

// Owned events through the publish API on real Kafka and PostgreSQL: an internal service publishes
// one account's position (REST) and equity (gRPC) owned by alice, and bob publishes his own over
// gRPC. Each reaches its owner's /ws client, tRPC subscription (live and resumed), native
// subscription and webhook endpoint, a fresh instance's read-back from Kafka included, and never the
// other user's; system events reach both.

const logger = createLogger('publish-owner-e2e', {}, { level: 'silent' });
const prefix = uniqueTopicPrefix('publish-owner');

let bus: Bus;
let gateway: GatewayHandle;
let webhooksService: WebhookDeliveryHandle;
let dbs: TestDatabase[] = [];
let hooks: { alice: HookReceiver; bob: HookReceiver };
let base: string;
const clients: RecordingClient[] = [];

const alice = tokenFor('alice', ['read', 'webhooks:write']);
const bob = tokenFor('bob', ['read', 'webhooks:write']);
const engine = tokenFor('trading-engine', ['publish', 'publish:any-owner']);
const bobPublisher = tokenFor('bob', ['publish']);

async function post(path: string, credential: string, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`http://${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function publishGrpc(credential: string, event: Partial<events.Event>): Promise<events.Event> {
  const client = new realtime.PublishServiceClient(`127.0.0.1:${gateway.publishPort}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${credential}`);
  return new Promise<events.Event>((resolve, reject) =>
    client.publish({ event: events.Event.fromPartial(event) }, md, { deadline: Date.now() + 10_000 }, (err, res) =>
      err ? reject(err) : resolve(res!.event!),
    ),
  ).finally(() => client.close());
}

const position = (id: string) => ({ type: 'position_update', data: { position_id: id, symbol: 'BTC/USDT', status: 'open' } });
const equity = (owner: string) => ({
  type: 'equity_update',
  owner,
  payload: { $case: 'equity_update' as const, equity_update: { total_equity: '1000.00', peak_equity: '', current_equity: '' } },
});

const common = () => ({
  BUS: 'kafka',
  KAFKA_BROKERS: kafkaBrokers(),
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_PARTITIONS: '1',
  LOG_LEVEL: 'error',
});

beforeAll(async () => {
  bus = createBus(loadGatewayConfig(common()), logger);
  dbs = await Promise.all([createTestDatabase('publish-owner-wh'), createTestDatabase('publish-owner-gw')]);
  hooks = { alice: await HookReceiver.start(), bob: await HookReceiver.start() };
  webhooksService = await startWebhookDeliveryHere(
    { ...common(), DATABASE_URL: dbs[0]!.url, WEBHOOK_POLL_MS: '50', WEBHOOK_ALLOW_LOOPBACK: 'true' },
    { bus, logger },
  );
  gateway = await startGateway(
    loadGatewayConfig({
      ...common(),
      GATEWAY_PORT: '0',
      JWT_SECRET: SECRET,
      WS_AUTH_REQUIRED: 'true',
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: dbs[1]!.url,
      WEBHOOK_GRPC_ADDR: `127.0.0.1:${webhooksService.grpcPort}`,
    }),
    { bus, logger },
  );
  base = `127.0.0.1:${gateway.port}`;
  await gateway.consuming;
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gateway?.close();
  await webhooksService?.close();
  await bus?.close();
  await Promise.all([hooks?.alice.close(), hooks?.bob.close()]);
  await Promise.all(dbs.map((d) => d.drop()));
});

async function door(path: string, greeting: string): Promise<RecordingClient> {
  const client = connectClient(`ws://${base}${path}`);
  clients.push(client);
  await client.next(greeting);
  return client;
}

const ids = (c: RecordingClient) =>
  c.messages.filter((m) => m.type === 'position_update' || m.type === 'equity_update').map((m) => m.id as string);

describe('owned events through the publish API, end to end', () => {
  it("reach their owner's door, subscriptions, resume and webhooks, and never another user's", async () => {
    for (const [token, hook] of [
      [alice, hooks.alice],
      [bob, hooks.bob],
    ] as const) {
      const made = await post('/api/v1/webhooks', token, { url: hook.url, events: ['position_update', 'equity_update'] });
      expect(made.status).toBe(201);
    }
    const aliceWs = await door(`/ws?token=${alice}`, 'connection_established');
    const bobWs = await door(`/ws?token=${bob}`, 'connection_established');
    const bobStream = await door(`/ws/stream?token=${bob}`, 'auth_success');
    bobStream.send({ type: 'subscribe', data: { type: 'events', filters: { event_type: ['position_update', 'equity_update'] } } });
    await bobStream.next('subscribed');
    const bobTrpc: string[] = [];
    const positions: string[] = [];
    let started = false;
    const trpc = createMarketpulseClient({ url: `http://${base}`, token: bob }).streams.events.subscribe(
      { channels: ['portfolio'] },
      {
        onStarted: () => void (started = true),
        onData: (e) => {
          bobTrpc.push(e.data.id);
          positions.push(e.id!);
        },
        onError: () => undefined,
      },
    );
    await waitFor(() => started, { what: "bob's tRPC subscription" });

    const first = await post('/api/v1/publish', engine, position('system-first'));
    expect(first.status).toBe(202);
    const aliceRest = await post('/api/v1/publish', engine, { ...position('alice-1'), owner: 'alice' });
    expect(aliceRest.status).toBe(202);
    expect(aliceRest.body.owner).toBe('alice');
    const aliceGrpc = await publishGrpc(engine, equity('alice'));
    expect(aliceGrpc.owner).toBe('alice');
    const bobOwn = await publishGrpc(bobPublisher, equity('bob'));
    expect(bobOwn.owner).toBe('bob');
    const last = await post('/api/v1/publish', engine, position('system-last'));
    expect(last.status).toBe(202);

    const system = [first.body.id as string, last.body.id as string];
    const alices = [aliceRest.body.id as string, aliceGrpc.id];
    const expected = { alice: [system[0]!, ...alices, system[1]!], bob: [system[0]!, bobOwn.id, system[1]!] };

    await waitFor(() => ids(aliceWs).length >= 4 && ids(bobWs).length >= 3, { timeoutMs: 30_000, what: 'the /ws deliveries' });
    expect(ids(aliceWs)).toEqual(expected.alice);
    expect(ids(bobWs)).toEqual(expected.bob);
    await waitFor(() => bobTrpc.length >= 3, { timeoutMs: 30_000, what: "bob's tRPC events" });
    expect(bobTrpc).toEqual(expected.bob);
    await waitFor(() => bobStream.all('data').length >= 3, { timeoutMs: 30_000, what: "bob's native subscription" });
    expect(bobStream.all('data').map((m) => m.data.event.event_id)).toEqual(expected.bob);

    // Resume after the first system event: a /ws reconnect and a tRPC subscription with its last id.
    const bobAgain = await door(`/ws?token=${bob}&since=${encodeURIComponent(system[0]!)}`, 'connection_established');
    const aliceAgain = await door(`/ws?token=${alice}&since=${encodeURIComponent(system[0]!)}`, 'connection_established');
    await waitFor(() => ids(bobAgain).length >= 2 && ids(aliceAgain).length >= 3, { timeoutMs: 30_000, what: 'the replays' });
    expect(ids(bobAgain)).toEqual(expected.bob.slice(1));
    expect(ids(aliceAgain)).toEqual(expected.alice.slice(1));
    trpc.unsubscribe();
    const resumed: string[] = [];
    const again = createMarketpulseClient({ url: `http://${base}`, token: bob }).streams.events.subscribe(
      { channels: ['portfolio'], lastEventId: system[0]! },
      { onData: (e) => void resumed.push(e.data.id), onError: () => undefined },
    );
    await waitFor(() => resumed.length >= 2, { timeoutMs: 30_000, what: "bob's resumed tRPC subscription" });
    again.unsubscribe();
    expect(resumed).toEqual(expected.bob.slice(1));

    // Read back from Kafka: a fresh gateway instance (empty history) resuming from the first event's position.
    const fresh = await startGateway(
      loadGatewayConfig({
        ...common(),
        GATEWAY_PORT: '0',
        JWT_SECRET: SECRET,
        WS_AUTH_REQUIRED: 'true',
        PUBLISH_GRPC_PORT: '0',
        DATABASE_URL: dbs[1]!.url,
      }),
      { bus, logger },
    );
    try {
      await fresh.consuming;
      const readBack = async (token: string, count: number) => {
        const got: string[] = [];
        const sub = createMarketpulseClient({ url: `http://127.0.0.1:${fresh.port}`, token }).streams.events.subscribe(
          { channels: ['portfolio'], lastEventId: positions[0]! },
          { onData: (e) => void got.push(e.data.id), onError: () => undefined },
        );
        await waitFor(() => got.length >= count, { timeoutMs: 30_000, what: 'a read-back from Kafka' });
        sub.unsubscribe();
        return got;
      };
      expect(await readBack(bob, 2)).toEqual(expected.bob.slice(1));
      expect(await readBack(alice, 3)).toEqual(expected.alice.slice(1));
    } finally {
      await fresh.close();
    }

    // Webhooks: each endpoint gets its owner's events and the system ones, nothing else.
    const hookIds = (h: HookReceiver) => h.requests.map((r) => String(r.headers['webhook-id']));
    await waitFor(() => hookIds(hooks.alice).length >= 4 && hookIds(hooks.bob).length >= 3, {
      timeoutMs: 30_000,
      what: 'the webhook deliveries',
    });
    expect(new Set(hookIds(hooks.alice))).toEqual(new Set(expected.alice));
    expect(new Set(hookIds(hooks.bob))).toEqual(new Set(expected.bob));
  }, 120_000);

  it('refuses a narrow credential that names another user as owner, on REST and gRPC', async () => {
    const refused = await post('/api/v1/publish', bobPublisher, { ...position('spoof'), owner: 'alice' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('OWNER_FORBIDDEN');
    const err = await publishGrpc(bobPublisher, equity('alice')).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
  });
});
