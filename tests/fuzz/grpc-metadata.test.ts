import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServices, type GrpcServices } from './grpc_services.kit';

// Malformed gRPC metadata, sent as raw HTTP/2 (node:http2: no gRPC client would send it) to one
// unary RPC of every gRPC server of the suite. Several answers come from grpc-js or Node's HTTP/2
// layer before any code of ours runs; they are pinned here with their exact status and message (as
// ERRORS.md lists them), so a library upgrade that changes one is noticed. None may crash or hang a
// server: each case ends with a clear answer, and every server still answers a normal call after.

/** One cheap unary RPC per server; `ok` is the status a well-formed request with an empty message gets. */
const TARGETS: Record<string, string> = {
  'market-data': '/marketpulse.market.v1.MarketDataService/ListSymbols',
  prediction: '/marketpulse.prediction.v1.PredictionService/GetPrediction',
  alerting: '/marketpulse.alerting.v1.AlertingService/CreateRule',
  'webhook-delivery': '/marketpulse.webhooks.v1.WebhookService/CreateEndpoint',
  'provider-monitor': '/marketpulse.providers.v1.ProviderMonitorService/ListProviders',
  'gateway-publish': '/marketpulse.realtime.v1.PublishService/Publish',
};

interface RawAnswer {
  http?: number;
  grpcStatus?: number;
  grpcMessage?: string;
  /** How the HTTP/2 stream ended: `closed`, `reset <code>`, or `no answer` (the bounded guard). */
  end: string;
}

/** One request over node:http2 with exactly these headers (undefined ones left out) and this body. */
function rawCall(address: string, headers: http2.OutgoingHttpHeaders, body: Buffer): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${address}`);
    const answer: RawAnswer = { end: 'no answer' };
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) answer.grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) answer.grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    const done = (end: string) => {
      clearTimeout(guard);
      if (answer.end === 'no answer') answer.end = end;
      session.destroy();
      resolve(answer);
    };
    const guard = setTimeout(() => done('no answer'), 15_000);
    session.on('error', (e) => done(`session error: ${e.message}`));
    const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    const req = session.request(sent);
    req.on('response', (h) => {
      answer.http = Number(h[':status']);
      read(h);
    });
    req.on('trailers', read);
    req.on('error', () => undefined);
    req.on('close', () => done(req.rstCode ? `reset ${req.rstCode}` : 'closed'));
    req.resume();
    req.end(body);
  });
}

/** A gRPC length-prefixed message: flag (1 = compressed), 4-byte length, bytes. */
const framed = (bytes: Buffer, compressed = 0) => {
  const head = Buffer.alloc(5);
  head.writeUInt8(compressed, 0);
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
};
const EMPTY = framed(Buffer.alloc(0));

function headersFor(path: string, extra: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  return { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra };
}

/** Node's HTTP/2 server takes 128 header fields per request (maxHeaderListPairs), pseudo-headers included. */
const manyEntries = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-entry-${i}`, 'v']));

let suite: GrpcServices;

beforeAll(async () => {
  suite = await startGrpcServices('grpc-metadata');
}, 120_000);
afterAll(async () => suite?.close());

describe.each(Object.keys(TARGETS))('malformed gRPC metadata to %s', (name) => {
  const path = TARGETS[name]!;
  const call = (extra: http2.OutgoingHttpHeaders, body = EMPTY) => rawCall(suite.addresses[name]!, headersFor(path, extra), body);

  it.each(['abc', '1x', '', 'S', '+S', '999999999'])(
    'grpc-timeout %j: grpc-js answers INTERNAL "Invalid grpc-timeout value" before our code, and the server lives on',
    async (value) => {
      expect(await call({ 'grpc-timeout': value })).toEqual({
        http: 200,
        grpcStatus: grpc.status.INTERNAL,
        grpcMessage: `Invalid grpc-timeout value "${value}"`,
        end: 'closed',
      });
      const again = await call({});
      expect(again.end).toBe('closed');
      expect(again.grpcStatus).not.toBe(grpc.status.INTERNAL);
    },
  );

  it('ignores metadata that only describes the client (unknown accept-encoding, no te, an unknown encoding on an uncompressed message) and reads a sloppy timeout leniently', async () => {
    const baseline = await call({});
    expect(baseline).toMatchObject({ http: 200, end: 'closed' });
    expect([grpc.status.INTERNAL, grpc.status.UNKNOWN]).not.toContain(baseline.grpcStatus);
    for (const extra of [
      { 'grpc-accept-encoding': '\u0001;;,,==zzz' },
      { te: undefined },
      { 'grpc-encoding': 'made-up' },
      { 'grpc-timeout': '99999999H' },
      // grpc-js takes the first `<1-8 digits><unit>` anywhere in the value: "-1S" is 1 s, "1.5S" 5 s.
      { 'grpc-timeout': '-1S' },
      { 'grpc-timeout': '1.5S' },
    ]) {
      expect(await call(extra)).toEqual(baseline);
    }
  });

  it('answers a compressed message in an encoding it does not know UNIMPLEMENTED, undecompressable gzip INTERNAL, a gzip bomb RESOURCE_EXHAUSTED (grpc-js)', async () => {
    expect(await call({ 'grpc-encoding': 'made-up' }, framed(Buffer.from([1, 2, 3]), 1))).toEqual({
      http: 200,
      grpcStatus: grpc.status.UNIMPLEMENTED,
      grpcMessage: 'Received message compressed with unsupported encoding "made-up"',
      end: 'closed',
    });
    expect(await call({ 'grpc-encoding': 'gzip' }, framed(Buffer.from([1, 2, 3]), 1))).toEqual({
      http: 200,
      grpcStatus: grpc.status.INTERNAL,
      grpcMessage: 'Failed to decompress message',
      end: 'closed',
    });
    // 5 MiB of zeros in about 5 KB of gzip: past grpc-js's 4 MiB receive limit once inflated.
    expect(await call({ 'grpc-encoding': 'gzip' }, framed(gzipSync(Buffer.alloc(5 * 1024 * 1024)), 1))).toEqual({
      http: 200,
      grpcStatus: grpc.status.RESOURCE_EXHAUSTED,
      grpcMessage: 'Received message that decompresses to a size larger than 4194304',
      end: 'closed',
    });
  });

  it('reads application/grpc+json as protobuf (grpc-js drops the content-type first): JSON bytes are INVALID_ARGUMENT naming JSON; another content type is HTTP 415', async () => {
    const json = await call({ 'content-type': 'application/grpc+json' }, framed(Buffer.from('{"symbol":"AAPL"}')));
    expect(json).toEqual({
      http: 200,
      grpcStatus: grpc.status.INVALID_ARGUMENT,
      grpcMessage:
        'the request could not be decoded: it looks like JSON, and this server reads protobuf only (application/grpc or application/grpc+proto, not application/grpc+json)',
      end: 'closed',
    });
    expect(await call({ 'content-type': 'text/plain' })).toEqual({ http: 415, end: 'closed' });
    expect(await call({ 'content-type': undefined })).toEqual({ http: 415, end: 'closed' });
  });

  it('resets a request with more header fields than HTTP/2 takes (RST_STREAM 11, which gRPC clients report as RESOURCE_EXHAUSTED)', async () => {
    expect(await call(manyEntries)).toEqual({ end: `reset ${http2.constants.NGHTTP2_ENHANCE_YOUR_CALM}` });
    const again = await call({});
    expect(again.end).toBe('closed');
  });
});

describe('what a grpc-js client sees of too many metadata entries', () => {
  it('RESOURCE_EXHAUSTED, and the channel works again for the next call', async () => {
    const address = suite.addresses['market-data']!;
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const unary = (metadata: grpc.Metadata) =>
      new Promise<grpc.status>((resolve) =>
        client.makeUnaryRequest(
          TARGETS['market-data']!,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          metadata,
          { deadline: Date.now() + 15_000 },
          (err) => resolve(err ? err.code : grpc.status.OK),
        ),
      );
    const many = new grpc.Metadata();
    for (const [k, v] of Object.entries(manyEntries)) many.set(k, v);
    try {
      expect(grpc.status[await unary(many)]).toBe('RESOURCE_EXHAUSTED');
      expect(grpc.status[await unary(new grpc.Metadata())]).toBe('OK');
    } finally {
      client.close();
    }
  });
});
