import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  REPO_ROOT,
  startSuiteProcess,
  SUITE_HOOK_TIMEOUT_MS,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type SuiteProcess,
} from '@marketpulse/tests';

// What an SRE sees of the one-process suite on Kafka: the metrics every document names exist on a
// live /metrics and move under traffic, the logs explain what happened, and health lists every part.

const SECRET = 'sre-suite-jwt-secret-0123456789';
const BAD_TOKEN = 'not-a-token-but-a-secret-looking-string';

type Labels = Record<string, string>;

function sample(text: string, name: string, labels: Labels = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** The go-grpc-prometheus label names, which look like metric names. */
const GRPC_LABELS = new Set(['grpc_service', 'grpc_method', 'grpc_type', 'grpc_code']);

/** Metric names a text mentions: marketpulse_* and the go-grpc-prometheus grpc_* families. */
function metricNames(text: string): string[] {
  return [...new Set(text.match(/\b(?:marketpulse|grpc)_[a-z0-9_]*[a-z0-9]\b/g) ?? [])].filter((n) => !GRPC_LABELS.has(n));
}

/** Whether a family is declared on the page (a histogram's _bucket/_count/_sum belong to it). */
function declared(page: string, name: string): boolean {
  if (page.includes(`\n# TYPE ${name} `)) return true;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && page.includes(`\n# TYPE ${base} histogram`);
}

describe('the one-process suite, as an SRE sees it', () => {
  let running: SuiteProcess;
  let suite: ManagedProcess;
  let gatewayPort: number;
  let metricsPort: number;
  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const logLines = () =>
    suite
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);

  beforeAll(async () => {
    running = await startSuiteProcess({
      label: 'sre-suite',
      kafkaTopicPrefix: uniqueTopicPrefix('sre-suite'),
      env: { LOG_LEVEL: 'info', JWT_SECRET: SECRET, HEALTH_CHECK_INTERVAL_MS: '1000' },
    });
    suite = running.process;
    gatewayPort = running.ports.GATEWAY_PORT;
    metricsPort = running.ports.METRICS_PORT;
  }, SUITE_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await running?.stop();
  });

  it('logs one JSON shape with OpenTelemetry names, and its effective configuration once, secrets redacted', () => {
    const lines = logLines();
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      expect(l, JSON.stringify(l)).toHaveProperty('service.name');
      expect(l).toHaveProperty('severity_text');
      expect(l).not.toHaveProperty('service');
    }
    const names = new Set(lines.map((l) => l['service.name']));
    for (const s of ['suite', 'gateway', 'market-data', 'prediction', 'alerting', 'webhook-delivery', 'provider-monitor'])
      expect(names, s).toContain(s);
    const config = lines.find((l) => l.event === 'config.effective');
    expect(config?.config.gateway).toMatchObject({ JWT_SECRET: '[redacted]', BUS: 'kafka' });
    expect(suite.output()).not.toContain(SECRET);
  });

  it('lists all five services and the gateway as ready, on the suite port and the gateway', async () => {
    const suiteHealth = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/health`);
        return res.status === 200 ? ((await res.json()) as { components: Record<string, { status: string }> }) : undefined;
      },
      { timeoutMs: 30_000, what: 'the suite health to be 200' },
    );
    expect(Object.keys(suiteHealth.components).sort()).toEqual([
      'alerting',
      'gateway',
      'market-data',
      'prediction',
      'provider-monitor',
      'webhook-delivery',
    ]);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/livez`)).status).toBe(200);
    const gw = (await (await fetch(`http://127.0.0.1:${gatewayPort}/health`)).json()) as {
      status: string;
      components: Record<string, { status: string }>;
    };
    for (const s of [
      'market-data',
      'prediction',
      'alerting',
      'webhook-delivery',
      'provider-monitor',
      'bus',
      'event_consumer',
      'database',
    ]) {
      expect(gw.components[s]?.status, s).toBe('healthy');
    }
    expect((await fetch(`http://127.0.0.1:${gatewayPort}/readyz`)).status).toBe(200);
  });

  it('moves the WebSocket metrics under traffic and logs each connection, close and refusal', async () => {
    const before = await scrape();
    const opened = sample(before, 'marketpulse_ws_connections_opened_total') ?? 0;
    const sentBytes = sample(before, 'marketpulse_ws_sent_bytes_total') ?? 0;

    const ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}/ws/market-data/AAPL`);
    const types: string[] = [];
    let closed = '';
    ws.on('message', (m) => types.push((JSON.parse(String(m)) as { type: string }).type));
    ws.on('close', (code, reason) => (closed = `${code} ${String(reason)}`));
    await waitFor(
      () => {
        if (closed) throw new Error(`/ws/market-data/AAPL closed (${closed}) after ${types.join(', ')}`);
        return types.filter((t) => t === 'market_data_update').length >= 2;
      },
      { timeoutMs: 20_000, what: 'two market_data_update messages on /ws/market-data/AAPL' },
    );
    const during = await scrape();
    expect(sample(during, 'marketpulse_ws_connections', { door: 'market-data' })).toBeGreaterThanOrEqual(1);
    ws.send(JSON.stringify({ type: 'pong' }));
    await new Promise((r) => setTimeout(r, 100));
    ws.close(1000, 'done here');

    const lost = new WebSocket(`ws://127.0.0.1:${gatewayPort}/ws/market-data/MSFT?since=no-such-id`);
    const lostMessages: string[] = [];
    lost.on('message', (m) => lostMessages.push(String(m)));
    await waitFor(() => lostMessages.some((m) => m.includes('CANNOT_RECOVER')) || undefined, {
      timeoutMs: 10_000,
      what: 'CANNOT_RECOVER for an unknown since id',
    });
    lost.close();

    const refused = new WebSocket(`ws://127.0.0.1:${gatewayPort}/ws/alerts?token=${BAD_TOKEN}`);
    const refusedCode = await new Promise<number>((r) => refused.once('close', (code) => r(code)));
    expect(refusedCode).toBe(1008);

    const after = await waitFor(
      async () => {
        const text = await scrape();
        const moved =
          (sample(text, 'marketpulse_ws_closes_total', { code: '1000' }) ?? 0) >= 1 &&
          (sample(text, 'marketpulse_ws_refusals_total', { reason: 'auth' }) ?? 0) >= 1 &&
          // The server counts a close when its socket has closed, which may be after the client saw it.
          (sample(text, 'marketpulse_ws_closes_total', { code: '1008' }) ?? 0) >= 1 &&
          (sample(text, 'marketpulse_ws_received_bytes_total') ?? 0) > 0;
        return moved ? text : undefined;
      },
      { timeoutMs: 10_000, what: 'the closes, the refusal and the bytes received in /metrics' },
    );
    expect(sample(after, 'marketpulse_ws_connections_opened_total')).toBeGreaterThanOrEqual(opened + 3);
    expect(sample(after, 'marketpulse_ws_sent_bytes_total')).toBeGreaterThan(sentBytes);
    expect(sample(after, 'marketpulse_ws_received_bytes_total')).toBeGreaterThan(0);
    expect(sample(after, 'marketpulse_ws_closes_total', { code: '1008' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'marketpulse_ws_send_queue_bytes')).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'marketpulse_ws_resume_reads_total', { outcome: 'cannot_recover' })).toBeGreaterThanOrEqual(1);

    const lines = logLines();
    expect(
      lines.find((l) => l.event === 'websocket.close' && l['websocket.close.code'] === 1000 && l.door === 'market-data'),
    ).toMatchObject({ 'websocket.close.reason': 'done here', 'service.name': 'gateway' });
    const refusal = lines.find((l) => l.event === 'websocket.refused' && l.door === 'alerts');
    expect(refusal?.reason).toEqual(expect.any(String));
    expect(lines.find((l) => l.event === 'websocket.close' && l['websocket.close.code'] === 1008)).toBeDefined();
    expect(suite.output()).not.toContain(BAD_TOKEN);
  });

  it('logs HTTP access lines and refused API calls with their reason, never the credential', async () => {
    const res = await fetch(`http://127.0.0.1:${gatewayPort}/api/v1/webhooks?token=x`, {
      headers: { authorization: `Bearer ${BAD_TOKEN}` },
    });
    expect(res.status).toBe(401);
    await waitFor(() => logLines().some((l) => l.event === 'http.request' && l['url.path'] === '/api/v1/webhooks'), {
      timeoutMs: 20_000,
      what: 'the access line',
    });
    const lines = logLines();
    expect(lines.find((l) => l.event === 'http.request' && l['url.path'] === '/api/v1/webhooks')).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 401,
      level: 'warn',
    });
    expect(lines.find((l) => l.event === 'auth.refused' && l.transport === 'http')).toMatchObject({
      kind: 'unauthenticated',
      reason: expect.any(String),
    });
    expect(suite.output()).not.toContain(BAD_TOKEN);
  });

  it('counts alert evaluations and provider checks, and reads the webhook backlog and consumer lag', async () => {
    const text = await waitFor(
      async () => {
        const t = await scrape();
        return (sample(t, 'marketpulse_alert_evaluations_total') ?? 0) > 0 &&
          (sample(t, 'marketpulse_provider_checks_total') ?? 0) > 0 &&
          sample(t, 'marketpulse_kafka_consumer_lag') !== undefined
          ? t
          : undefined;
      },
      { timeoutMs: 100_000, intervalMs: 1000, what: 'alert evaluations, provider checks and consumer lag on /metrics' },
    );
    expect(sample(text, 'marketpulse_webhook_queue_depth')).toBe(0);
    expect(sample(text, 'marketpulse_webhook_oldest_pending_age_seconds')).toBe(0);
    expect(sample(text, 'marketpulse_ready', { service: 'gateway' })).toBe(1);
    for (const s of ['market-data', 'prediction', 'alerting', 'webhook-delivery', 'provider-monitor'])
      expect(sample(text, 'marketpulse_ready', { service: s }), s).toBe(1);
    // The process metrics once, unprefixed (the gateway used to add a second, prefixed set).
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).not.toContain('marketpulse_gateway_process_');
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
  }, 120_000);

  it('declares every metric that TELEMETRY.md, the Grafana dashboards and the alert rules name', async () => {
    const page = `\n${await scrape()}`;
    const sources: Record<string, string> = {
      'services/runtime/TELEMETRY.md': readFileSync(path.join(REPO_ROOT, 'services/runtime/TELEMETRY.md'), 'utf8'),
    };
    for (const dir of ['infra/grafana/dashboards', 'infra/prometheus/rules']) {
      for (const f of readdirSync(path.join(REPO_ROOT, dir))) sources[`${dir}/${f}`] = readFileSync(path.join(REPO_ROOT, dir, f), 'utf8');
    }
    const missing: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      const names = metricNames(text);
      expect(names.length, file).toBeGreaterThan(3);
      for (const n of names) if (!declared(page, n)) missing.push(`${file}: ${n}`);
    }
    expect(missing).toEqual([]);
  });
});
