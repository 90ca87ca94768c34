import net from 'node:net';
import { waitFor } from '@marketpulse/tests';

// A WebSocket client on a bare TCP socket, for what `ws` refuses to send: any request target,
// and frames that break RFC 6455 (unmasked, reserved bits and opcodes, oversized control frames).

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

export interface RawClient {
  /** The server's HTTP response head (status line and headers). */
  readonly head: string;
  readonly frames: ServerFrame[];
  write(bytes: Buffer): void;
  /** The server's close frame: its code and reason (waits for it). */
  closeFrame(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  /** The server's text messages, parsed. */
  texts(): Record<string, any>[];
  destroy(): void;
}

/** One client frame: masked unless `mask` is false; `rsv` is the three RSV bits (4 = RSV1). */
export function clientFrame(opcode: number, payload: Buffer | string, { fin = true, mask = true, rsv = 0 } = {}): Buffer {
  const body = Buffer.from(payload);
  const len = body.length;
  const head = Buffer.alloc(len < 126 ? 2 : len < 65536 ? 4 : 10);
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!mask) return Buffer.concat([head, body]);
  head[1]! |= 0x80;
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([head, key, body]);
}

/** Opens a WebSocket handshake for `target` (the request line's target, sent as is) and resolves with the server's answer. */
export function rawConnect(port: number, target: string, headers: Record<string, string> = {}): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  const frames: ServerFrame[] = [];
  let buffered = Buffer.alloc(0);
  let head: string | undefined;
  const parse = () => {
    for (;;) {
      if (buffered.length < 2) return;
      let len = buffered[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buffered.length < 4) return;
        len = buffered.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return;
        len = Number(buffered.readBigUInt64BE(2));
        at = 10;
      }
      if (buffered.length < at + len) return;
      frames.push({ opcode: buffered[0]! & 0x0f, payload: Buffer.from(buffered.subarray(at, at + len)) });
      buffered = buffered.subarray(at + len);
    }
  };
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('connect', () =>
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      ),
    );
    socket.on('close', () => reject(new Error(`connection closed before the handshake's answer to ${target}`)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (head === undefined) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buffered.subarray(0, end).toString('latin1');
        buffered = buffered.subarray(end + 4);
        resolve(client(head));
      }
      parse();
    });
  });

  function client(responseHead: string): RawClient {
    return {
      head: responseHead,
      frames,
      write: (bytes) => socket.write(bytes),
      async closeFrame(timeoutMs = 10_000) {
        const close = await waitFor(() => frames.find((f) => f.opcode === 0x8), {
          what: `a close frame (got opcodes ${frames.map((f) => f.opcode).join(', ') || 'none'})`,
          timeoutMs,
          intervalMs: 10,
        });
        return {
          code: close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005,
          reason: close.payload.subarray(2).toString(),
        };
      },
      texts: () => frames.filter((f) => f.opcode === 0x1).map((f) => JSON.parse(f.payload.toString()) as Record<string, any>),
      destroy: () => socket.destroy(),
    };
  }
}
