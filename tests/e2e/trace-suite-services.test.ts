import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureZipkin, startSuiteProcess, SUITE_HOOK_TIMEOUT_MS, waitFor, type SuiteProcess } from '../harness';
import { HookReceiver, jwtFor, readTrace, traceIdOf, tracingEnv, type Trace } from './trace-support';

// The quick start as an SRE reads it in Zipkin: one process, yet each part is its own service, the
// HTTP server span is named by method and route, and the dependency view links the parts.

const SECRET = 'trace-suite-secret-0123456789abcdef';

describe('the one-process suite in Zipkin', () => {
  let zipkin: string;
  let running: SuiteProcess;
  let receiver: HookReceiver;
  let base: string;

  beforeAll(async () => {
    zipkin = await ensureZipkin();
    receiver = await HookReceiver.start();
    running = await startSuiteProcess({
      label: 'trace-suite',
      env: {
        ...tracingEnv(zipkin, 'suite'),
        JWT_SECRET: SECRET,
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        WEBHOOK_POLL_MS: '100',
      },
    });
    base = running.base;
  }, SUITE_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await running?.stop(10_000);
    await receiver?.close();
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
