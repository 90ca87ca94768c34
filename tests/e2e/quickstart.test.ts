import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, REPO_ROOT, startProcess, waitFor, type ManagedProcess } from '@marketpulse/tests';

// The first README command's result: every service and the gateway in one process on the embedded
// defaults (in-process bus, PGlite, simulated feed), started exactly as `pnpm start` starts it.
describe('one-process quick start', () => {
  let suite: ManagedProcess;
  let gatewayPort: number;
  let metricsPort: number;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mp-quickstart-'));

  beforeAll(async () => {
    const ports: Record<string, string> = {};
    for (const name of [
      'GATEWAY_PORT',
      'PUBLISH_GRPC_PORT',
      'MARKET_DATA_GRPC_PORT',
      'PREDICTION_GRPC_PORT',
      'ALERTING_GRPC_PORT',
      'WEBHOOK_GRPC_PORT',
      'PROVIDER_MONITOR_GRPC_PORT',
      'METRICS_PORT',
    ]) {
      ports[name] = String(await freePort());
    }
    gatewayPort = Number(ports.GATEWAY_PORT);
    metricsPort = Number(ports.METRICS_PORT);
    suite = startProcess(
      process.execPath,
      [
        '--require',
        path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js'),
        path.join(REPO_ROOT, 'services/suite/dist/main.js'),
      ],
      { ...ports, PGLITE_DIR: dataDir, BUS: 'memory', DATABASE_URL: undefined, OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'warn' },
      { label: 'quickstart-suite' },
    );
    await Promise.race([
      waitFor(() => suite.output().includes('Marketpulse is running'), {
        timeoutMs: 90_000,
        what: `the suite to print its URLs (log: ${suite.logFile})`,
      }),
      suite.exited.then((e) => {
        throw new Error(`the suite exited (code ${e.code}) before it was ready: see ${suite.logFile}`);
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await suite?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs a person needs', () => {
    const out = suite.output();
    expect(out).toContain(`http://127.0.0.1:${gatewayPort}/health`);
    expect(out).toContain(`ws://127.0.0.1:${gatewayPort}/ws/market-data/AAPL`);
    expect(out).toContain(`http://127.0.0.1:${metricsPort}/metrics`);
  });

  it('serves the metrics of every service on one Prometheus page', async () => {
    const schemas = ['market_data', 'prediction', 'alerting', 'webhook_delivery', 'provider_monitor'];
    const queried = (text: string, schema: string) =>
      new RegExp(`^marketpulse_db_query_duration_seconds_count\\{[^}]*schema="${schema}"`, 'm').test(text);
    const text = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        const body = res.status === 200 ? await res.text() : '';
        return schemas.every((s) => queried(body, s)) ? body : undefined;
      },
      { timeoutMs: 20_000, what: `every service's database metrics on :${metricsPort}/metrics` },
    );
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('streams simulated market data to a WebSocket client', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}/ws/market-data/AAPL`);
    const got: Array<{ type: string; symbol?: string; data?: { price?: number } }> = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m))));
    const updates = await waitFor(
      () => {
        const u = got.filter((m) => m.type === 'market_data_update');
        return u.length >= 2 ? u : undefined;
      },
      { timeoutMs: 20_000, what: 'two market_data_update messages for AAPL' },
    );
    ws.close();
    expect(got[0]?.type).toBe('connected');
    for (const u of updates) {
      expect(u.symbol).toBe('AAPL');
      expect(u.data?.price).toBeGreaterThan(0);
    }
  });

  it('answers /health with every component healthy', async () => {
    const body = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${gatewayPort}/health`);
        const json = (await res.json()) as { status: string };
        return res.status === 200 && json.status === 'healthy' ? json : undefined;
      },
      { timeoutMs: 20_000, what: '/health to say healthy' },
    );
    expect(body.status).toBe('healthy');
  });
});
