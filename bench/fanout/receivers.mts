// bench/fanout's receivers, in their own process: N raw-socket WebSocket clients
// (bench/ws-fanout/raw_client.mts) that each send their server's subscribe message once open and
// record, for every message carrying the due-time stamp, the latency from that due time (both
// processes read the machine's monotonic clock).
import { openMany } from '../ws_clients.mts';
import { RawWsClient } from '../ws-fanout/raw_client.mts';
import { quantile } from './stats.mts';

/** Orchestrator -> receivers. */
export type ReceiverCommand =
  { cmd: 'connect'; clients: { url: string; hello?: string }[] } | { cmd: 'reset' } | { cmd: 'report' } | { cmd: 'close' };
/** Receivers -> orchestrator. */
export type ReceiverReply =
  | { cmd: 'connected'; connections: number; failed: number; elapsedMs: number }
  | { cmd: 'reset' }
  | {
      cmd: 'report';
      received: number;
      p50Ms: number;
      p99Ms: number;
      maxMs: number;
      frameBytes: number;
      frame: string;
      closed: number;
      cpuMs: number;
    }
  | { cmd: 'closed' };

/** The stamp: the due time in ns, as the publisher's decimal field `total_equity` (a decimal string in every server's frame). */
export const STAMP = '"total_equity":"';
const MARKER = Buffer.from(STAMP);
/** Centrifugo's protocol ping is an empty command; the client answers with an empty one. */
const EMPTY = Buffer.from('{}');
const MAX_SAMPLES = 4_000_000;
const OPENING_AT_ONCE = 200;

if (process.send) {
  const send = (m: ReceiverReply) => process.send!(m);
  const clients: RawWsClient[] = [];
  let samples = new Float64Array(MAX_SAMPLES);
  let received = 0;
  let closed = 0;
  let frameBytes = 0;
  let frame = '';
  let cpuAtReset = process.cpuUsage();

  const onText = (client: () => RawWsClient) => (buf: Buffer, start: number, end: number) => {
    if (end - start === 2 && buf.compare(EMPTY, 0, 2, start, end) === 0) return client().sendText('{}');
    const at = buf.indexOf(MARKER, start);
    if (at < 0 || at >= end) return;
    if (frameBytes === 0) {
      frameBytes = end - start;
      frame = buf.toString('utf8', start, end);
    }
    let dueNs = 0;
    for (let i = at + MARKER.length; i < end; i++) {
      const digit = buf[i]! - 0x30;
      if (digit < 0 || digit > 9) break;
      dueNs = dueNs * 10 + digit;
    }
    if (received < MAX_SAMPLES) samples[received] = (Number(process.hrtime.bigint()) - dueNs) / 1e6;
    received++;
  };

  const open = ({ url, hello }: { url: string; hello?: string }) =>
    new Promise<boolean>((resolve) => {
      const client: RawWsClient = new RawWsClient(
        new URL(url),
        () => {
          clients.push(client);
          if (hello) client.sendText(hello);
          resolve(true);
        },
        () => resolve(false),
        onText(() => client),
        () => closed++,
      );
    });

  const onCommand = async (m: ReceiverCommand): Promise<void> => {
    if (m.cmd === 'connect') {
      const started = performance.now();
      const failed = await openMany(m.clients.length, OPENING_AT_ONCE, (i) => open(m.clients[i]!));
      send({ cmd: 'connected', connections: clients.length, failed, elapsedMs: performance.now() - started });
    } else if (m.cmd === 'reset') {
      samples = new Float64Array(MAX_SAMPLES);
      received = closed = frameBytes = 0;
      frame = '';
      cpuAtReset = process.cpuUsage();
      send({ cmd: 'reset' });
    } else if (m.cmd === 'report') {
      const sorted = samples.slice(0, Math.min(received, MAX_SAMPLES)).sort();
      const cpu = process.cpuUsage(cpuAtReset);
      send({
        cmd: 'report',
        received,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        maxMs: sorted.length ? sorted[sorted.length - 1]! : NaN,
        frameBytes,
        frame,
        closed,
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
    } else if (m.cmd === 'close') {
      for (const c of clients) c.close();
      send({ cmd: 'closed' });
    }
  };
  // A command that fails crashes this worker (an unhandled rejection), which the orchestrator sees as its exit.
  process.on('message', (m: ReceiverCommand) => void onCommand(m));
}
