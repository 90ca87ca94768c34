// Server CPU per publish request, with nobody subscribed (issue 19): what a request costs the
// gateway before any fan-out, against the bare `ws` server's /publish. Each server as bench/fanout
// starts it (its own process on 127.0.0.1); one request at a time over one keep-alive connection,
// `--events` messages each (1: the per-request cost; 100: bench/fanout's 100-channel rounds).
// CPU from /proc (utime + stime) over `--requests` requests after as many unmeasured; the median
// of `--reps` measurements, alternating the sizes. `--gap-ms` pauses after each answer (bench/fanout's
// rows send a request per round, 10 a second: a gap of about 95 ms), since a server woken from idle
// for each request costs more per request on this VM than one kept busy; `--idle S` first reads the
// server's CPU over S seconds with no request, what a paced run pays besides its requests. Build first.
//
//   node bench/fanout/request_cpu.mts [--servers gateway,ws] [--requests N] [--reps N] [--sizes 1,100] [--gap-ms 0] [--idle 0]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startServer, type Message } from './servers.mts';
import { cpuTicksFromStat, median, ticksToMs, type ServerName } from './stats.mts';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'gateway,ws' },
    requests: { type: 'string', default: '2000' },
    reps: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '1,100' },
    'gap-ms': { type: 'string', default: '0' },
    idle: { type: 'string', default: '0' },
  },
});
const requests = Number(values.requests);
const SIZES = values.sizes.split(',').map(Number);
const gapMs = Number(values['gap-ms']);
const idleS = Number(values.idle);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const publishAll = async (server: Awaited<ReturnType<typeof startServer>>, size: number) => {
  for (let i = 0; i < requests; i++) {
    await server.publish(round(size));
    if (gapMs > 0) await sleep(gapMs);
  }
};

/** The process's CPU time in ms, from /proc (clock ticks of 10 ms). */
const cpuMs = (pid: number) => ticksToMs(cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')));

let n = 0;
const round = (size: number): Message[] =>
  Array.from({ length: size }, (_, c) => ({ id: `q-${n++}`, channel: `IDLE${c}`, data: { total_equity: '1', current_equity: '2' } }));

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const name of values.servers.split(',') as ServerName[]) {
  const server = await startServer(name, '');
  const us: Record<number, number[]> = Object.fromEntries(SIZES.map((s) => [s, []]));
  try {
    for (const size of SIZES) await publishAll(server, size); // warm-up
    if (idleS > 0) {
      const before = cpuMs(server.pid);
      await sleep(idleS * 1000);
      console.log(`${name}, idle: ${((cpuMs(server.pid) - before) / idleS).toFixed(2)} ms of CPU per second`);
    }
    for (let rep = 0; rep < Number(values.reps); rep++) {
      for (const size of SIZES) {
        const before = cpuMs(server.pid);
        await publishAll(server, size);
        // Work the last answer left behind (an after-write tick, a log line) lands within this.
        await sleep(200);
        us[size]!.push(((cpuMs(server.pid) - before) * 1000) / requests);
      }
    }
  } finally {
    await server.stop();
  }
  for (const size of SIZES) {
    console.log(
      `${name}, ${size} event(s) per request${gapMs > 0 ? `, ${gapMs} ms apart` : ''}: ${median(us[size]!).toFixed(0)} µs of CPU per request, ` +
        `${(median(us[size]!) / size).toFixed(1)} per event (runs ${us[size]!.map((u) => u.toFixed(0)).join(', ')})`,
    );
  }
}
