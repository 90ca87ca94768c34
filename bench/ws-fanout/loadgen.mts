// The load generator, in its own process: N receive-only WebSocket clients (raw_client.mts) that
// record, per message, how long it took from publish to receipt (both processes read the same
// monotonic clock).
import { openMany } from '../ws_clients.mts';
import type { LoadCommand, LoadReply } from './protocol.mts';
import { RawWsClient } from './raw_client.mts';

const send = (m: LoadReply) => process.send!(m);
const MAX_SAMPLES = 4_000_000;
const OPENING_AT_ONCE = 200;
const MARKER = Buffer.from('"t":"');

const clients: RawWsClient[] = [];
let samples = new Float64Array(MAX_SAMPLES);
let sampled = 0;
let received = 0;
let closed = 0;
let cpuAtReset = process.cpuUsage();

/** Latency in ms from the `t` field (decimal ns), found and read without parsing the JSON. */
function onText(buf: Buffer, start: number, end: number): void {
  received++;
  const at = buf.indexOf(MARKER, start);
  if (at < 0 || at >= end || sampled >= MAX_SAMPLES) return;
  let sentNs = 0;
  for (let i = at + MARKER.length; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) break;
    sentNs = sentNs * 10 + digit;
  }
  samples[sampled++] = (Number(process.hrtime.bigint()) - sentNs) / 1e6;
}

function open(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new RawWsClient(
      new URL(url),
      () => {
        clients.push(client);
        resolve(true);
      },
      () => resolve(false),
      onText,
      () => closed++,
    );
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
    cpuAtReset = process.cpuUsage();
    send({ cmd: 'reset' });
  }
  if (m.cmd === 'report') {
    const sorted = samples.slice(0, sampled).sort();
    const cpu = process.cpuUsage(cpuAtReset);
    send({
      cmd: 'report',
      cpuMs: (cpu.user + cpu.system) / 1000,
      received,
      sampled,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
      closed,
    });
  }
});
