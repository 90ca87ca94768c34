import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mintToken } from '@marketpulse/gateway';
import type { KafkaBus } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  freePort,
  kafkaBrokers,
  REPO_ROOT,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';
import { fakeProvider, type FakeProvider } from './provider-monitor.kit';
import { predictionEvent, publisher, Receiver, startWebhookService, type RunningService } from './webhooks-support';

// What a Prometheus scraping a service's METRICS_PORT sees: each service as its own process from
// dist over the run's Kafka and PostgreSQL, its /metrics read after it did the work.

type Labels = Record<string, string>;

/** The value of the sample `name{labels...}` (a subset of its labels), or undefined when absent. */
function sample(text: string, name: string, labels: Labels = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** Scrapes until `name{labels}` has the value `want` wants, then returns the page. */
function scrapeUntil(port: number, name: string, labels: Labels, want: (v: number | undefined) => boolean, what: string): Promise<string> {
  return waitFor(
    async () => {
      const text = await scrape(port);
      return want(sample(text, name, labels)) ? text : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what },
  );
}

/** The JSON of the process's "ready" log line. */
function readyLine(proc: ManagedProcess): Record<string, unknown> {
  const line = proc
    .output()
    .split('\n')
    .find((l) => /"msg":"ready"/.test(l));
  if (!line) throw new Error(`no ready line in ${proc.logFile}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe('webhook-delivery /metrics', () => {
  let db: TestDatabase;
  let service: RunningService;
  let bus: KafkaBus;
  let receiver: Receiver;
  let prefix: string;
  let metricsPort: number;

  beforeAll(async () => {
    db = await createTestDatabase('metrics_webhooks');
    prefix = uniqueTopicPrefix('metrics-webhooks');
    receiver = await Receiver.start((req) => (req.path === '/down' ? 503 : 200));
    metricsPort = await freePort();
    service = await startWebhookService({
      databaseUrl: db.url,
      topicPrefix: prefix,
      label: 'metrics-webhooks',
      env: { METRICS_PORT: String(metricsPort) },
    });
    bus = publisher(prefix);
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    await bus?.close();
    await receiver?.close();
    await db?.drop();
  });

  it('announces its metrics port and counts the RPCs it served by method and status', async () => {
    expect(readyLine(service.proc).metrics_port).toBe(metricsPort);
    await service.client.createEndpoint({ user_id: 'metrics-user', url: receiver.url('/rpc'), subjects: ['MRPC'] });
    await expect(service.client.call('getEndpoint', { id: 'ep_missing', user_id: 'metrics-user' })).rejects.toMatchObject({ grpcCode: 5 }); // NOT_FOUND

    const text = await scrape(metricsPort);
    const rpc = { grpc_service: 'marketpulse.webhooks.v1.WebhookService', grpc_type: 'unary' };
    expect(sample(text, 'grpc_server_handled_total', { ...rpc, grpc_method: 'CreateEndpoint', grpc_code: 'OK' })).toBe(1);
    expect(sample(text, 'grpc_server_handled_total', { ...rpc, grpc_method: 'GetEndpoint', grpc_code: 'NOT_FOUND' })).toBe(1);
    expect(sample(text, 'grpc_server_handling_seconds_count', { ...rpc, grpc_method: 'CreateEndpoint' })).toBe(1);
    // The process's own figures are on the same page.
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('counts deliveries by event type and outcome: delivered, retried, given up', async () => {
    const ok = await service.client.createEndpoint({ user_id: 'metrics-user', url: receiver.url('/ok'), subjects: ['MOK'] });
    const down = await service.client.createEndpoint({ user_id: 'metrics-user', url: receiver.url('/down'), subjects: ['MDOWN'] });
    expect(ok.id).not.toBe(down.id);
    await bus.publish([predictionEvent('evt_metrics_ok', 'MOK'), predictionEvent('evt_metrics_down', 'MDOWN')]);

    const attempts = 'marketpulse_webhook_delivery_attempts_total';
    const delivered = { event_type: 'prediction_complete', outcome: 'delivered', status_class: '2xx' };
    const failed = { event_type: 'prediction_complete', outcome: 'failed', status_class: '5xx' };
    await scrapeUntil(metricsPort, attempts, delivered, (v) => v === 1, 'the delivered attempt in /metrics');
    // Schedule 200ms,500ms: the first two 503s schedule a retry, the third gives up.
    const text = await scrapeUntil(metricsPort, attempts, failed, (v) => v === 1, 'the given-up attempt in /metrics');
    expect(sample(text, attempts, { event_type: 'prediction_complete', outcome: 'pending', status_class: '5xx' })).toBe(2);
    expect(sample(text, attempts, delivered)).toBe(1);
    expect(sample(text, 'marketpulse_webhook_delivery_duration_seconds_count', { outcome: 'delivered' })).toBe(1);
    expect(receiver.requests.filter((r) => r.path === '/down')).toHaveLength(3);
  });
});

describe('provider-monitor /metrics', () => {
  let db: TestDatabase;
  let proc: ManagedProcess;
  let provider: FakeProvider;
  let metricsPort: number;

  beforeAll(async () => {
    const main = path.join(REPO_ROOT, 'services/provider-monitor/dist/main.js');
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`pnpm run build\` from the repository root first`);
    db = await createTestDatabase('metrics_providers');
    provider = await fakeProvider();
    metricsPort = await freePort();
    proc = startProcess(
      process.execPath,
      [main],
      {
        BUS: 'kafka',
        KAFKA_BROKERS: kafkaBrokers(),
        KAFKA_TOPIC_PREFIX: uniqueTopicPrefix('metrics-providers'),
        DATABASE_URL: db.url,
        GRPC_PORT: String(await freePort()),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        MARKET_DATA_GRPC_ADDR: '',
        ALERTING_GRPC_ADDR: '',
        MONITOR_PROVIDERS: JSON.stringify([
          {
            name: 'metered',
            url: provider.url,
            interval_seconds: 0.2,
            failures_before_offline: 1,
            rate_limit: { limit: 1000, per: 'hour' },
          },
        ]),
      },
      { label: 'metrics-provider-monitor' },
    );
    let exited = false;
    void proc.exited.then(() => (exited = true));
    await waitFor(
      () => {
        if (exited) throw new Error(`provider-monitor exited before it was ready; see ${proc.logFile}`);
        return /"msg":"ready"/.test(proc.output());
      },
      { timeoutMs: 60_000, what: `provider-monitor "ready" (log: ${proc.logFile})` },
    );
  }, 90_000);

  afterAll(async () => {
    await proc?.stop(10_000);
    await provider?.close();
    await db?.drop();
  });

  it('shows each provider as a status gauge with its latency and rate-limit usage, and follows it when it goes down', async () => {
    expect(readyLine(proc).metrics_port).toBe(metricsPort);
    const status = (s: string) => ({ provider: 'metered', status: s });
    const up = await scrapeUntil(
      metricsPort,
      'marketpulse_provider_status',
      status('online'),
      (v) => v === 1,
      'metered online in /metrics',
    );
    expect(sample(up, 'marketpulse_provider_status', status('offline'))).toBe(0);
    expect(sample(up, 'marketpulse_provider_check_latency_seconds', { provider: 'metered' })).toBeGreaterThanOrEqual(0);
    expect(sample(up, 'marketpulse_provider_rate_limit_usage_ratio', { provider: 'metered' })).toBeGreaterThan(0);

    provider.mode = 'fail';
    const down = await scrapeUntil(
      metricsPort,
      'marketpulse_provider_status',
      status('offline'),
      (v) => v === 1,
      'metered offline in /metrics',
    );
    expect(sample(down, 'marketpulse_provider_status', status('online'))).toBe(0);
  });
});

describe('gateway /metrics', () => {
  // The production profile as scripts/service.sh runs it: a scraper on the host reads METRICS_PORT
  // (127.0.0.1) freely; the public port's /metrics answers an ops:read credential only.
  const secret = 'metrics-gateway-secret-0123456789';
  let proc: ManagedProcess;
  let port: number;
  let metricsPort: number;
  let dataDir: string;

  beforeAll(async () => {
    [port, metricsPort] = await Promise.all([freePort(), freePort()]);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-gateway-'));
    proc = startProcess(
      process.execPath,
      ['gateway/dist/main.js'],
      {
        GATEWAY_ENV: 'production',
        GATEWAY_WORKERS: '1',
        BUS: 'memory',
        PGLITE_DIR: dataDir,
        GATEWAY_PORT: String(port),
        PUBLISH_GRPC_PORT: '0',
        METRICS_PORT: String(metricsPort),
        JWT_SECRET: secret,
        WS_CLOSE_UNKNOWN_SYMBOLS: 'false',
        OTEL_TRACES_EXPORTER: 'none',
      },
      { label: 'metrics-gateway' },
    );
    await waitFor(() => proc.output().includes('"msg":"ready"'), { timeoutMs: 60_000, what: `the gateway's ready line (${proc.logFile})` });
  }, 90_000);

  afterAll(async () => {
    await proc?.stop(10_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves every metric on METRICS_PORT without a credential, with the probes', async () => {
    expect(readyLine(proc).metrics_port).toBe(metricsPort);
    const text = await scrape(metricsPort);
    expect(sample(text, 'marketpulse_ws_connections_opened_total')).toBeDefined();
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${metricsPort}/livez`)).status).toBe(200);
  });

  it('answers the public /metrics to an ops:read credential only', async () => {
    const publicMetrics = (token?: string) =>
      fetch(`http://127.0.0.1:${port}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const anonymous = await publicMetrics();
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('METRICS_PORT'),
    });
    const reader = await mintToken({ secret, subject: 'metrics-reader', scopes: ['read'], ttlSeconds: 600 });
    expect((await publicMetrics(reader)).status).toBe(403);
    const operator = await mintToken({ secret, subject: 'metrics-operator', scopes: ['ops:read'], ttlSeconds: 600 });
    const allowed = await publicMetrics(operator);
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('# TYPE marketpulse_ws_connections_opened_total');
  });
});
