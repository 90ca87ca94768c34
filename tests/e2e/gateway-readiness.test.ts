import { loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { createLogger, metricsRegistry, startGrpcServer, type GrpcServerHandle } from '@marketpulse/runtime';
import { createTestDatabase, type TestDatabase } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a load balancer and an SRE see of a gateway whose services come and go: each of the five
// services the gateway calls is a real gRPC server answering the standard health check.

const SERVICES = {
  'market-data': 'MARKET_DATA_GRPC_ADDR',
  prediction: 'PREDICTION_GRPC_ADDR',
  alerting: 'ALERTING_GRPC_ADDR',
  'webhook-delivery': 'WEBHOOK_GRPC_ADDR',
  'provider-monitor': 'PROVIDER_MONITOR_GRPC_ADDR',
} as const;

describe('gateway readiness covers every service it calls', () => {
  let gateway: GatewayHandle;
  let db: TestDatabase;
  const servers = new Map<string, GrpcServerHandle>();

  beforeAll(async () => {
    db = await createTestDatabase('gateway-readiness');
    const env: Record<string, string> = {
      BUS: 'memory',
      GATEWAY_PORT: '0',
      PUBLISH_GRPC_PORT: '0',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'silent',
      HEALTH_CHECK_INTERVAL_MS: '60000',
    };
    for (const [name, variable] of Object.entries(SERVICES)) {
      const server = await startGrpcServer({ port: 0, services: [], reflection: false });
      servers.set(name, server);
      env[variable] = `127.0.0.1:${server.port}`;
    }
    gateway = await startGateway(loadGatewayConfig(env), { logger: createLogger('gateway', {}, { level: 'silent' }) });
    await gateway.consuming;
    await gateway.health.checkNow();
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    for (const s of servers.values()) await s.close(100);
    await db?.drop();
  });

  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('is live, ready and healthy with every service up, and lists each in /health', async () => {
    expect((await get('/livez')).status).toBe(200);
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready', service: 'gateway' } });
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('healthy');
    for (const name of [...Object.keys(SERVICES), 'bus', 'event_consumer', 'database']) {
      expect(health.body.components[name], name).toMatchObject({ status: 'healthy' });
    }
  });

  it('is not ready (503) while market-data is NOT_SERVING, then ready again by itself', async () => {
    servers.get('market-data')!.health.setAll('NOT_SERVING');
    await gateway.health.checkNow();
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual([{ name: 'market-data', detail: expect.stringContaining('NOT_SERVING') }]);
    servers.get('market-data')!.health.setAll('SERVING');
    await gateway.health.checkNow();
    expect((await get('/readyz')).status).toBe(200);
  });

  it('shows a dead market-data on /health (503), on /readyz and in marketpulse_ready, while /livez stays 200', async () => {
    await servers.get('market-data')!.close(100);
    await gateway.health.checkNow();
    const health = await get('/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', failing: ['market-data'] });
    expect(health.body.components['market-data'].detail).toContain('unreachable');
    expect(health.body.components.prediction.status).toBe('healthy');
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/livez')).status).toBe(200);
    const text = await metricsRegistry().metrics();
    expect(text).toMatch(/^marketpulse_ready\{service="gateway"\} 0$/m);
    expect(text).toMatch(/^marketpulse_health_check_ok\{service="gateway",component="market-data"\} 0$/m);
    expect(text).toMatch(/^marketpulse_health_check_ok\{service="gateway",component="alerting"\} 1$/m);
  });
});
