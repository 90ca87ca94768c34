import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { GatewayHandle } from './service';
import { inProcessGateways } from './testing/in_process_gateway.testkit';

// The WebSocket origin default and TRUSTED_PROXIES, over real sockets against an in-process gateway
// (in-memory bus, no API): which browser pages may open a door, and which client address the
// per-address limits count when the gateway sits behind a load balancer.

const { gateway, sockets } = inProcessGateways({ name: 'origins', env: { JWT_SECRET: 'origins-test-secret-0123456789' } });

/** Opens /ws/alerts; resolves 'connected' on the door's welcome, else the close code and reason. */
function door(gw: GatewayHandle, headers: Record<string, string> = {}, origin?: string): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/alerts`, { headers, ...(origin === undefined ? {} : { origin }) });
  sockets.push(ws);
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connected') resolve('connected');
    });
    ws.once('close', (code, reason) => resolve(`${code} ${String(reason)}`));
  });
}

const REFUSED = '1008 origin not allowed';

describe('WebSocket origins without WS_ALLOWED_ORIGINS', () => {
  it("refuses another site's page in both profiles, as CORS does", async () => {
    for (const GATEWAY_ENV of ['production', 'development']) {
      const gw = await gateway({ GATEWAY_ENV });
      expect(await door(gw, {}, 'https://evil.example')).toBe(REFUSED);
      expect(await door(gw, {}, 'null')).toBe(REFUSED);
      expect(gw.ws.stats().counters.rejected_origin).toBe(2);
    }
  });

  it('admits the dashboard the gateway serves (its own origin) and clients that send no Origin', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'production' });
    expect(await door(gw, {}, `http://127.0.0.1:${gw.port}`)).toBe('connected');
    expect(await door(gw, { host: `localhost:${gw.port}` }, `http://localhost:${gw.port}`)).toBe('connected');
    expect(await door(gw)).toBe('connected');
  });

  it('admits loopback pages on other ports in development only', async () => {
    const dev = await gateway({ GATEWAY_ENV: 'development' });
    expect(await door(dev, {}, 'http://localhost:5173')).toBe('connected');
    expect(await door(dev, {}, 'http://127.0.0.1:5173')).toBe('connected');
    const prod = await gateway({ GATEWAY_ENV: 'production' });
    expect(await door(prod, {}, 'http://127.0.0.1:5173')).toBe(REFUSED);
    expect(await door(prod, {}, 'http://localhost:5173')).toBe(REFUSED);
  });

  it('keeps `*` and lists available explicitly', async () => {
    const any = await gateway({ WS_ALLOWED_ORIGINS: '*' });
    expect(await door(any, {}, 'https://evil.example')).toBe('connected');
    const listed = await gateway({ WS_ALLOWED_ORIGINS: 'https://app.example.com' });
    expect(await door(listed, {}, 'https://app.example.com')).toBe('connected');
    expect(await door(listed, {}, `http://127.0.0.1:${listed.port}`)).toBe('connected');
    expect(await door(listed, {}, 'https://evil.example')).toBe(REFUSED);
  });

  it('behind a trusted TLS proxy, takes its X-Forwarded-Proto and X-Forwarded-Host for the own origin; from others, not', async () => {
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'markets.example' };
    const behind = await gateway({ TRUSTED_PROXIES: '127.0.0.1', GATEWAY_ALLOWED_HOSTS: 'markets.example' });
    expect(await door(behind, proxied, 'https://markets.example')).toBe('connected');
    const direct = await gateway({ TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(await door(direct, proxied, 'https://markets.example')).toBe(REFUSED);
  });
});

/** /info with authentication required and no credential: 401 while the address's budget (20 at once) lasts, then 429. */
const info = async (gw: GatewayHandle, headers: Record<string, string>) =>
  (await fetch(`http://127.0.0.1:${gw.port}/info`, { headers })).status;

/** The answers to 21 such requests, the i-th with `headers(i)`: one budget's worth and one more. */
async function budget(gw: GatewayHandle, headers: (i: number) => Record<string, string>): Promise<number[]> {
  const answers = [];
  for (let i = 0; i < 21; i++) answers.push(await info(gw, headers(i)));
  return answers;
}

describe('TRUSTED_PROXIES', () => {
  const A = { 'x-forwarded-for': '203.0.113.1' };
  const B = { 'x-forwarded-for': '198.51.100.7, 10.1.1.1' };

  it('gives two clients behind one trusted proxy their own rate budgets', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'true', TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' });
    expect(await budget(gw, () => A)).toEqual([...Array(20).fill(401), 429]);
    expect(await info(gw, B)).toBe(401);
    expect(await info(gw, A)).toBe(429);
  });

  it('ignores the X-Forwarded-For of a peer that is not a trusted proxy: one budget, and it opens nothing', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'true', TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(await budget(gw, (i) => ({ 'x-forwarded-for': i % 2 ? `203.0.113.${i}` : '127.0.0.1' }))).toEqual([...Array(20).fill(401), 429]);
    expect(await info(gw, B)).toBe(429);
  });

  it('gives two clients behind one trusted proxy their own WebSocket slots', async () => {
    const gw = await gateway({ WS_MAX_CONNECTIONS_PER_ADDRESS: '1', TRUSTED_PROXIES: '127.0.0.1' });
    expect(await door(gw, A)).toBe('connected');
    expect(await door(gw, A)).toBe('1013 server at capacity');
    expect(await door(gw, B)).toBe('connected');
    // A malformed header says nothing about the client: it counts as the proxy itself.
    expect(await door(gw, { 'x-forwarded-for': 'not-an-address' })).toBe('connected');
    expect(await door(gw, { 'x-forwarded-for': '203.0.113.1:4711' })).toBe('1013 server at capacity');
  });

  it('shares one WebSocket slot among every forged X-Forwarded-For of an untrusted peer', async () => {
    const gw = await gateway({ WS_MAX_CONNECTIONS_PER_ADDRESS: '1', TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(await door(gw, A)).toBe('connected');
    expect(await door(gw, B)).toBe('1013 server at capacity');
  });
});

describe('RFC 7239 Forwarded from TRUSTED_PROXIES', () => {
  const A = { forwarded: 'for=203.0.113.1;proto=https' };
  const B = { forwarded: 'for="[2001:db8::7]:4711", for=10.1.1.1' };

  it('gives two clients behind one trusted proxy that sends only Forwarded their own rate budgets', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'true', TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' });
    expect(await budget(gw, () => A)).toEqual([...Array(20).fill(401), 429]);
    expect(await info(gw, B)).toBe(401);
    expect(await info(gw, A)).toBe(429);
    // for=unknown names no client: it counts as the proxy itself, whose budget is still whole.
    expect(await info(gw, { forwarded: 'for=unknown' })).toBe(401);
  });

  it('ignores the Forwarded of a peer that is not a trusted proxy: one budget', async () => {
    const gw = await gateway({ WS_AUTH_REQUIRED: 'true', TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(await budget(gw, (i) => ({ forwarded: `for=203.0.113.${i}` }))).toEqual([...Array(20).fill(401), 429]);
    expect(await info(gw, B)).toBe(429);
  });

  it("takes a trusted TLS proxy's Forwarded host and proto for the own origin; from others, not", async () => {
    const proxied = { forwarded: 'for=203.0.113.1;host=markets.example;proto=https' };
    const behind = await gateway({ TRUSTED_PROXIES: '127.0.0.1', GATEWAY_ALLOWED_HOSTS: 'markets.example' });
    expect(await door(behind, proxied, 'https://markets.example')).toBe('connected');
    const direct = await gateway({ TRUSTED_PROXIES: '10.0.0.0/8' });
    expect(await door(direct, proxied, 'https://markets.example')).toBe(REFUSED);
  });

  it('gives two clients behind one trusted proxy that sends only Forwarded their own WebSocket slots', async () => {
    const gw = await gateway({ WS_MAX_CONNECTIONS_PER_ADDRESS: '1', TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' });
    expect(await door(gw, A)).toBe('connected');
    expect(await door(gw, A)).toBe('1013 server at capacity');
    expect(await door(gw, B)).toBe('connected');
  });
});
