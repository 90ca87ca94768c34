// bench/ws-fanout (issue 6): our gateway against a minimal `ws` broadcast server. For each
// scenario and server: the server in one process, the load generator in another; the server
// publishes at a fixed rate and we print delivered msgs/s, publish-to-receipt latency and the
// server's memory per connection.
//
//   node bench/ws-fanout/run.mts [--scenarios 1000x1@10,10000x1@10,1000x1000@10,10000x1000@10,1000x1@100]
//                                [--duration 10] [--servers baseline,gateway] [--payload 64] [--memory-only]
// A scenario is CONNECTIONSxCHANNELS@RATE: connections spread evenly over channels, RATE messages
// per second on every channel (so each client receives RATE msgs/s). --memory-only connects and
// measures memory per connection without publishing (RATE is then ignored).
// (build first: pnpm run build; the gateway server loads gateway/dist.)
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadCommand, LoadReply, ServerCommand, ServerReply } from './protocol.mts';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: '1000x1@10,10000x1@10,1000x1000@10,10000x1000@10,1000x1@100' },
    duration: { type: 'string', default: '10' },
    servers: { type: 'string', default: 'baseline,gateway' },
    payload: { type: 'string', default: '64' },
    'memory-only': { type: 'boolean', default: false },
  },
});
const memoryOnly = values['memory-only'];
interface Scenario {
  connections: number;
  channels: number;
  rate: number;
}
const scenarios: Scenario[] = values.scenarios.split(',').map((spec) => {
  const m = /^(\d+)x(\d+)@(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`scenario '${spec}' is not CONNECTIONSxCHANNELS@RATE, e.g. 1000x1@100`);
  return { connections: Number(m[1]), channels: Number(m[2]), rate: Number(m[3]) };
});
const durationMs = Number(values.duration) * 1000;
const payloadBytes = Number(values.payload);
const servers = values.servers.split(',') as ('baseline' | 'gateway')[];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Sends a command and resolves with the child's next reply of `reply` kind. */
async function ask<R extends { cmd: string }>(child: ChildProcess, command: object, reply: string): Promise<R> {
  const answer = new Promise<R>((resolve, reject) => {
    const onMessage = (m: R) => {
      if (m.cmd !== reply) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} while waiting for ${reply}`)));
  });
  child.send(command);
  return answer;
}

function start(file: string): ChildProcess {
  return fork(here(file), [], { execArgv: ['--expose-gc', '--max-old-space-size=2048'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

interface Row extends Scenario {
  server: string;
  /** Rounds published: one message on every channel each. */
  published: number;
  deliveredPerSec: number;
  deliveryRatio: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The server's part: start of a round until it had been written to every socket. */
  fanoutP50Ms: number;
  fanoutP99Ms: number;
  bytesPerConnection: number;
  heapPerConnection: number;
  /** Server CPU time per 1,000 deliveries: the per-client cost, less sensitive to a busy machine than latency. */
  cpuMsPer1k: number;
  /** The load generator's CPU time per 1,000 messages received: the receiving half of the machine. */
  loadCpuMsPer1k: number;
}

async function measure(server: 'baseline' | 'gateway', { connections, channels, rate }: Scenario): Promise<Row> {
  const srv = start(`server_${server}.mts`);
  const load = start('loadgen.mts');
  try {
    const [ready] = (await once(srv, 'message')) as [ServerReply & { cmd: 'ready' }];
    const idle = await ask<ServerReply & { cmd: 'memory' }>(srv, { cmd: 'memory' } satisfies ServerCommand, 'memory');
    const conn = await ask<LoadReply & { cmd: 'connected' }>(
      load,
      { cmd: 'connect', urlPrefix: ready.urlPrefix, channels, connections } satisfies LoadCommand,
      'connected',
    );
    if (conn.failed > 0) process.stderr.write(`${server}: ${conn.failed} of ${connections} connections failed\n`);
    await new Promise((r) => setTimeout(r, 1000));
    const busy = await ask<ServerReply & { cmd: 'memory' }>(srv, { cmd: 'memory' } satisfies ServerCommand, 'memory');
    const memory = {
      bytesPerConnection: (busy.rss - idle.rss) / Math.max(1, conn.connections),
      heapPerConnection: (busy.heapUsed - idle.heapUsed) / Math.max(1, conn.connections),
    };
    if (memoryOnly) {
      return {
        server,
        channels,
        rate,
        connections: conn.connections,
        published: 0,
        deliveredPerSec: 0,
        deliveryRatio: 0,
        p50Ms: 0,
        p99Ms: 0,
        maxMs: 0,
        fanoutP50Ms: 0,
        fanoutP99Ms: 0,
        cpuMsPer1k: 0,
        loadCpuMsPer1k: 0,
        ...memory,
      };
    }
    await ask(load, { cmd: 'reset' } satisfies LoadCommand, 'reset');
    const pub = await ask<ServerReply & { cmd: 'published' }>(
      srv,
      { cmd: 'publish', rate, channels, durationMs, payloadBytes } satisfies ServerCommand,
      'published',
    );
    await new Promise((r) => setTimeout(r, 2000));
    const rep = await ask<LoadReply & { cmd: 'report' }>(load, { cmd: 'report' } satisfies LoadCommand, 'report');
    const expected = pub.count * conn.connections;
    return {
      server,
      channels,
      rate,
      connections: conn.connections,
      published: pub.count,
      deliveredPerSec: rep.received / (pub.elapsedMs / 1000),
      deliveryRatio: expected === 0 ? 0 : rep.received / expected,
      p50Ms: rep.p50Ms,
      p99Ms: rep.p99Ms,
      maxMs: rep.maxMs,
      fanoutP50Ms: pub.fanoutP50Ms,
      fanoutP99Ms: pub.fanoutP99Ms,
      ...memory,
      cpuMsPer1k: rep.received === 0 ? 0 : (pub.cpuMs / rep.received) * 1000,
      loadCpuMsPer1k: rep.received === 0 ? 0 : (rep.cpuMs / rep.received) * 1000,
    };
  } finally {
    srv.kill();
    load.kill();
  }
}

const rows: Row[] = [];
for (const scenario of scenarios) {
  for (const server of servers) {
    const traffic = memoryOnly ? 'memory only' : `${scenario.rate} msgs/s each, for ${durationMs / 1000} s`;
    process.stderr.write(`measuring ${server}: ${scenario.connections} connections on ${scenario.channels} channel(s), ${traffic}...\n`);
    rows.push(await measure(server, scenario));
  }
}

const fmt = (n: number, d = 1) => n.toFixed(d);
if (memoryOnly) {
  console.log('\nws-fanout, memory only: server memory after connecting (after a GC) minus before, per connection\n');
  console.log('| server | connections | channels | server RSS / connection | server JS heap / connection |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.server} | ${r.connections} | ${r.channels} | ${fmt(r.bytesPerConnection / 1024)} KiB | ${fmt(r.heapPerConnection / 1024, 2)} KiB |`,
    );
  console.log('\ngoal: gateway RSS / connection < 9.8 KiB (10 KB) at 10,000 connections');
} else {
  console.log(`\nws-fanout: ${durationMs / 1000} s per row, ${payloadBytes} B padding, server and load generator in separate processes\n`);
  console.log(
    '| server | connections | channels | msgs/s per client | rounds | delivered msgs/s | delivered | p50 ms | p99 ms | max ms | server fan-out p50 / p99 ms | server RSS / connection | server JS heap / connection | server CPU ms / 1k msgs | load generator CPU ms / 1k msgs |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.server} | ${r.connections} | ${r.channels} | ${r.rate} | ${r.published} | ${fmt(r.deliveredPerSec, 0)} | ${fmt(r.deliveryRatio * 100)} % | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.maxMs, 2)} | ${fmt(r.fanoutP50Ms, 2)} / ${fmt(r.fanoutP99Ms, 2)} | ${fmt(r.bytesPerConnection / 1024)} KiB | ${fmt(r.heapPerConnection / 1024, 2)} KiB | ${fmt(r.cpuMsPer1k, 2)} | ${fmt(r.loadCpuMsPer1k, 2)} |`,
    );
  }

  // Issue 6's goals, checked on this run's rows.
  const pairs = scenarios
    .map((s) => ({
      s,
      g: rows.find((r) => r.server === 'gateway' && r.connections === s.connections && r.channels === s.channels && r.rate === s.rate),
      b: rows.find((r) => r.server === 'baseline' && r.connections === s.connections && r.channels === s.channels && r.rate === s.rate),
    }))
    .filter((p): p is { s: Scenario; g: Row; b: Row } => p.g !== undefined && p.b !== undefined);
  if (pairs.length > 0) {
    console.log('\n| scenario | gateway / baseline msgs/s | gateway / baseline p99 | gateway RSS / connection |');
    console.log('|---|---:|---:|---:|');
    for (const { s, g, b } of pairs) {
      console.log(
        `| ${s.connections}x${s.channels}@${s.rate} | ${fmt(g.deliveredPerSec / Math.max(1, b.deliveredPerSec), 2)} | ${fmt(g.p99Ms / Math.max(0.001, b.p99Ms), 2)} | ${fmt(g.bytesPerConnection / 1024)} KiB |`,
      );
    }
    console.log(
      '\ngoals: msgs/s ratio >= 1 everywhere; p99 ratio <= 0.5 at 1000x1@100; gateway RSS / connection < 9.8 KiB (10 KB) at 10,000 connections',
    );
  }
}
