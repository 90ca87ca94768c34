import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSender } from './sender_http';

let server: http.Server;
let port = 0;
const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      if (req.url === '/ok') res.writeHead(204).end();
      else if (req.url === '/busy') res.writeHead(429, { 'retry-after': '7' }).end('slow down');
      else if (req.url === '/huge') res.writeHead(200).end('x'.repeat(1_000_000));
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  sender.close();
  server.closeAllConnections();
  server.close();
});

const sender = new HttpSender();
const target = (path: string) => ({ url: new URL(`http://receiver.test:${port}${path}`), address: '127.0.0.1', family: 4 as const });

describe('HttpSender', () => {
  it('reports a header value Node cannot send (outside Latin-1) as a failed attempt instead of throwing', async () => {
    // Issue 13: such a header (stored before endpoints were checked) made the send throw, so the
    // test call answered 500 and the endpoint's deliveries never finished.
    const r = await sender.send({
      target: target('/ok'),
      headers: { 'x-name': '日本' },
      body: '{}',
      timeoutMs: 10_000,
      maxResponseBytes: 100,
    });
    expect(r.statusCode).toBeUndefined();
    expect(r.error).toMatch(/ERR_INVALID_CHAR|Invalid character/);
  });

  it('posts the body and headers to the vetted address, whatever the host name resolves to', async () => {
    const r = await sender.send({
      target: target('/ok'),
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
      body: '{"a":1}',
      timeoutMs: 10_000,
      maxResponseBytes: 100,
    });
    expect(r.statusCode).toBe(204);
    const last = seen[seen.length - 1];
    expect(last.body).toBe('{"a":1}');
    expect(last.headers['webhook-id']).toBe('msg_1');
    expect(last.headers.host).toBe(`receiver.test:${port}`);
  });

  it('returns the status, Retry-After and an excerpt of the response', async () => {
    const r = await sender.send({ target: target('/busy'), headers: {}, body: '{}', timeoutMs: 10_000, maxResponseBytes: 100 });
    expect(r).toMatchObject({ statusCode: 429, retryAfter: '7', responseExcerpt: 'slow down' });
  });

  it('reads a large response only up to the cap', async () => {
    const r = await sender.send({ target: target('/huge'), headers: {}, body: '{}', timeoutMs: 10_000, maxResponseBytes: 1024 });
    expect(r.statusCode).toBe(200);
    expect(r.responseExcerpt).toHaveLength(1024);
  });

  it('gives up at the deadline and says so', async () => {
    const r = await sender.send({ target: target('/slow'), headers: {}, body: '{}', timeoutMs: 200, maxResponseBytes: 100 });
    expect(r.statusCode).toBeUndefined();
    // The receiver answers 200 after 2 s: no status means the sender stopped waiting at its deadline.
    expect(r.error).toMatch(/within 200 ms/);
  });

  it('reports a refused connection', async () => {
    const r = await sender.send({
      target: { url: new URL('http://127.0.0.1:1/'), address: '127.0.0.1', family: 4 },
      headers: {},
      body: '{}',
      timeoutMs: 10_000,
      maxResponseBytes: 100,
    });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });
});
