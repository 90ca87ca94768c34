import { loadGatewayConfig, mintToken, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, publishTick } from './gateway_auth.kit';
import { connectClient, type RecordingClient } from './gateway_ws_client';

// One verifier for HTTP and WebSocket: a key created through the REST API opens a door, a token's
// channels claim scopes what it reads on every door, and an expiring token ends its connection.
// The gateway is started from config alone (API included) and consumes real Kafka.

const logger = createLogger('gateway-auth-e2e', {}, { level: 'warn' });
const SECRET = 'gateway-auth-e2e-secret-0123456789';
const prefix = uniqueTopicPrefix('gateway-auth');

let gateway: GatewayHandle;
let publisher: Bus;
let db: TestDatabase;
let http: string;
let ws: string;
const clients: RecordingClient[] = [];

function connect(path: string): RecordingClient {
  const c = connectClient(`${ws}${path}`);
  clients.push(c);
  return c;
}

const sendTick = (symbol: string) => publishTick(publisher, symbol);
const apiKey = (bearer: string, scopes: string[]) => createApiKey(http, bearer, `ws-${scopes.join('-')}`, scopes);

beforeAll(async () => {
  db = await createTestDatabase('gateway-auth');
  const env = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' };
  gateway = await startGateway(
    loadGatewayConfig({
      ...env,
      SERVICE_NAME: 'gateway-auth-e2e',
      GATEWAY_PORT: '0',
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: db.url,
      JWT_SECRET: SECRET,
      WS_AUTH_REQUIRED: 'true',
    }),
    { logger, getPrediction: () => Promise.reject(new Error('not in this test')) },
  );
  await gateway.consuming;
  publisher = createBus(loadGatewayConfig({ ...env, SERVICE_NAME: 'gateway-auth-publisher' }), logger);
  http = `http://127.0.0.1:${gateway.port}`;
  ws = `ws://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await gateway?.close();
  await publisher?.close();
  await db?.drop();
});

describe('API keys on the WebSocket doors', () => {
  it('a key created with POST /api/v1/api-keys opens a door as ?token= and stops working once revoked', async () => {
    const owner = await mintToken({ secret: SECRET, subject: 'alice', scopes: ['read', 'keys:write'], ttlSeconds: 600 });
    const { id, key } = await apiKey(owner, ['read']);
    expect(key).toMatch(/^mpk_/);

    const client = connect(`/ws/market-data/AAPL?token=${key}`);
    await client.next('connected');
    const tick = await sendTick('AAPL');
    expect((await client.next('market_data_update', 20_000)).id).toBe(tick);

    const revoked = await fetch(`${http}/api/v1/api-keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${owner}` } });
    expect(revoked.status).toBe(204);
    const refused = connect(`/ws/market-data/AAPL?token=${key}`);
    expect((await refused.closed).code).toBe(1008);
    expect((await refused.next('error')).message).toContain('API key unknown, revoked or expired');
  });

  it('a key without the read scope reads no channel', async () => {
    const owner = await mintToken({ secret: SECRET, subject: 'bob', scopes: ['read', 'keys:write', 'webhooks:write'], ttlSeconds: 600 });
    const { key } = await apiKey(owner, ['webhooks:write']);
    const client = connect(`/ws/alerts?token=${key}`);
    expect(await client.closed).toEqual({ code: 1008, reason: 'channel not allowed' });
    expect(client.all('error')[0]).toMatchObject({ code: 'CHANNEL_FORBIDDEN' });
  });
});

describe('channel scopes', () => {
  it('a token scoped to market-data:AAPL reads AAPL, is refused MSFT, and its native subscriptions see only AAPL', async () => {
    const aaplOnly = await mintToken({ secret: SECRET, subject: 'carol', channels: ['market-data:AAPL'], ttlSeconds: 600 });

    const msft = connect(`/ws/market-data/MSFT?token=${aaplOnly}`);
    expect(await msft.closed).toEqual({ code: 1008, reason: 'channel not allowed' });
    expect(msft.all('market_data_update')).toEqual([]);

    const aapl = connect(`/ws/market-data/AAPL?token=${aaplOnly}`);
    await aapl.next('connected');
    const native = connect('/ws/stream');
    await native.opened();
    native.send({ type: 'auth', data: { token: aaplOnly } });
    await native.next('auth_success');
    native.send({ type: 'subscribe', data: { type: 'events' } });
    await native.next('subscribed');

    const msftTick = await sendTick('MSFT');
    const aaplTick = await sendTick('AAPL');
    expect((await aapl.next('market_data_update', 20_000)).id).toBe(aaplTick);
    expect((await native.next('data', 20_000)).data.event.event_id).toBe(aaplTick);
    // Both ticks went out together; give a wrongly routed MSFT tick time to show up.
    await new Promise((r) => setTimeout(r, 500));
    expect(native.all('data').map((m) => m.data.event.event_id)).toEqual([aaplTick]);
    expect(aapl.all('market_data_update').map((m) => m.id)).not.toContain(msftTick);
  });
});

describe('token expiry', () => {
  it('closes an open connection with 1008 when its JWT expires', async () => {
    const shortLived = await mintToken({ secret: SECRET, subject: 'dave', ttlSeconds: 2 });
    const client = connect(`/ws/market-data/AAPL?token=${shortLived}`);
    await client.next('connected');
    const closed = await client.closed;
    // The reason names the expiry: not the connection's end for any other cause, whenever it came.
    expect(closed).toEqual({ code: 1008, reason: 'token expired' });
    expect(client.all('error')[0]).toMatchObject({ code: 'AUTH_FAILED', message: expect.stringContaining('token expired') });
  });
});
