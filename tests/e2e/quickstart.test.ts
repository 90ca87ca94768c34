import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSuiteProcess, SUITE_HOOK_TIMEOUT_MS, waitFor, type SuiteProcess } from '@marketpulse/tests';

// The first README command's result: every service and the gateway in one process on the embedded
// defaults (in-process bus, PGlite, simulated feed), started exactly as `pnpm start` starts it.
describe('one-process quick start', () => {
  let suite: SuiteProcess;

  beforeAll(async () => {
    suite = await startSuiteProcess({ label: 'quickstart-suite' });
  }, SUITE_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await suite?.stop();
  });

  it('prints the URLs a person needs', () => {
    const out = suite.process.output();
    expect(out).toContain(`${suite.base}/health`);
    expect(out).toContain(`${suite.ws}/ws/market-data/AAPL`);
    expect(out).toContain(suite.metricsUrl);
  });

  it('serves the metrics of every service on one Prometheus page', async () => {
    const schemas = ['market_data', 'prediction', 'alerting', 'webhook_delivery', 'provider_monitor'];
    const queried = (text: string, schema: string) =>
      new RegExp(`^marketpulse_db_query_duration_seconds_count\\{[^}]*schema="${schema}"`, 'm').test(text);
    const text = await waitFor(
      async () => {
        const res = await fetch(suite.metricsUrl);
        const body = res.status === 200 ? await res.text() : '';
        return schemas.every((s) => queried(body, s)) ? body : undefined;
      },
      { timeoutMs: 20_000, what: `every service's database metrics on ${suite.metricsUrl}` },
    );
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('streams simulated market data to a WebSocket client', async () => {
    const ws = new WebSocket(`${suite.ws}/ws/market-data/AAPL`);
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
        const res = await fetch(`${suite.base}/health`);
        const json = (await res.json()) as { status: string };
        return res.status === 200 && json.status === 'healthy' ? json : undefined;
      },
      { timeoutMs: 20_000, what: '/health to say healthy' },
    );
    expect(body.status).toBe('healthy');
  });
});
