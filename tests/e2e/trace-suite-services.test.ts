import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureZipkin, freePort, REPO_ROOT, startProcess, waitFor, type ManagedProcess } from '../harness';
import { HookReceiver, jwtFor, readTrace, traceIdOf, tracingEnv, type Trace } from './trace-support';

// The quick start as an SRE reads it in Zipkin: one process, yet each part is its own service, the
// HTTP server span is named by method and route, and the dependency view links the parts.

const SECRET = 'trace-suite-secret-0123456789abcdef';

describe('the one-process suite in Zipkin', () => {
  let zipkin: string;
  let suite: ManagedProcess;
  let receiver: HookReceiver;
  let base: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mp-trace-suite-'));

  beforeAll(async () => {
    zipkin = await ensureZipkin();
    receiver = await HookReceiver.start();
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
    base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
    suite = startProcess(
      process.execPath,
      [
        '--require',
        path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js'),
        path.join(REPO_ROOT, 'services/suite/dist/main.js'),
      ],
      {
        ...ports,
        ...tracingEnv(zipkin, 'suite'),
        PGLITE_DIR: dataDir,
        BUS: 'memory',
        DATABASE_URL: undefined,
        LOG_LEVEL: 'warn',
        JWT_SECRET: SECRET,
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        WEBHOOK_POLL_MS: '100',
      },
      { label: 'trace-suite' },
    );
    await Promise.race([
      waitFor(() => suite.output().includes('Marketpulse is running'), {
        timeoutMs: 120_000,
        what: `the suite to print its URLs (log: ${suite.logFile})`,
      }),
      suite.exited.then((e) => {
        throw new Error(`the suite exited (code ${e.code}) before it was ready: see ${suite.logFile}`);
      }),
    ]);
  }, 150_000);

  afterAll(async () => {
    await suite?.stop(10_000);
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows POST /api/v1/publish in the gateway, then webhook-delivery, as separate services linked in the dependency view', async () => {
    const startedAt = Date.now();
    const token = jwtFor(SECRET, 'trace-suite-user', ['read', 'publish', 'webhooks:write']);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ url: receiver.url, events: ['risk_status_update'] }),
    });
    expect(created.status, await created.clone().text()).toBeLessThan(300);

    const res = await fetch(`${base}/api/v1/publish`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        type: 'risk_status_update',
        data: { status: 'soft_pause', message: 'trace me', drawdown_pct: '0.04', daily_loss_pct: '0.03' },
      }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => receiver.requests.length > 0, { timeoutMs: 30_000, what: 'the webhook at the receiver' });
    const traceId = traceIdOf(receiver.requests[0].headers.traceparent);

    const spansOf = (t: Trace) => ({
      http: t.one('gateway', 'HTTP server', (s) => s.kind === 'SERVER' && s.name === 'post /api/v1/publish'),
      deliver: t.one('webhook-delivery', 'webhook deliver', (s) => s.name === 'webhook deliver'),
      consume: t.one('webhook-delivery', 'consume', (s) => s.kind === 'CONSUMER'),
    });
    const trace = await readTrace(zipkin, traceId, (t) => {
      try {
        spansOf(t);
        return true;
      } catch {
        return false;
      }
    });
    const { http, deliver, consume } = spansOf(trace);
    expect(http.tags?.['http.route']).toBe('/api/v1/publish');
    expect(trace.roots().map((s) => s.id)).toEqual([http.id]);
    expect(trace.isBelow(consume, http)).toBe(true);
    // The delivery continues the trace of the consumed event, in webhook-delivery.
    expect(trace.isBelow(deliver, http)).toBe(true);
    expect(
      trace.ancestors(deliver).some((s) => s.kind === 'CONSUMER' && trace.service(s) === 'webhook-delivery'),
      trace.describe(),
    ).toBe(true);
    // No span of this trace is left under the process's own name.
    expect(trace.spans.filter((s) => trace.service(s) === 'suite').map((s) => s.name)).toEqual([]);

    const links = await waitFor(
      async () => {
        // Only this test's traces: the run's Zipkin may hold older ones.
        const now = Date.now();
        const r = await fetch(`${zipkin}/api/v2/dependencies?endTs=${now}&lookback=${now - startedAt + 1000}`);
        const deps = (await r.json()) as { parent: string; child: string }[];
        return deps.some((d) => d.parent === 'gateway' && d.child === 'webhook-delivery') ? deps : undefined;
      },
      { timeoutMs: 20_000, what: 'gateway -> webhook-delivery in the dependency view' },
    );
    expect(links.some((d) => d.parent === 'suite' || d.child === 'suite')).toBe(false);
  }, 90_000);
});
