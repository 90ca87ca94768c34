// The load generator, in its own process: N plain `ws` clients that record, per message, how long
// it took from publish to receipt (both processes read the same monotonic clock).
import WebSocket from 'ws';
import { openMany } from '../ws_clients.mts';
import type { LoadCommand, LoadReply } from './protocol.mts';

const send = (m: LoadReply) => process.send!(m);
const MAX_SAMPLES = 4_000_000;
const OPENING_AT_ONCE = 200;
const MARKER = Buffer.from('"t":"');

const clients: WebSocket[] = [];
let samples = new Float64Array(MAX_SAMPLES);
let sampled = 0;
let received = 0;
let closed = 0;

/** Latency in ms from the `t` field, found without parsing the whole JSON. */
function onMessage(data: Buffer): void {
  received++;
  const at = data.indexOf(MARKER);
  if (at < 0 || sampled >= MAX_SAMPLES) return;
  const start = at + MARKER.length;
  const end = data.indexOf(0x22, start);
  const sentNs = BigInt(data.toString('latin1', start, end));
  samples[sampled++] = Number(process.hrtime.bigint() - sentNs) / 1e6;
}

function open(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', onMessage);
    ws.once('open', () => {
      clients.push(ws);
      resolve(true);
    });
    ws.once('error', () => resolve(false));
    ws.once('close', () => closed++);
  });
}

async function connect(urlPrefix: string, channels: number, n: number): Promise<void> {
  const started = performance.now();
  const failed = await openMany(n, OPENING_AT_ONCE, (i) => open(`${urlPrefix}${i % channels}`));
  send({ cmd: 'connected', connections: clients.length, failed, elapsedMs: performance.now() - started });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

process.on('message', (m: LoadCommand) => {
  if (m.cmd === 'connect') void connect(m.urlPrefix, m.channels, m.connections);
  if (m.cmd === 'reset') {
    samples = new Float64Array(MAX_SAMPLES);
    sampled = received = closed = 0;
    send({ cmd: 'reset' });
  }
  if (m.cmd === 'report') {
    const sorted = samples.slice(0, sampled).sort();
    send({ cmd: 'report', received, sampled, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.length ? sorted[sorted.length - 1]! : 0, closed });
  }
});
