// The live clients, in their own process: N WebSocket clients on one market-data door, recording
// for every tick how long it took from publish to receipt. The publisher stamps its send time (ms
// since the epoch, fractional, from performance.timeOrigin + performance.now(), comparable across
// processes of one host) into the tick's price field.
import WebSocket from 'ws';
import { openMany } from '../ws_clients.mts';

export type LiveCommand = { cmd: 'connect'; url: string; clients: number } | { cmd: 'window' } | { cmd: 'report' };
export type LiveReply = { cmd: 'connected'; failed: number } | { cmd: 'report'; samples: number; p50: number; p99: number; max: number };

const send = (m: LiveReply) => process.send!(m);
const now = () => performance.timeOrigin + performance.now();
let samples: number[] = [];
const sockets: WebSocket[] = [];

function open(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      sockets.push(ws);
      resolve(true);
    });
    ws.once('error', () => resolve(false));
    ws.on('message', (raw) => {
      const text = String(raw);
      const at = text.indexOf('"price":');
      if (at < 0 || !text.startsWith('{"type":"market_data_update"')) return;
      samples.push(now() - Number.parseFloat(text.slice(at + 8)));
    });
  });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const onCommand = async (m: LiveCommand): Promise<void> => {
  if (m.cmd === 'connect') {
    const failed = await openMany(m.clients, 100, () => open(m.url));
    send({ cmd: 'connected', failed });
  } else if (m.cmd === 'window') {
    samples = [];
  } else {
    const sorted = Float64Array.from(samples).sort();
    send({
      cmd: 'report',
      samples: sorted.length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? Number.NaN,
    });
    samples = [];
  }
};
// A command that fails crashes this worker (an unhandled rejection), which the orchestrator sees as its exit.
process.on('message', (m: LiveCommand) => void onCommand(m));
process.on('disconnect', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
