import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '@marketpulse/gateway';
import { addressesOf, startApiUnderTest, startFakeServices, tokenFor, type ApiUnderTest, type FakeServices } from './api.kit';

// Issue 16: the two profiles of the API. development (the first command's) reads without a
// credential and lets loopback pages call it; production (scripts/service.sh) stays locked.

let fakes: FakeServices;
let dev: ApiUnderTest;
let prod: ApiUnderTest;

beforeAll(async () => {
  fakes = await startFakeServices();
  dev = await startApiUnderTest(addressesOf(fakes), { GATEWAY_ENV: 'development' });
  prod = await startApiUnderTest(addressesOf(fakes), { GATEWAY_ENV: 'production' });
});

afterAll(async () => {
  await Promise.all([dev?.close(), prod?.close()]);
  await fakes?.stopAll();
});

const SEED_READS = ['/api/status', '/api/providers', '/api/rate-limits'];
const rule = JSON.stringify({ name: 'r', symbol: 'AAPL', condition: { price_above: { price: 1 } } });

describe('development profile', () => {
  it("answers the seeds' REST reads without a credential", async () => {
    for (const p of SEED_READS) expect((await fetch(`${dev.base}${p}`)).status, p).toBe(200);
  });

  it('still needs a credential to write: 401, naming how to get one', async () => {
    const res = await fetch(`${dev.base}/api/v1/alerts/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: rule,
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNAUTHENTICATED');
    expect(body.error.message).toContain('mint-token');
    const ok = await fetch(`${dev.base}/api/v1/alerts/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('u1')}` },
      body: rule,
    });
    expect(ok.status).toBe(201);
  });

  it('lets loopback origins through CORS and no other', async () => {
    const pre = await fetch(`${dev.base}/api/status`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const evil = await fetch(`${dev.base}/api/status`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(evil.status).toBe(403);
  });

  it('refuses to bind anything but loopback', () => {
    expect(() => loadGatewayConfig({ GATEWAY_ENV: 'development', GATEWAY_HOST: '0.0.0.0' })).toThrow(/loopback only/);
    expect(() => loadGatewayConfig({ GATEWAY_ENV: 'development', GATEWAY_HOST: '127.0.0.1' })).not.toThrow();
    expect(() => loadGatewayConfig({ GATEWAY_ENV: 'production', GATEWAY_HOST: '0.0.0.0' })).not.toThrow();
  });
});

describe('production profile (scripts/service.sh)', () => {
  it('answers every read without a credential with 401', async () => {
    for (const p of SEED_READS) expect((await fetch(`${prod.base}${p}`)).status, p).toBe(401);
    expect((await fetch(`${prod.base}/api/status`, { headers: { authorization: `Bearer ${tokenFor('u1')}` } })).status).toBe(200);
  });

  it('lets no origin through CORS without CORS_ALLOWED_ORIGINS, loopback included', async () => {
    const pre = await fetch(`${prod.base}/api/status`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(403);
    const simple = await fetch(`${prod.base}/api/status`, {
      headers: { origin: 'http://127.0.0.1:5173', authorization: `Bearer ${tokenFor('u1')}` },
    });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is what the gateway runs when GATEWAY_ENV is unset', () => {
    expect(loadGatewayConfig({}).GATEWAY_ENV).toBe('production');
  });
});
