// The resuming client, in its own process so that receiving 30,000 messages at once disturbs
// neither the publisher's timestamps nor the live clients' clocks: connects with ?since=, checks
// that the missed ticks arrive exactly once and in order (their prices are 2, 3, 4, ...), and
// reports how long they took from the request and the CPU it spent on them.
//
// It shares the machine's two cores with the gateway (a real client would be on another machine),
// so it is a lean reader: an HTTP upgrade, then the server's frames read straight off the socket
// (servers never mask; no extension is offered, so none is compressed), each tick checked by the
// price in its bytes, without a WebSocket library's per-message buffers and events, text decoding
// or JSON parsing. It never writes after the handshake: a catch-up lasts seconds, far less than
// the gateway's ping interval.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';

export type CatchUpCommand = { cmd: 'catch-up'; url: string; missed: number };
export type CatchUpReply =
  { cmd: 'ready' } | { cmd: 'caught-up'; ms: number; received: number; cpuMs: number } | { cmd: 'failed'; reason: string };

const send = (m: CatchUpReply) => process.send!(m);
const TICK = Buffer.from('{"type":"market_data_update"');
const PRICE = Buffer.from('"price":');
/** The first missed tick's price (run.mts publishes CATCH ticks 0, 1, then the missed ones from 2). */
const FIRST_PRICE = 2;
const OPCODE_TEXT = 1;
const OPCODE_CLOSE = 8;

/** The number after `"price":` in a tick frame; NaN when there is none. */
function priceOf(frame: Buffer): number {
  const at = frame.indexOf(PRICE);
  if (at < 0) return Number.NaN;
  let end = at + PRICE.length;
  while (end < frame.length && frame[end] !== 0x2c && frame[end] !== 0x7d) end++; // , or }
  return Number(frame.toString('latin1', at + PRICE.length, end));
}

/** Splits the server's byte stream into frames: `onFrame(opcode, payload)`; payloads are slices, copied only when a frame spans two reads. */
function frameReader(onFrame: (opcode: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    let at = 0;
    for (;;) {
      if (buf.length - at < 2) break;
      const opcode = buf[at]! & 0x0f;
      let length = buf[at + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        header = 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        header = 10;
      }
      if (buf.length - at < header + length) break;
      onFrame(opcode, buf.subarray(at + header, at + header + length));
      at += header + length;
    }
    if (at < buf.length) pending = buf.subarray(at);
  };
}

process.on('message', (m: CatchUpCommand) => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let received = 0;
  let socket: Socket | undefined;
  let done = false;
  const finish = (reply: CatchUpReply) => {
    if (done) return;
    done = true;
    send(reply);
    socket?.destroy();
  };
  const onFrame = (opcode: number, payload: Buffer) => {
    if (done) return;
    if (opcode === OPCODE_CLOSE)
      return finish({ cmd: 'failed', reason: `the gateway closed the connection (${payload.toString('latin1', 2)})` });
    if (opcode !== OPCODE_TEXT) return;
    if (payload.length < TICK.length || payload.compare(TICK, 0, TICK.length, 0, TICK.length) !== 0) {
      const text = payload.toString();
      if (text.includes('"error"')) finish({ cmd: 'failed', reason: text });
      return;
    }
    const price = priceOf(payload);
    if (price !== FIRST_PRICE + received)
      return finish({
        cmd: 'failed',
        reason: `event ${received + 1} of ${m.missed} has price ${price}, not ${FIRST_PRICE + received}: a gap, a duplicate or out of order`,
      });
    if (++received === m.missed) {
      const { user, system } = process.cpuUsage(cpu);
      finish({ cmd: 'caught-up', ms: performance.now() - started, received, cpuMs: (user + system) / 1000 });
    }
  };
  const url = new URL(m.url);
  const handshake = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    },
  });
  handshake.on('upgrade', (_res, upgraded: Socket, head: Buffer) => {
    socket = upgraded;
    const read = frameReader(onFrame);
    if (head.length > 0) read(head);
    upgraded.on('data', read);
    upgraded.on('close', () => finish({ cmd: 'failed', reason: `the connection closed after ${received} of ${m.missed} events` }));
  });
  handshake.on('response', (res) => finish({ cmd: 'failed', reason: `the gateway answered the upgrade with HTTP ${res.statusCode}` }));
  handshake.on('error', (err) => finish({ cmd: 'failed', reason: String(err) }));
  handshake.end();
});
process.on('disconnect', () => process.exit(0));
send({ cmd: 'ready' });
