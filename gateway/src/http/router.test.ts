import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRouter } from './router';

// The gateway's own routes (/health, /info, /ws/stats and whatever is mounted): 405 with Allow,
// a 413 for a body announced over HTTP_MAX_BODY_BYTES whatever the route, and a failing handler
// answering INTERNAL with an error id its log line carries, never the exception's text.

const lines: Record<string, unknown>[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const logs = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const router = new HttpRouter({ maxBodyBytes: 1024, logger: createLogger('router-test', {}, { level: 'error', destination: logs }) })
    .route('GET', '/health', (_req, res) => void res.writeHead(200).end('ok'))
    .route('POST', '/echo', (req, res) => void req.pipe(res))
    .route('GET', '/boom', () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:5432');
    })
    .mount('/api', (_req, res) => void res.writeHead(200).end('api'));
  server = createServer((req, res) => router.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function post(path: string, body: Buffer): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HttpRouter', () => {
  it('answers 405 with Allow for a method an exact route does not serve', async () => {
    const res = await fetch(`${base}/health`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('refuses a body announced over the limit on any route with 413 and closes the connection', async () => {
    for (const path of ['/echo', '/health', '/api/anything']) {
      const res = await post(path, Buffer.alloc(4096, 'a'));
      expect(res.status, path).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(res.text).error).toMatchObject({ code: 'BODY_TOO_LARGE', details: { max_bytes: 1024 } });
    }
    expect((await post('/echo', Buffer.from('small'))).text).toBe('small');
  });

  it('answers a failing handler with INTERNAL and an error id the log line carries, not the exception text', async () => {
    const res = await fetch(`${base}/boom`);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).not.toContain('10.1.2.3');
    const { error } = JSON.parse(text) as { error: { code: string; details: { error_id: string } } };
    expect(error.code).toBe('INTERNAL');
    expect(lines.some((l) => l.error_id === error.details.error_id)).toBe(true);
  });

  it('answers a request target no URL parser accepts with 400 MALFORMED_URL, and keeps serving', async () => {
    // Node's HTTP parser lets these through; `new URL` throws on them inside the request listener.
    for (const target of ['//', '//[', 'http://[', '//a:b@[::1/x', '//%zz:99999']) {
      const answer = await rawRequest(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer.split('\r\n')[0], target).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code, target).toBe('MALFORMED_URL');
    }
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

/** What the server answers to `text` sent as is on a fresh connection (fetch normalizes the target). */
function rawRequest(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
