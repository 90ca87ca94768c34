// A receive-only WebSocket client on a bare TCP socket, for the load generator. The `ws` client
// costs about 9.5 µs of CPU per message received (stream machinery, a Buffer and an event per
// message): at 100,000 messages/s that is 95 % of a core, so the load generator's own queue set
// the latency tail of every server measured. Here every socket reads into one shared buffer
// (net's `onread`), frames are parsed in place and a message costs a marker search.
import { Socket, connect } from 'node:net';

/** Called for every text message with the buffer and the payload's bounds (valid only during the call). */
export type OnText = (buf: Buffer, start: number, end: number) => void;

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const HEADER_END = Buffer.from('\r\n\r\n');
/** How the doors' application ping starts (seed 000: `{"type":"ping", ...}`). */
const APP_PING = Buffer.from('{"type":"ping"');
const APP_PONG = Buffer.from('{"type":"pong"}');
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** A client frame: FIN, the opcode, the mask bit with an all-zero key (so the payload is unchanged). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('control and reply frames here stay under 126 bytes');
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

export class RawWsClient {
  private upgraded = false;
  /** Bytes of an incomplete frame (or response head), copied out of the shared buffer. */
  private carry: Buffer | undefined;
  private readonly socket: Socket;
  private readonly onText: OnText;
  closed = false;

  constructor(url: URL, onOpen: () => void, onFail: (reason: string) => void, onText: OnText, onClose: () => void) {
    this.onText = onText;
    this.socket = connect({
      host: url.hostname,
      port: Number(url.port),
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Buffer) => {
          this.received(buf, n, onOpen, onFail);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.once('connect', () =>
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: bWFya2V0cHVsc2Utd3MtYg==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    this.socket.once('error', (err) => (this.upgraded ? undefined : onFail(err.message)));
    this.socket.once('close', () => {
      this.closed = true;
      onClose();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends one text message (a subscribe command, a reply to an application ping). */
  sendText(text: string): void {
    const payload = Buffer.from(text);
    if (payload.length < 126) return void this.socket.write(clientFrame(OP_TEXT, payload));
    if (payload.length > 0xffff) throw new Error('messages sent here stay under 64 KiB');
    const head = Buffer.from([0x80 | OP_TEXT, 0x80 | 126, 0, 0, 0, 0, 0, 0]);
    head.writeUInt16BE(payload.length, 2);
    this.socket.write(Buffer.concat([head, payload]));
  }

  private received(chunk: Buffer, n: number, onOpen: () => void, onFail: (reason: string) => void): void {
    let buf = chunk;
    let end = n;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk.subarray(0, n)]);
      end = buf.length;
      this.carry = undefined;
    }
    let pos = 0;
    if (!this.upgraded) {
      const head = buf.subarray(0, end).indexOf(HEADER_END);
      if (head < 0) return this.keep(buf, 0, end);
      if (!buf.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) {
        onFail(buf.toString('latin1', 0, Math.min(head, 200)));
        this.socket.destroy();
        return;
      }
      this.upgraded = true;
      pos = head + HEADER_END.length;
      onOpen();
    }
    while (pos < end) {
      if (end - pos < 2) return this.keep(buf, pos, end);
      const opcode = buf[pos]! & 0x0f;
      let length = buf[pos + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (end - pos < 4) return this.keep(buf, pos, end);
        length = buf.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (end - pos < 10) return this.keep(buf, pos, end);
        length = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
        header = 10;
      }
      if (end - pos < header + length) return this.keep(buf, pos, end);
      const start = pos + header;
      pos = start + length;
      if (opcode === OP_TEXT) {
        if (length >= APP_PING.length && buf.compare(APP_PING, 0, APP_PING.length, start, start + APP_PING.length) === 0)
          this.socket.write(clientFrame(OP_TEXT, APP_PONG));
        else this.onText(buf, start, pos);
      } else if (opcode === OP_PING) {
        this.socket.write(clientFrame(OP_PONG, Buffer.from(buf.subarray(start, pos))));
      } else if (opcode === OP_CLOSE) {
        this.socket.end(clientFrame(OP_CLOSE, Buffer.from(buf.subarray(start, pos))));
      }
    }
  }

  /** The shared buffer is overwritten by the next read: an incomplete tail is copied out. */
  private keep(buf: Buffer, from: number, end: number): void {
    this.carry = Buffer.from(buf.subarray(from, end));
  }
}
