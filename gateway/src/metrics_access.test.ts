import { describe, expect, it } from 'vitest';
import { mintToken } from './auth';
import type { GatewayHandle } from './service';
import { inProcessGateways } from './testing/in_process_gateway.testkit';

// Who may read the public port's /metrics (an in-process gateway with its API, real sockets): anyone
// in the development profile, an ops:read credential wherever one is required. METRICS_PORT, which
// serves it without one on 127.0.0.1, is runService's (tests/e2e/metrics-endpoints.test.ts).

const SECRET = 'metrics-access-secret-0123456789';
const { gateway } = inProcessGateways({ name: 'metrics', api: true, env: { JWT_SECRET: SECRET } });

async function metrics(gw: GatewayHandle, scopes?: string[]): Promise<{ status: number; text: string }> {
  const token = scopes && (await mintToken({ secret: SECRET, subject: 'metrics-test', scopes, ttlSeconds: 600 }));
  const res = await fetch(`http://127.0.0.1:${gw.port}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

describe("the public port's /metrics", () => {
  it('stays open in the development profile', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'development' });
    const res = await metrics(gw);
    expect(res.status).toBe(200);
    expect(res.text).toContain('# TYPE marketpulse_ws_connections_opened_total');
  });

  it('needs ops:read (or admin) in production, and with WS_AUTH_REQUIRED in development', async () => {
    const profiles: Record<string, string>[] = [{ GATEWAY_ENV: 'production' }, { GATEWAY_ENV: 'development', WS_AUTH_REQUIRED: 'true' }];
    for (const env of profiles) {
      const gw = await gateway(env);
      const anonymous = await metrics(gw);
      expect(anonymous.status).toBe(401);
      expect(anonymous.text).not.toContain('# TYPE');
      expect(JSON.parse(anonymous.text)).toMatchObject({
        error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('METRICS_PORT') },
      });
      const reader = await metrics(gw, ['read']);
      expect(reader.status).toBe(403);
      expect(JSON.parse(reader.text)).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.stringContaining("'ops:read'") } });
      expect((await metrics(gw, ['ops:read'])).status).toBe(200);
      expect((await metrics(gw, ['admin'])).text).toContain('# TYPE');
    }
  });
});
