import { connect } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { createLogger } from '@marketpulse/runtime';
import { waitFor } from '@marketpulse/tests';
import { CLOSE, loadGatewayConfig, startGateway, type GatewayHandle } from '@marketpulse/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from './gateway_ws_client';
import { clientFrame, rawConnect } from './raw_ws_client';

// Hostile input below the JSON layer, which the fuzz suites' `ws` client cannot send: request
// targets no URL parser takes, and frames that break RFC 6455. Each gets a close code from
// gateway/src/ws/codes.ts with the table's reason, and the gateway keeps serving.

const logger = createLogger('gateway-ws-frames', {}, { level: 'silent' });
const MAX_MESSAGE_BYTES = 64 * 1024;
let gateway: GatewayHandle;

beforeAll(async () => {
  const config = loadGatewayConfig({
    SERVICE_NAME: 'gateway-ws-frames',
    BUS: 'memory',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'silent',
    WS_DEFLATE: 'true',
    WS_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
  });
  gateway = await startGateway(config, { logger, api: false });
});

afterAll(async () => {
  await gateway?.close();
});

/** The gateway still opens a door and answers a ping. */
async function stillServes(): Promise<void> {
  const client = connectClient(`ws://127.0.0.1:${gateway.port}/ws/stream`);
  await client.opened();
  client.send({ type: 'ping' });
  await client.next('pong');
  client.close();
}

describe('upgrade requests', () => {
  it('refuses a request target no URL parser takes with UNKNOWN_ENDPOINT (4004) and keeps running', async () => {
    for (const target of ['http://[', 'http://:99999/ws/stream', 'http://[::1/ws/stream']) {
      const client = await rawConnect(gateway.port, target);
      expect(client.head, target).toMatch(/^HTTP\/1\.1 101/);
      expect(await client.closeFrame(), target).toEqual({ code: CLOSE.UNKNOWN_ENDPOINT.code, reason: CLOSE.UNKNOWN_ENDPOINT.reason });
      expect(client.texts()[0], target).toMatchObject({ type: 'error', code: 'UNKNOWN_ENDPOINT' });
      client.destroy();
    }
    await stillServes();
  });
});

/** Sends `request` as is on a fresh connection and resolves with all the server sent before it closed. */
function exchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('handshakes the ws library refuses', () => {
  const upgrade = (method: string, headers: string) =>
    `${method} /ws/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`;
  const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  const CASES = [
    {
      name: 'a malformed subprotocol list',
      request: upgrade('GET', `${key}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a,,b\r\n`),
      status: 400,
      names: 'Sec-WebSocket-Protocol',
    },
    {
      name: 'a subprotocol offered twice',
      request: upgrade('GET', `${key}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: json, json\r\n`),
      status: 400,
      names: 'Sec-WebSocket-Protocol',
    },
    {
      name: 'a malformed extension offer',
      request: upgrade('GET', `${key}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; =\r\n`),
      status: 400,
      names: 'Sec-WebSocket-Extensions',
    },
    { name: 'no key', request: upgrade('GET', 'Sec-WebSocket-Version: 13\r\n'), status: 400, names: 'Sec-WebSocket-Key' },
    {
      name: 'an unknown version',
      request: upgrade('GET', `${key}Sec-WebSocket-Version: 99\r\n`),
      status: 400,
      names: 'Sec-WebSocket-Version',
    },
    { name: 'a POST upgrade', request: upgrade('POST', `${key}Sec-WebSocket-Version: 13\r\n`), status: 405, names: 'method' },
  ];
  for (const c of CASES) {
    it(`answers ${c.name} with ${c.status} INVALID_HANDSHAKE in the JSON error shape`, async () => {
      const answer = await exchange(c.request);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${c.status} `));
      expect(head!.toLowerCase()).toContain('content-type: application/json');
      const error = (JSON.parse(body!) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('INVALID_HANDSHAKE');
      expect(error.message).toContain(c.names);
    });
  }

  it('keeps serving', async () => {
    await stillServes();
  });
});

const text = '{"type":"ping"}';
/** 16 MiB of spaces in a ~16 KiB permessage-deflate frame: inflated, 256 times WS_MAX_MESSAGE_BYTES. */
const bomb = deflateRawSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 });

const BREACHES: { name: string; frames: Buffer[]; deflate?: boolean; close: { code: number; reason: string } }[] = [
  { name: 'an unmasked frame', frames: [clientFrame(0x1, text, { mask: false })], close: CLOSE.PROTOCOL_ERROR },
  { name: 'RSV2 set', frames: [clientFrame(0x1, text, { rsv: 2 })], close: CLOSE.PROTOCOL_ERROR },
  { name: 'RSV1 without permessage-deflate', frames: [clientFrame(0x1, text, { rsv: 4 })], close: CLOSE.PROTOCOL_ERROR },
  { name: 'reserved data opcode 0x3', frames: [clientFrame(0x3, 'x')], close: CLOSE.PROTOCOL_ERROR },
  { name: 'reserved control opcode 0xB', frames: [clientFrame(0xb, 'x')], close: CLOSE.PROTOCOL_ERROR },
  { name: 'a ping of 126 bytes', frames: [clientFrame(0x9, Buffer.alloc(126, 0x61))], close: CLOSE.PROTOCOL_ERROR },
  { name: 'a fragmented ping', frames: [clientFrame(0x9, 'hi', { fin: false })], close: CLOSE.PROTOCOL_ERROR },
  { name: 'a continuation with no message started', frames: [clientFrame(0x0, 'x')], close: CLOSE.PROTOCOL_ERROR },
  {
    name: 'a new text frame inside a fragmented message',
    frames: [clientFrame(0x1, '{"type":', { fin: false }), clientFrame(0x1, '"ping"}')],
    close: CLOSE.PROTOCOL_ERROR,
  },
  { name: 'a close frame with code 999', frames: [clientFrame(0x8, Buffer.from([0x03, 0xe7]))], close: CLOSE.PROTOCOL_ERROR },
  { name: 'a close frame of one byte', frames: [clientFrame(0x8, Buffer.from([0x03]))], close: CLOSE.PROTOCOL_ERROR },
  {
    name: 'invalid UTF-8 in a text frame',
    frames: [clientFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
    close: CLOSE.INVALID_PAYLOAD,
  },
  {
    name: 'invalid UTF-8 in a close reason',
    frames: [clientFrame(0x8, Buffer.from([0x03, 0xe8, 0xc3, 0x28]))],
    close: CLOSE.INVALID_PAYLOAD,
  },
  {
    name: 'a fragmented message that outgrows WS_MAX_MESSAGE_BYTES',
    frames: [
      clientFrame(0x1, '{"type":"ping","pad":"', { fin: false }),
      ...Array.from({ length: 3 }, () => clientFrame(0x0, 'x'.repeat(MAX_MESSAGE_BYTES / 2), { fin: false })),
    ],
    close: CLOSE.MESSAGE_TOO_BIG,
  },
  { name: 'a permessage-deflate bomb', frames: [clientFrame(0x1, bomb, { rsv: 4 })], deflate: true, close: CLOSE.MESSAGE_TOO_BIG },
];

describe('frames that break RFC 6455', () => {
  it.each(BREACHES)('closes on $name with a code and reason from codes.ts', async ({ frames, deflate, close }) => {
    const client = await rawConnect(gateway.port, '/ws/stream', deflate ? { 'Sec-WebSocket-Extensions': 'permessage-deflate' } : {});
    expect(client.head).toMatch(/^HTTP\/1\.1 101/);
    if (deflate) expect(client.head).toMatch(/permessage-deflate/i);
    for (const frame of frames) client.write(frame);
    expect(await client.closeFrame()).toEqual({ code: close.code, reason: close.reason });
    client.destroy();
    await stillServes();
  });

  it('answers a ping frame inside a fragmented message and the message itself', async () => {
    const client = await rawConnect(gateway.port, '/ws/stream');
    client.write(clientFrame(0x1, '{"type":', { fin: false }));
    client.write(clientFrame(0x9, 'hi'));
    client.write(clientFrame(0x0, '"ping"}'));
    await waitFor(() => client.texts().some((m) => m.type === 'pong'), { what: 'a pong message', intervalMs: 10 });
    expect(client.frames.find((f) => f.opcode === 0xa)?.payload.toString()).toBe('hi');
    expect(client.frames.some((f) => f.opcode === 0x8)).toBe(false);
    client.destroy();
  });
});
