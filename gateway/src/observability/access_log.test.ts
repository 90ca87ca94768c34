import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { TrustedProxies } from '../http/client_address';
import { AccessLog } from './access_log';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'gateway',
    {},
    {
      level: 'debug',
      destination: new Writable({
        write(chunk, _e, done) {
          for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          done();
        },
      }),
    },
  );
  return { logger, lines };
}

/** The line is written when the server side of the exchange ends, which may be after the client read the body. */
async function logged(lines: unknown[], n: number): Promise<void> {
  for (const deadline = Date.now() + 10_000; lines.length < n; await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} access line(s)`);
  }
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(log: AccessLog, status: number): Promise<number> {
  server = createServer((req, res) => {
    log.http(req, res);
    res.writeHead(status).end('x');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('AccessLog', () => {
  it('writes one line per HTTP request with method, path, status and duration, never the query string', async () => {
    const { logger, lines } = capture();
    const port = await serve(new AccessLog({ logger, sampleRatio: 1 }), 201);
    await (await fetch(`http://127.0.0.1:${port}/api/v1/things?token=secret-token`, { method: 'POST' })).text();
    await logged(lines, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      event: 'http.request',
      'service.name': 'gateway',
      'http.request.method': 'POST',
      'url.path': '/api/v1/things',
      'http.response.status_code': 201,
      level: 'info',
    });
    expect(typeof lines[0].duration_ms).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('names the client behind a trusted proxy (TRUSTED_PROXIES), and the peer otherwise', async () => {
    const { logger, lines } = capture();
    const behind = await serve(new AccessLog({ logger, sampleRatio: 1, trustedProxies: new TrustedProxies(['127.0.0.1']) }), 200);
    await (await fetch(`http://127.0.0.1:${behind}/a`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).text();
    await logged(lines, 1);
    await new Promise<void>((r) => server!.close(() => r()));
    const direct = await serve(new AccessLog({ logger, sampleRatio: 1 }), 200);
    await (await fetch(`http://127.0.0.1:${direct}/b`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).text();
    await logged(lines, 2);
    expect(lines.map((l) => [l['url.path'], l['client.address']])).toEqual([
      ['/a', '203.0.113.7'],
      ['/b', '127.0.0.1'],
    ]);
  });

  it('samples ordinary answers but always writes errors', async () => {
    const { logger, lines } = capture();
    const ok = await serve(new AccessLog({ logger, sampleRatio: 0 }), 200);
    await (await fetch(`http://127.0.0.1:${ok}/a`)).text();
    await new Promise<void>((r) => server!.close(() => r()));
    const failing = await serve(new AccessLog({ logger, sampleRatio: 0 }), 503);
    await (await fetch(`http://127.0.0.1:${failing}/b`)).text();
    await logged(lines, 1);
    expect(lines.map((l) => [l['url.path'], l.level])).toEqual([['/b', 'error']]);
  });

  it('writes WebSocket closes with code and reason; an abnormal close whatever the sampling', () => {
    const { logger, lines } = capture();
    const log = new AccessLog({ logger, sampleRatio: 0.5, random: () => 0.9 });
    const access = { client_id: 'c1', door: 'market-data', path: '/ws/market-data/AAPL', remote_address: '127.0.0.1' };
    log.wsOpen(access);
    log.wsClose(access, 1000, '', Date.now());
    log.wsClose(access, 4002, 'client too slow', Date.now() - 1500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      event: 'websocket.close',
      door: 'market-data',
      'websocket.close.code': 4002,
      'websocket.close.reason': 'client too slow',
      level: 'warn',
    });
    expect(lines[0].duration_ms as number).toBeGreaterThanOrEqual(1500);
  });
});
