// The live clients, in their own process: N WebSocket clients on one market-data door, recording
// for every tick how long it took from publish to receipt. The publisher stamps its send time (ms
// since the epoch, fractional, from performance.timeOrigin + performance.now(), comparable across
// processes of one host) into the tick's price field.
//
// They share the two cores with the gateway, the broker and the resuming client, and a receipt is
// timed when this process gets to it: so they are lean readers (bench/ws-fanout's raw-socket
// client, as bench/fanout's receivers), each tick found by the price in its bytes. With the `ws`
// client (about 9.5 µs per message) 50,000 messages/s took half a core, and a catch-up's extra
// CPU showed in the live p99 as this process's own queue.
import { RawWsClient } from '../ws-fanout/raw_client.mts';
import { openMany } from '../ws_clients.mts';

/**
 * `window`: the samples from now on belong to a new window (the bench's undisturbed window, the
 * catch-up). `report`: the figures of every window, computed only then, after the measuring: sorting
 * half a million samples holds this process for tens of milliseconds, and ticks received meanwhile
 * would be timed late, inside whichever window is open.
 */
export type LiveCommand = { cmd: 'connect'; url: string; clients: number } | { cmd: 'window' } | { cmd: 'report' };
export interface WindowFigures {
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /**
   * The p99 of each run of consecutive samples as long as `sliceSamples` (the catch-up window's):
   * how far a window that short swings with no catch-up at all, since a few slow ticks of 1,000
   * samples each make a short window's p99.
   */
  slices?: number[];
}
export type LiveReply = { cmd: 'connected'; failed: number } | { cmd: 'report'; windows: WindowFigures[] };

const send = (m: LiveReply) => process.send!(m);
const now = () => performance.timeOrigin + performance.now();
const TICK = Buffer.from('{"type":"market_data_update"');
const PRICE = Buffer.from('"price":');
/** Latencies of the open window; samples before the first `window` are not kept. */
let samples: number[] = [];
let windows: number[][] = [];
const clients: RawWsClient[] = [];

/** A tick's latency from the send time in its price field; other messages are not ticks. */
function onText(buf: Buffer, start: number, end: number): void {
  if (end - start < TICK.length || buf.compare(TICK, 0, TICK.length, start, start + TICK.length) !== 0) return;
  const at = buf.indexOf(PRICE, start);
  if (at < 0 || at + PRICE.length >= end) return;
  let stop = at + PRICE.length;
  while (stop < end && buf[stop] !== 0x2c && buf[stop] !== 0x7d) stop++; // , or }
  samples.push(now() - Number(buf.toString('latin1', at + PRICE.length, stop)));
}

function open(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new RawWsClient(
      new URL(url),
      () => resolve(true),
      () => resolve(false),
      onText,
      () => undefined,
    );
    clients.push(client);
  });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function figures(window: number[], sliceSamples?: number): WindowFigures {
  const sorted = Float64Array.from(window).sort();
  const slices: number[] = [];
  for (let at = 0; sliceSamples && at + sliceSamples <= window.length; at += sliceSamples) {
    slices.push(quantile(Float64Array.from(window.slice(at, at + sliceSamples)).sort(), 0.99));
  }
  return {
    samples: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    ...(sliceSamples ? { slices } : {}),
  };
}

const onCommand = async (m: LiveCommand): Promise<void> => {
  if (m.cmd === 'connect') {
    const failed = await openMany(m.clients, 100, () => open(m.url));
    send({ cmd: 'connected', failed });
  } else if (m.cmd === 'window') {
    samples = [];
    windows.push(samples);
  } else {
    const measured = windows;
    samples = [];
    windows = [];
    // The first window (undisturbed) is also cut into slices as long as the second (the catch-up).
    send({ cmd: 'report', windows: measured.map((w, i) => figures(w, i === 0 ? measured[1]?.length : undefined)) });
  }
};
// A command that fails crashes this worker (an unhandled rejection), which the orchestrator sees as its exit.
process.on('message', (m: LiveCommand) => void onCommand(m));
process.on('disconnect', () => {
  for (const client of clients) client.close();
  process.exit(0);
});
