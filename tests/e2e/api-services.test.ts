import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { loadConfig as loadAlertingConfig, startAlerting, type AlertingHandle } from '@marketpulse/alerting';
import { loadConfig as loadProviderMonitorConfig, startProviderMonitor, type ProviderMonitorHandle } from '@marketpulse/provider-monitor';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@marketpulse/tests';
import type { WebhookDeliveryHandle } from '@marketpulse/webhook-delivery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { SECRET, tokenFor } from './api.kit';
import { startWebhookDeliveryHere } from './webhooks-support';

// The seeds' REST paths through the gateway's API against the real services (webhook-delivery,
// provider-monitor, alerting) on real Kafka and PostgreSQL: status codes, seed fields, ownership.

const logger = createLogger('api-services-e2e', {}, { level: 'warn' });
const prefix = uniqueTopicPrefix('api-services');
let bus: Bus;
let dbs: TestDatabase[] = [];
let upstream: Server;
// Also the webhook receiver: webhook-delivery resolves endpoint hosts, and this machine has no DNS.
let hookUrl: string;
let webhooksService: WebhookDeliveryHandle;
let alertingService: AlertingHandle;
let monitor: ProviderMonitorHandle;
let gateway: GatewayHandle;
let base: string;
const alice = tokenFor('alice');
const bob = tokenFor('bob');
const ops = tokenFor('ops', ['admin']);

async function call(method: string, path: string, token: string | null = alice, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}

beforeAll(async () => {
  const common = { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '1', LOG_LEVEL: 'warn' };
  bus = createBus(loadGatewayConfig(common), logger);
  dbs = await Promise.all(['wh', 'al', 'pm', 'gw'].map((l) => createTestDatabase(`api-svc-${l}`)));
  const [whDb, alDb, pmDb, gwDb] = dbs as [TestDatabase, TestDatabase, TestDatabase, TestDatabase];

  upstream = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"gecko_says":"(V3) To the Moon!"}'),
  );
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/ping`;
  hookUrl = upstreamUrl.replace('/ping', '/webhook');

  webhooksService = await startWebhookDeliveryHere({ ...common, DATABASE_URL: whDb.url }, { bus, logger });
  alertingService = await startAlerting(
    loadAlertingConfig({
      ...common,
      GRPC_PORT: '0',
      DATABASE_URL: alDb.url,
      MARKET_DATA_GRPC_ADDR: '',
      ALERT_KNOWN_SYMBOLS: 'AAPL,MSFT',
      ALERT_CONSUMER_GROUP: `al-${randomUUID()}`,
    }),
    { bus, logger },
  );
  monitor = await startProviderMonitor(
    loadProviderMonitorConfig({
      ...common,
      GRPC_PORT: '0',
      DATABASE_URL: pmDb.url,
      MARKET_DATA_GRPC_ADDR: '',
      ALERTING_GRPC_ADDR: `127.0.0.1:${alertingService.grpcPort}`,
      MONITOR_PROVIDERS: JSON.stringify([
        { name: 'CoinGecko', url: upstreamUrl, category: 'market_data', rate_limit: { limit: 50, per: 'minute' } },
      ]),
    }),
    { bus, logger },
  );
  gateway = await startGateway(
    loadGatewayConfig({
      ...common,
      JWT_SECRET: SECRET,
      GATEWAY_PORT: '0',
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: gwDb.url,
      WEBHOOK_GRPC_ADDR: `127.0.0.1:${webhooksService.grpcPort}`,
      ALERTING_GRPC_ADDR: `127.0.0.1:${alertingService.grpcPort}`,
      PROVIDER_MONITOR_GRPC_ADDR: `127.0.0.1:${monitor.grpcPort}`,
    }),
    { bus, logger },
  );
  base = `http://127.0.0.1:${gateway.port}`;
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await monitor?.close();
  await alertingService?.close();
  await webhooksService?.close();
  await bus?.close();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await Promise.all(dbs.map((d) => d.drop()));
});

describe('seed 000 webhook paths on webhook-delivery', () => {
  it('create, list, get, patch, deliveries, test, delete, with another user kept out', async () => {
    const created = await call('POST', '/api/v1/webhooks', alice, {
      url: hookUrl,
      events: ['prediction_complete'],
      secret: 'your-secret-key-min-16-chars',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      url: hookUrl,
      events: ['prediction_complete'],
      active: true,
      user_id: 'alice',
      total_deliveries: 0,
    });
    const id = created.body.id as string;
    expect((await call('GET', '/api/v1/webhooks')).body.map((w: any) => w.id)).toEqual([id]);
    expect((await call('GET', '/api/v1/webhooks', bob)).body).toEqual([]);
    expect((await call('GET', `/api/v1/webhooks/${id}`)).body).toMatchObject({ id });
    expect((await call('GET', `/api/v1/webhooks/${id}`, bob)).status).toBe(404);
    const patched = await call('PATCH', `/api/v1/webhooks/${id}`, alice, { description: 'prod hook' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, description: 'prod hook', url: hookUrl });
    const deliveries = await call('GET', `/api/v1/webhooks/${id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(Array.isArray(deliveries.body)).toBe(true);
    const tested = await call('POST', `/api/v1/webhooks/test?webhook_id=${id}`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ webhook_id: id, delivery: { endpoint_id: id } });
    expect((await call('DELETE', `/api/v1/webhooks/${id}`, bob)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/webhooks/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('shows a credential header as a placeholder, and keeps it when a PATCH sends back the headers as read', async () => {
    const created = await call('POST', '/api/v1/webhooks', alice, {
      url: hookUrl,
      events: ['prediction_complete'],
      headers: { Authorization: 'Bearer RECEIVER-SECRET', 'X-Tenant': 'acme' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const read = (await call('GET', `/api/v1/webhooks/${id}`, alice)).body;
    expect(read.headers).toEqual({ Authorization: '••••••••', 'X-Tenant': 'acme' });
    // Through the gateway's own input check too (before: 400, the placeholder is not Latin-1).
    const patched = await call('PATCH', `/api/v1/webhooks/${id}`, alice, { headers: { ...read.headers, 'X-More': '1' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.headers).toEqual({ Authorization: '••••••••', 'X-Tenant': 'acme', 'X-More': '1' });
    const stored = await webhooksService.api.getEndpoint('alice', id);
    expect(stored.headers).toMatchObject({ Authorization: 'Bearer RECEIVER-SECRET' });
    expect((await call('DELETE', `/api/v1/webhooks/${id}`, alice)).status).toBe(204);
  });

  it("shows a URL's credential query value as a placeholder, and keeps it when a PATCH sends back the URL as read", async () => {
    const created = await call('POST', '/api/v1/webhooks', alice, {
      url: `${hookUrl}?token=RECEIVER-QTOKEN&tenant=acme`,
      events: ['prediction_complete'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const read = (await call('GET', `/api/v1/webhooks/${id}`, alice)).body;
    expect(read.url).toBe(`${hookUrl}?token=********&tenant=acme`);
    // Through the gateway's own URL check too.
    const patched = await call('PATCH', `/api/v1/webhooks/${id}`, alice, { url: `${read.url}&v=2` });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.url).toBe(`${hookUrl}?token=********&tenant=acme&v=2`);
    expect((await webhooksService.api.getEndpoint('alice', id)).url).toBe(`${hookUrl}?token=RECEIVER-QTOKEN&tenant=acme&v=2`);
    expect((await call('DELETE', `/api/v1/webhooks/${id}`, alice)).status).toBe(204);
  });
});

describe('seed 004 monitoring paths on provider-monitor and alerting', () => {
  const paths = [
    '/api/providers',
    '/api/providers/CoinGecko',
    '/api/providers/CoinGecko/stats?hours=24',
    '/api/status',
    '/api/status/metrics',
    '/api/rate-limits',
    '/api/rate-limits/CoinGecko',
    '/api/logs/connection?hours=1&limit=100',
    '/api/alerts?acknowledged=false&hours=24',
    '/api/scheduler/status',
    '/api/database/stats',
    '/api/database/health',
    '/api/analytics/failures',
    '/api/config/stats',
  ];
  for (const path of paths) {
    it(`GET ${path} answers 200`, async () => {
      const res = await call('GET', path);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
  }

  it('carries the seed fields', async () => {
    expect((await call('GET', '/api/providers/CoinGecko')).body).toMatchObject({ name: 'CoinGecko', category: 'market_data' });
    expect(Object.keys((await call('GET', '/api/status')).body).sort()).toEqual([
      'avg_response_time_ms',
      'degraded',
      'last_update',
      'offline',
      'online',
      'system_health',
      'total_apis',
    ]);
    expect((await call('GET', '/api/logs/connection?hours=1&limit=100')).body).toMatchObject({ log_type: 'connection' });
    expect((await call('GET', '/api/providers/Nope')).status).toBe(404);
  });

  it('POST /api/scheduler/trigger/{job_id} runs a job for an operator, 403 for a user', async () => {
    const jobs = (await call('GET', '/api/scheduler/status')).body.jobs as { id: string }[];
    expect(jobs.length).toBeGreaterThan(0);
    expect((await call('POST', `/api/scheduler/trigger/${jobs[0]!.id}`)).status).toBe(403);
    const res = await call('POST', `/api/scheduler/trigger/${jobs[0]!.id}`, ops);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ job_id: jobs[0]!.id });
  });

  it("POST /api/alerts/{id}/acknowledge is 404 for an alert that is not the caller's", async () => {
    expect((await call('POST', '/api/alerts/no-such-alert/acknowledge')).status).toBe(404);
  });

  it('alert rules: a user creates, reads and deletes its own; another user gets 404', async () => {
    const created = await call('POST', '/api/v1/alerts/rules', alice, {
      name: 'AAPL above 150',
      symbol: 'AAPL',
      condition: { price_above: { price: 150 } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ name: 'AAPL above 150', condition: { price_above: { price: 150 } }, user_id: 'alice' });
    expect((await call('GET', `/api/v1/alerts/rules/${created.body.id}`, bob)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/alerts/rules/${created.body.id}`)).status).toBe(204);
  });

  it('alert rules: each condition kind with the fields the schema makes optional left out is created with their defaults', async () => {
    // Before session 20 every one of these was a 500: the left-out fields reached grpc-js undefined.
    const cases = [
      [{ percent_move: { percent: 5, window_seconds: 60 } }, { percent_move: { percent: 5, window_seconds: 60, direction: 'either' } }],
      [{ prediction_crossing: { level: 150 } }, { prediction_crossing: { level: 150, direction: 'either', horizon_seconds: 0 } }],
      [{ prediction_interval_exit: {} }, { prediction_interval_exit: { horizon_seconds: 0 } }],
      [{ risk_threshold: { drawdown_hard_stop: 0.08 } }, { risk_threshold: { drawdown_hard_stop: 0.08, drawdown_soft_pause: 0 } }],
    ] as const;
    for (const [condition, stored] of cases) {
      const created = await call('POST', '/api/v1/alerts/rules', alice, { name: 'defaults', symbol: 'AAPL', condition });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.condition).toMatchObject(stored);
      const patched = await call('PATCH', `/api/v1/alerts/rules/${created.body.id}`, alice, { condition });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.condition).toMatchObject(stored);
      expect((await call('DELETE', `/api/v1/alerts/rules/${created.body.id}`)).status).toBe(204);
    }
  });
});
