import { request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { loadGatewayConfig } from './config';
import type { GatewayHandle } from './service';
import { capturedLog } from './testing/captured_log.testkit';
import { inProcessGateways } from './testing/in_process_gateway.testkit';

// GATEWAY_ALLOWED_HOSTS against DNS rebinding, over real sockets against an in-process gateway with
// its API (in-memory bus, PGlite never opened): a page on a name of an attacker's that resolves to
// 127.0.0.1 sends that name in Host; unset, both profiles answer only loopback names and IPs.

const { gateway, sockets } = inProcessGateways({ name: 'hosts', api: true, env: { WS_CLOSE_UNKNOWN_SYMBOLS: 'false' } });

interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** A GET to the gateway on 127.0.0.1 with the given Host: its status and JSON error body, if any. */
function send(
  gw: GatewayHandle,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; error?: ErrorBody }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        let error: ErrorBody | undefined;
        try {
          error = (JSON.parse(body) as { error?: ErrorBody }).error;
        } catch {
          error = undefined;
        }
        resolve({ status: res.statusCode ?? 0, error });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** As send: the status and the JSON error code, if any. */
async function get(
  gw: GatewayHandle,
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code?: string }> {
  const { status, error } = await send(gw, path, host, headers);
  return { status, code: error?.code };
}

/** Opens /ws/alerts with the given Host: 'connected' on the door's welcome, else the handshake's HTTP status. */
function door(gw: GatewayHandle, host: string): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/alerts`, { headers: { host } });
  sockets.push(ws);
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connected') resolve('connected');
    });
    ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
    ws.on('error', (err) => resolve(`error ${err.message}`));
  });
}

const REBIND = 'rebind.attacker.example';

/** A logger whose JSON lines (info and up) are collected in `lines`. */

describe('GATEWAY_ALLOWED_HOSTS unset, development profile', () => {
  it('refuses a rebinding name on REST, tRPC, the dashboard, the probes and a WebSocket door, with 421 HOST_NOT_ALLOWED', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'development' });
    for (const path of [
      '/openapi.json',
      '/api/v1/market-data/symbols',
      '/trpc/marketData.symbols',
      '/',
      '/dashboard/',
      '/health',
      '/info',
    ]) {
      expect(await get(gw, path, `${REBIND}:${gw.port}`, { accept: 'text/html' }), path).toEqual({ status: 421, code: 'HOST_NOT_ALLOWED' });
    }
    // A trailing dot and upper case are the same name to DNS, and to the check.
    expect((await get(gw, '/openapi.json', 'REBIND.attacker.example.')).status).toBe(421);
    expect(await door(gw, `${REBIND}:${gw.port}`)).toBe('HTTP 421');
    expect(await door(gw, `${REBIND}`)).toBe('HTTP 421');
  });

  it('writes each refusal to the access log, the upgrade too', async () => {
    const { lines, logger } = capturedLog('allowed-hosts-test');
    const gw = await gateway({ GATEWAY_ENV: 'development' }, { logger });
    await get(gw, '/openapi.json', REBIND);
    expect(await door(gw, REBIND)).toBe('HTTP 421');
    await vi.waitFor(() => {
      expect(lines).toContainEqual(expect.objectContaining({ event: 'http.request', 'http.response.status_code': 421 }));
      expect(lines).toContainEqual(
        expect.objectContaining({
          event: 'websocket.refused',
          'url.path': '/ws/alerts',
          code: 'HOST_NOT_ALLOWED',
          'http.response.status_code': 421,
        }),
      );
    });
  });

  it('refuses it on the native protocol port too', async () => {
    const nativePort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await gateway({ GATEWAY_ENV: 'development', WS_NATIVE_PORT: String(nativePort) });
    const handshake = (host: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${nativePort}/`, { headers: { host } });
      sockets.push(ws);
      return new Promise<string>((resolve) => {
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
        ws.on('error', (err) => resolve(`error ${err.message}`));
      });
    };
    expect(await handshake(REBIND)).toBe('HTTP 421');
    expect(await handshake(`127.0.0.1:${nativePort}`)).toBe('open');
  });

  it('answers 127.0.0.1, localhost, *.localhost and [::1], with or without a port', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'development' });
    for (const host of [
      `127.0.0.1:${gw.port}`,
      `localhost:${gw.port}`,
      `[::1]:${gw.port}`,
      'localhost',
      'app.localhost:5173',
      '10.1.2.3',
    ]) {
      expect((await get(gw, '/openapi.json', host)).status, host).toBe(200);
      expect(await get(gw, '/trpc/no.such.procedure', host), host).toMatchObject({ status: 404 });
      expect(await door(gw, host), host).toBe('connected');
    }
    expect((await get(gw, '/', `127.0.0.1:${gw.port}`, { accept: 'text/html' })).status).toBe(200);
  });

  it('judges the X-Forwarded-Host of a trusted proxy, and only of one', async () => {
    const trusted = await gateway({ GATEWAY_ENV: 'development', TRUSTED_PROXIES: '127.0.0.1' });
    expect((await get(trusted, '/openapi.json', 'localhost', { 'x-forwarded-host': REBIND })).status).toBe(421);
    expect((await get(trusted, '/openapi.json', REBIND, { 'x-forwarded-host': 'localhost:8000' })).status).toBe(200);
    const untrusted = await gateway({ GATEWAY_ENV: 'development' });
    expect((await get(untrusted, '/openapi.json', 'localhost', { 'x-forwarded-host': REBIND })).status).toBe(200);
  });

  it("judges the host= of a trusted proxy's RFC 7239 Forwarded, and only of one", async () => {
    const trusted = await gateway({ GATEWAY_ENV: 'development', TRUSTED_PROXIES: '127.0.0.1' });
    expect(await get(trusted, '/openapi.json', 'localhost', { forwarded: `for=203.0.113.9;host="${REBIND}"` })).toMatchObject({
      status: 421,
    });
    expect((await get(trusted, '/openapi.json', REBIND, { forwarded: 'for=203.0.113.9;host="localhost:8000"' })).status).toBe(200);
    const untrusted = await gateway({ GATEWAY_ENV: 'development' });
    expect((await get(untrusted, '/openapi.json', 'localhost', { forwarded: `for=203.0.113.9;host="${REBIND}"` })).status).toBe(200);
  });
});

const UNSET_WARNING = expect.objectContaining({ level: 'warn', event: 'config.allowed_hosts_unset', setting: 'GATEWAY_ALLOWED_HOSTS' });

describe('GATEWAY_ALLOWED_HOSTS unset, production profile', () => {
  it('refuses a rebinding name as development does, with a message naming the setting and the host, and answers IPs and loopback names', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'production', JWT_SECRET: 'hosts-test-secret-0123456789' });
    const { status, error } = await send(gw, '/openapi.json', `${REBIND}:${gw.port}`);
    expect(status).toBe(421);
    if (error === undefined) throw new Error('421 without a JSON error body');
    expect(error.code).toBe('HOST_NOT_ALLOWED');
    expect(error.message).toContain(`'${REBIND}'`);
    expect(error.message).toContain('GATEWAY_ALLOWED_HOSTS');
    // The operator's list, the bind address and the port are nobody else's business.
    expect(error.message).not.toMatch(/127\.0\.0\.1|localhost|GATEWAY_ENV|production/);
    expect(error.message).not.toContain(String(gw.port));
    expect(error.details).toEqual({ host: REBIND });
    expect((await get(gw, '/openapi.json', 'api.example.com')).status).toBe(421);
    expect(await door(gw, REBIND)).toBe('HTTP 421');
    // Probes and clients by address keep working, as do loopback names.
    for (const host of [`127.0.0.1:${gw.port}`, '10.1.2.3', `[::1]:${gw.port}`, `localhost:${gw.port}`, 'app.localhost']) {
      expect((await get(gw, '/openapi.json', host)).status, host).toBe(200);
    }
    expect(await door(gw, `127.0.0.1:${gw.port}`)).toBe('connected');
  });

  it('says so in one warn line at start-up; not in development, nor once a host is named', async () => {
    const production = capturedLog('allowed-hosts-test');
    await gateway({ GATEWAY_ENV: 'production', JWT_SECRET: 'hosts-test-secret-0123456789' }, { logger: production.logger });
    const warnings = production.lines.filter((line) => line.event === 'config.allowed_hosts_unset');
    expect(warnings).toEqual([UNSET_WARNING]);
    expect(warnings[0]?.msg).toMatch(/only IP addresses.*localhost.*until GATEWAY_ALLOWED_HOSTS is set/);
    const development = capturedLog('allowed-hosts-test');
    await gateway({ GATEWAY_ENV: 'development' }, { logger: development.logger });
    const named = capturedLog('allowed-hosts-test');
    await gateway(
      { GATEWAY_ENV: 'production', JWT_SECRET: 'hosts-test-secret-0123456789', GATEWAY_ALLOWED_HOSTS: 'api.example.com' },
      { logger: named.logger },
    );
    expect([...development.lines, ...named.lines]).not.toContainEqual(UNSET_WARNING);
  });
});

describe('GATEWAY_ALLOWED_HOSTS', () => {
  it('an explicit list answers its names, its suffixes, IPs and loopback names, and nothing else', async () => {
    const gw = await gateway({
      GATEWAY_ENV: 'production',
      JWT_SECRET: 'hosts-test-secret-0123456789',
      GATEWAY_ALLOWED_HOSTS: 'api.example.com, .markets.example, *.internal.example',
    });
    for (const host of [
      'api.example.com',
      'API.example.com:443',
      'markets.example',
      'eu.markets.example',
      'a.internal.example',
      '192.0.2.7:8000',
      'localhost',
    ]) {
      expect((await get(gw, '/openapi.json', host)).status, host).toBe(200);
    }
    for (const host of ['example.com', 'api.example.com.evil.example', 'xmarkets.example', 'internal.example.evil', REBIND]) {
      expect(await get(gw, '/openapi.json', host), host).toEqual({ status: 421, code: 'HOST_NOT_ALLOWED' });
    }
    expect(await door(gw, 'evil.example')).toBe('HTTP 421');
    expect(await door(gw, 'api.example.com')).toBe('connected');
  });

  it('is checked at start-up, with a message naming the setting and the bad entries', () => {
    expect(() => loadGatewayConfig({ GATEWAY_ALLOWED_HOSTS: 'ok.example, http://x.example, a b' })).toThrow(
      /GATEWAY_ALLOWED_HOSTS.*'http:\/\/x\.example', 'a b' are not/,
    );
    expect(() => loadGatewayConfig({ GATEWAY_ALLOWED_HOSTS: '*' })).not.toThrow();
  });
});

/** Sends one raw request with `host` as the Host line; resolves the status of the answer (0: closed without one). */
function rawStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.end(`GET /openapi.json HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

describe('any Host value', () => {
  it('never gets a 5xx nor stops the gateway (fast-check, seeded)', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'development' });
    const hosts = fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV6().map((ip) => `[${ip}]`),
      fc.tuple(fc.domain(), fc.integer({ min: 0, max: 99999 })).map(([d, p]) => `${d}:${p}`),
      fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, '')),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(hosts, async (host) => {
        const status = await rawStatus(gw.port, host);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { seed: 2026, numRuns: 200 },
    );
    expect((await get(gw, '/openapi.json', 'localhost')).status).toBe(200);
  });

  it('missing on HTTP/1.1 is refused by Node (400) before the check', async () => {
    const gw = await gateway({ GATEWAY_ENV: 'development' });
    const status = await new Promise<number>((resolve) => {
      const socket = connect(gw.port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += String(chunk)));
      socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
      socket.end('GET /openapi.json HTTP/1.1\r\nConnection: close\r\n\r\n');
    });
    expect(status).toBe(400);
  });
});
