import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRouter } from './router';
import { startHttpServer, type HttpServerHandle } from './server';

// What Node's HTTP server refuses before any route runs: a request trickled slower than
// HTTP_REQUEST_TIMEOUT_MS (without a limit of its own, Node waits 300 s for a body and holds the
// connection meanwhile), headers past its limit, bytes that are not HTTP. Each is answered in the
// gateway's one JSON error shape with a stable code, and the connection is closed.

let http: HttpServerHandle;

beforeAll(async () => {
  // As the API's routes do: the whole body read, then one answer.
  const router = new HttpRouter({ maxBodyBytes: 1024 }).route('POST', '/echo', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
    });
  });
  http = await startHttpServer({ host: '127.0.0.1', port: 0, router, upgrade: (_req, socket) => socket.destroy(), requestTimeoutMs: 1000 });
});

afterAll(() => http.close());

/** Sends `bytes` on a fresh connection (then nothing more, the connection left open) and resolves with all the server sent before it closed. */
function exchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(http.port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parse(answer: string): { status: number; headers: string; body: { error: { code: string; message: string } } } {
  const [head, body] = answer.split('\r\n\r\n');
  return { status: Number(head!.split(' ')[1]), headers: head!.toLowerCase(), body: JSON.parse(body!) };
}

describe('requests Node refuses before any route', () => {
  it('answers a body trickled past HTTP_REQUEST_TIMEOUT_MS with 408 REQUEST_TIMEOUT and closes the connection', async () => {
    const answer = parse(
      await exchange('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":'),
    );
    expect(answer.status).toBe(408);
    expect(answer.headers).toContain('content-type: application/json');
    expect(answer.body.error.code).toBe('REQUEST_TIMEOUT');
    expect(answer.body.error.message).toContain('HTTP_REQUEST_TIMEOUT_MS');
  }, 20_000);

  it('answers headers that never end the same way', async () => {
    const answer = parse(await exchange('GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: a'));
    expect(answer.status).toBe(408);
    expect(answer.body.error.code).toBe('REQUEST_TIMEOUT');
  }, 20_000);

  it('answers headers past the limit with 431 HEADERS_TOO_LARGE', async () => {
    const answer = parse(await exchange(`GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(answer.status).toBe(431);
    expect(answer.body.error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('answers bytes that are not HTTP with 400 MALFORMED_REQUEST', async () => {
    for (const garbage of [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/1.1\r\nHost x\r\n\r\n',
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      const answer = parse(await exchange(garbage));
      expect(answer.status, garbage).toBe(400);
      expect(answer.body.error.code, garbage).toBe('MALFORMED_REQUEST');
    }
  });

  it('still serves a request sent at once', async () => {
    const answer = await exchange('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.split('\r\n\r\n')[1]).toBe('hi');
  });
});
