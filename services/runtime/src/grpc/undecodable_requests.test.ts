import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGrpcError } from './errors';
import { startGrpcServer, type GrpcServerHandle } from './server';

// Request bytes that are not the method's message, sent to the services every gRPC server of the suite
// hosts besides its own: grpc.health.v1 (grpc-health-check's handlers) and server reflection. Before,
// health answered INTERNAL "Error deserializing request: index out of range: 2 + 3 > 3" (grpc-js's
// words: a server fault, quoting the decoder) where every method of ours answers INVALID_ARGUMENT with
// the suite's code and reason. Now they answer alike. Good requests: server.test.ts, reflection.test.ts,
// tests/contract/grpcurl.test.ts (grpcurl) and the services' readiness probes.

const identity = (b: Buffer) => b;
/** Field 2, length 3, then one byte: a field that runs past the end of the message. */
const TRUNCATED = Buffer.from([0x12, 0x03, 0x41]);
/** Field 2 of wire type 7, which does not exist. */
const NOT_PROTOBUF = Buffer.from([0x17, 0x01]);

const EXPECTED = {
  code: grpc.status.INVALID_ARGUMENT,
  reason: 'INVALID_ARGUMENT',
  domain: 'marketpulse',
};

let handle: GrpcServerHandle;
let client: grpc.Client;

beforeAll(async () => {
  handle = await startGrpcServer({ port: 0, host: '127.0.0.1', services: [] });
  client = new grpc.Client(`127.0.0.1:${handle.port}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await handle?.close(100);
});

const deadline = () => ({ deadline: Date.now() + 15_000 });

function unary(path: string, bytes: Buffer): Promise<unknown> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, identity, identity, bytes, new grpc.Metadata(), deadline(), (err, res) => resolve(err ?? res)),
  );
}

/** The status a stream ends with (the messages before it ignored). */
function streamStatus(call: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>): Promise<unknown> {
  return new Promise((resolve) => {
    call.on('data', () => undefined);
    call.on('error', resolve);
    call.on('status', (status: grpc.StatusObject) => status.code === grpc.status.OK && resolve(status));
  });
}

describe('undecodable requests to the health and reflection services', () => {
  it.each([
    ['Check', TRUNCATED, 'it is truncated'],
    ['Check', NOT_PROTOBUF, 'it is not valid protobuf for this method'],
    ['List', TRUNCATED, 'it is truncated'],
  ])('grpc.health.v1.Health/%s answers INVALID_ARGUMENT with the suite code, not INTERNAL (%#)', async (method, bytes, reason) => {
    const err = readGrpcError(await unary(`/grpc.health.v1.Health/${method}`, bytes));
    expect(err).toMatchObject(EXPECTED);
    expect(err?.message).toContain(`the request could not be decoded: ${reason}`);
  });

  it('grpc.health.v1.Health/Watch ends the stream INVALID_ARGUMENT with the suite code', async () => {
    const call = client.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      identity,
      identity,
      TRUNCATED,
      new grpc.Metadata(),
      deadline(),
    );
    const err = readGrpcError(await streamStatus(call));
    expect(err).toMatchObject(EXPECTED);
    expect(err?.message).toContain('the request could not be decoded: it is truncated');
  });

  it.each(['v1', 'v1alpha'])(
    'grpc.reflection.%s ServerReflectionInfo ends the stream INVALID_ARGUMENT with the suite code',
    async (version) => {
      const call = client.makeBidiStreamRequest(
        `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        identity,
        identity,
        new grpc.Metadata(),
        deadline(),
      );
      const ended = streamStatus(call);
      call.write(TRUNCATED);
      const err = readGrpcError(await ended);
      call.end();
      expect(err).toMatchObject(EXPECTED);
      expect(err?.message).toContain('the request could not be decoded: it is truncated');
    },
  );

  it('names JSON (application/grpc+json) as what it cannot read, over raw HTTP/2', async () => {
    // grpc-js drops the content-type before any code of ours runs: the bytes tell (a `{` is never proto3).
    const session = http2.connect(`http://127.0.0.1:${handle.port}`);
    try {
      const body = Buffer.from('{"service":""}');
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
      const req = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc+json',
        te: 'trailers',
      });
      // An error before any message is a Trailers-Only answer: the status comes in the response headers.
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => {
        req.on('response', (h) => h['grpc-status'] !== undefined && resolve(h));
        req.on('trailers', resolve);
      });
      req.resume();
      req.end(frame);
      const t = await trailers;
      expect(Number(t['grpc-status'])).toBe(grpc.status.INVALID_ARGUMENT);
      expect(decodeURIComponent(String(t['grpc-message']))).toBe(
        'the request could not be decoded: it looks like JSON, and this server reads protobuf only (application/grpc or application/grpc+proto, not application/grpc+json)',
      );
      expect(t['mp-error-code']).toBe('INVALID_ARGUMENT');
    } finally {
      session.destroy();
    }
  });

  it('still answers a good health check after them', async () => {
    // HealthCheckRequest{service: ""} is the empty message; SERVING is field 1 = 1.
    expect(await unary('/grpc.health.v1.Health/Check', Buffer.alloc(0))).toEqual(Buffer.from([0x08, 0x01]));
  });
});
