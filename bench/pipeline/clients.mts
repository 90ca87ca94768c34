// The load process: N plain `ws` clients on /ws/market-data/{symbol}, spread evenly over the
// symbols. For every market_data_update it records now minus the tick's own timestamp (when
// market-data created it; both processes read the same wall clock, to the millisecond).
import WebSocket from 'ws';
import { openMany } from '../ws_clients.mts';
import type { ClientsCommand, ClientsReply } from './protocol.mts';

const send = (m: ClientsReply) => process.send!(m);
const OPENING_AT_ONCE = 100;
const MAX_SAMPLES = 4_000_000;

let samples = new Float64Array(MAX_SAMPLES);
let sampled = 0;
let received = 0;
let closed = 0;
let since = performance.now();
let tickIds = new Set<string>();

function onMessage(data: Buffer): void {
  const msg = JSON.parse(data.toString()) as { type: string; id?: string; data?: { timestamp?: string } };
  if (msg.type !== 'market_data_update' || !msg.data?.timestamp) return;
  received++;
  tickIds.add(msg.id!);
  if (sampled < MAX_SAMPLES) samples[sampled++] = Date.now() - Date.parse(msg.data.timestamp);
}

function open(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', onMessage);
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
    ws.once('close', () => closed++);
  });
}

async function connect(urlPrefix: string, symbols: string[], n: number): Promise<void> {
  const failed = await openMany(n, OPENING_AT_ONCE, (i) => open(`${urlPrefix}${symbols[i % symbols.length]}`));
  send({ cmd: 'connected', connections: n - failed, failed });
}

const at = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

process.on('message', (m: ClientsCommand) => {
  if (m.cmd === 'connect') void connect(m.urlPrefix, m.symbols, m.connections);
  if (m.cmd === 'reset') {
    samples = new Float64Array(MAX_SAMPLES);
    sampled = received = 0;
    tickIds = new Set();
    since = performance.now();
    send({ cmd: 'reset' });
  }
  if (m.cmd === 'report') {
    const sorted = samples.slice(0, sampled).sort();
    send({
      cmd: 'report',
      received,
      ticks: tickIds.size,
      elapsedMs: performance.now() - since,
      p50Ms: at(sorted, 0.5),
      p90Ms: at(sorted, 0.9),
      p99Ms: at(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
      closed,
    });
  }
});
