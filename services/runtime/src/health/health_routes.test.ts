import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger';
import { metricsRegistry } from '../metrics/registry';
import { HealthMonitor } from './health_monitor';
import { serveHealth } from './health_routes';

describe('serveHealth', () => {
  let server: Server;
  let base: string;
  let databaseUp = true;
  let calleeUp = true;
  const monitor = new HealthMonitor({
    intervalMs: 60_000,
    logger: createLogger('health-test', {}, { level: 'silent' }),
    service: 'health-test',
    components: [
      { name: 'bus', check: async () => ({ ok: true, detail: 'in-process bus' }) },
      { name: 'database', check: async () => (databaseUp ? { ok: true, detail: 'up' } : { ok: false, detail: 'connection refused' }) },
      {
        name: 'market-data',
        optional: true,
        check: async () => (calleeUp ? { ok: true, detail: 'SERVING' } : { ok: false, detail: 'unreachable' }),
      },
    ],
  });
  beforeAll(async () => {
    await monitor.start();
    server = createServer((req, res) => {
      if (!serveHealth(req, res, { monitor, service: 'health-test' })) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    monitor.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers 200 on /livez, /readyz and /health while every dependency is up, and exports readiness', async () => {
    expect((await get('/livez')).status).toBe(200);
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready', service: 'health-test' } });
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.components).toMatchObject({ bus: { status: 'healthy' }, database: { status: 'healthy' } });
    expect(await metricsRegistry().metrics()).toMatch(/^marketpulse_ready\{service="health-test"\} 1$/m);
  });

  it('answers 503 naming the failing dependency on /readyz and /health, while /livez stays 200', async () => {
    databaseUp = false;
    await monitor.checkNow();
    expect((await get('/livez')).status).toBe(200);
    const ready = await get('/readyz?verbose');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not_ready', failing: [{ name: 'database', detail: 'connection refused' }] });
    expect(ready.body.checks).toHaveLength(3);
    const health = await get('/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      status: 'unhealthy',
      components: { database: { status: 'unhealthy', detail: 'connection refused' } },
    });
    const text = await metricsRegistry().metrics();
    expect(text).toMatch(/^marketpulse_ready\{service="health-test"\} 0$/m);
    expect(text).toMatch(/^marketpulse_health_check_ok\{service="health-test",component="database"\} 0$/m);
    databaseUp = true;
  });

  it('shows a service it can serve without in /health, and stays ready while that service is down', async () => {
    calleeUp = false;
    await monitor.checkNow();
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready', service: 'health-test' } });
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.components).toMatchObject({ 'market-data': { status: 'unhealthy', detail: 'unreachable', optional: true } });
    expect(monitor.snapshot().status).toBe('ok');
    calleeUp = true;
  });
});
