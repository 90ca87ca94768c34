// bench/fanout (issue 19): the gateway's fan-out against Centrifugo v6.9.1 (GOMAXPROCS=2) and the
// minimal `ws` broadcast server, on the issue's rows, in one run:
//
//   pnpm run build && node bench/fanout/run.mts [--quick] [--reps 4] [--duration 10] [--warmup 2] [--servers gateway,centrifugo,ws] [--rows 1,4]
//        [--workers-rows 2,3 | none] [--workers-only]
//
// Each server runs in its own process; the receivers (raw-socket WebSocket clients) in another;
// this process is the one external publisher: one HTTP request per round (one message per channel)
// to the gateway's publish API, Centrifugo's HTTP server API or the ws server's /publish, every
// message stamped with the time its round was due. Server CPU and RSS come from /proc. The server
// order alternates between repetitions; the table has the medians over repetitions and the ratios
// gateway / Centrifugo. --quick: one repetition of 2 s with a tenth of the connections (a smoke run).
// Then, with the gateway among the servers, the two-worker row (GATEWAY_WORKERS=2): deliveries/s and
// CPU per delivery of each worker (reported, not compared: the publisher and receivers share the cores).
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openFrameProbe } from './frame_probe.mts';
import type { ReceiverCommand, ReceiverReply } from './receivers.mts';
import { startGateway, startServer, type Message, type RunningServer } from './servers.mts';
import {
  SERVERS,
  cell,
  cpuPer1k,
  cpuPerEventUs,
  cpuTicksFromStat,
  median,
  ratio,
  rssFromStatus,
  serverOrder,
  ticksToMs,
  type ServerName,
} from './stats.mts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    servers: { type: 'string', default: SERVERS.join(',') },
    rows: { type: 'string' },
    'workers-rows': { type: 'string', default: '2,3' },
    'workers-only': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const reps = Number(values.reps ?? (quick ? 1 : 4));
const durationMs = Number(values.duration ?? (quick ? 2 : 10)) * 1000;
/**
 * Each row first publishes this long at its rate, unmeasured: the first rounds after 1000 new
 * connections run on cold code (Node's JIT; Go's Centrifugo has none) and promote the new
 * connections' objects, tens of ms per round, and at 100 rounds/s they alone set an 8 s row's p99.
 */
const warmupMs = Number(values.warmup ?? (quick ? 0.5 : 2)) * 1000;
const servers = values.servers.split(',').map((s) => s.trim()) as ServerName[];
for (const s of servers) if (!SERVERS.includes(s)) throw new Error(`unknown server '${s}': expected some of ${SERVERS.join(',')}`);
const scale = quick ? 0.1 : 1;

interface Scenario {
  connections: number;
  channels: number;
  rate: number;
  /** The idle memory row: measured on this scenario's connections before anything is published. */
  memory?: boolean;
}
// The issue's rows; the 10,000-connection one first, so the per-connection RSS is measured on a fresh process.
const SCENARIOS: Scenario[] = [
  { connections: 10_000, channels: 1, rate: 10, memory: true },
  { connections: 1000, channels: 1, rate: 100 },
  { connections: 1000, channels: 100, rate: 10 },
  { connections: 100, channels: 100, rate: 10 },
].map((s) => ({ ...s, connections: Math.max(s.channels, Math.round(s.connections * scale)) }));
/** --rows 2,4: only those rows (1-based), e.g. to profile one; the table prints – for the others. */
const onlyRows = values.rows?.split(',').map((r) => SCENARIOS[Number(r) - 1]);
const label = (s: Scenario) => `${s.connections}x${s.channels}@${s.rate}`;
/** Rows are told apart by position: in quick mode two rows can scale to the same label. */
const key = (s: Scenario) => `${SCENARIOS.indexOf(s)}:${label(s)}`;

interface Measured {
  server: ServerName;
  scenario: string;
  delivered: number;
  expected: number;
  published: number;
  p50Ms: number;
  p99Ms: number;
  cpuMs: number;
  cpuMsPer1k: number;
  cpuUsPerEvent: number;
  frameBytes: number;
  frame: string;
  /** The gateway's frame for the same data on its binary subprotocol (memory row only). */
  binaryFrameBytes?: number;
  /** The same on its compact JSON subprotocol (memory row only). */
  compactFrameBytes?: number;
  publishErrors: number;
  /** Only on the memory row. */
  rssPerConnection?: number;
  rssBefore?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuTicks = (pid: number) => cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
/**
 * Time the server's threads spent running and runnable but waiting for a core (/proc/<pid>/task/<tid>/schedstat,
 * ns): how much the other processes on the two cores held it back during a row.
 */
function schedTimes(pid: number): { runMs: number; waitMs: number } {
  let runMs = 0;
  let waitMs = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      runMs += run! / 1e6;
      waitMs += wait! / 1e6;
    } catch {
      // the thread ended meanwhile
    }
  }
  return { runMs, waitMs };
}
const rss = (pid: number) => rssFromStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
/**
 * RSS once it has stopped moving (two readings 1 s apart within 1 %, at most 30 s): no server here
 * can be asked to collect its garbage, and a process that has just started or just taken 10,000
 * connections is still returning or taking memory for a while.
 */
async function settledRss(pid: number): Promise<number> {
  let last = rss(pid);
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const now = rss(pid);
    if (Math.abs(now - last) <= 0.01 * last) return now;
    last = now;
  }
  return last;
}
/** What is running now, ended if this process is interrupted. */
const running = new Set<{ stop(): unknown }>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const r of running) void r.stop();
    setTimeout(() => process.exit(130), 2000);
  });
}

async function ask<K extends ReceiverReply['cmd']>(
  child: ChildProcess,
  command: ReceiverCommand,
  reply: K,
): Promise<Extract<ReceiverReply, { cmd: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: ReceiverReply) => {
      if (m.cmd !== reply) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as Extract<ReceiverReply, { cmd: K }>);
    };
    const onExit = (code: number | null) => reject(new Error(`receivers exited with ${code} while waiting for ${reply}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(command);
  });
}

/** Publishes `rate` rounds per second for `forMs`, one request per round, each message stamped with its round's due time. */
async function publishRounds(
  server: RunningServer,
  s: Scenario,
  tag: string,
  forMs = durationMs,
): Promise<{ rounds: number; errors: number; firstError?: string }> {
  const startNs = process.hrtime.bigint();
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  let rounds = 0;
  let errors = 0;
  let firstError: string | undefined;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= forMs) break;
    const due = Math.floor((elapsed / 1000) * s.rate) + 1;
    while (rounds < due) {
      const n = rounds++;
      const dueNs = (startNs + BigInt(Math.round((n * 1e9) / s.rate))).toString();
      const messages: Message[] = Array.from({ length: s.channels }, (_, c) => ({
        channel: `BENCH${c}`,
        id: `${tag}-${n}-${c}`,
        data: { total_equity: dueNs, current_equity: '10250.50' },
      }));
      const p = server.publish(messages).catch((err: unknown) => {
        errors++;
        firstError ??= String(err);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await sleep(Math.max(1, Math.floor((rounds * 1000) / s.rate - (performance.now() - start))));
  }
  await Promise.all(inFlight);
  return { rounds, errors, firstError };
}

/** The row's unmeasured first `warmupMs` (see there), on the row's connections; its last deliveries land before counting starts. */
async function warmRow(server: RunningServer, s: Scenario, tag: string): Promise<void> {
  if (warmupMs <= 0) return;
  const warm = await publishRounds(server, s, tag, warmupMs);
  if (warm.errors > 0) process.stderr.write(`  ${server.name}: ${warm.errors} warm-up requests failed: ${warm.firstError}\n`);
  await sleep(500);
}

/**
 * One publish nobody receives, sent after the memory reading and before the first row: the
 * gateway's embedded database opens on its first statement (a published id's claim), seconds on a
 * fresh folder, and that start-up belongs to no row's steady state. Every server gets it.
 */
async function warmUp(server: RunningServer): Promise<void> {
  await server.publish([{ channel: 'WARMUP', id: `warmup-${server.pid}`, data: { total_equity: '0', current_equity: '0' } }]);
}

async function measureServer(name: ServerName, rep: number, centrifugoBinary: string): Promise<Measured[]> {
  const server = await startServer(name, centrifugoBinary);
  running.add(server);
  const out: Measured[] = [];
  try {
    const rssBefore = await settledRss(server.pid);
    await warmUp(server);
    for (const s of onlyRows ?? SCENARIOS) {
      if (!s) throw new Error(`--rows: expected row numbers 1-${SCENARIOS.length}`);
      const receivers = fork(fileURLToPath(new URL('receivers.mts', import.meta.url)), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const receiversHandle = { stop: () => receivers.kill() };
      running.add(receiversHandle);
      try {
        const rssIdle = s.memory ? await settledRss(server.pid) : NaN;
        const clients = Array.from({ length: s.connections }, (_, i) => server.client(`BENCH${i % s.channels}`));
        const conn = await ask(receivers, { cmd: 'connect', clients }, 'connected');
        if (conn.failed > 0) process.stderr.write(`  ${name}: ${conn.failed} of ${s.connections} connections failed\n`);
        const rssPerConnection = s.memory ? ((await settledRss(server.pid)) - rssIdle) / Math.max(1, conn.connections) : undefined;
        await sleep(1000);
        await warmRow(server, s, `r${rep}-s${SCENARIOS.indexOf(s)}-warm`);
        await ask(receivers, { cmd: 'reset' }, 'reset');
        const probeAt = name === 'gateway' && s.memory ? server.client('BENCH0') : undefined;
        const probe = probeAt ? await openFrameProbe(probeAt.url, probeAt.hello!, 'marketpulse.v1.proto') : undefined;
        const compactProbe = probeAt ? await openFrameProbe(probeAt.url, probeAt.hello!, 'marketpulse.v1.compact') : undefined;
        const cpu0 = cpuTicks(server.pid);
        const sched0 = schedTimes(server.pid);
        const pub = await publishRounds(server, s, `r${rep}-s${SCENARIOS.indexOf(s)}`);
        await sleep(1500);
        const cpuMs = ticksToMs(cpuTicks(server.pid) - cpu0);
        const sched1 = schedTimes(server.pid);
        const waitedPerRun = (sched1.waitMs - sched0.waitMs) / Math.max(1, sched1.runMs - sched0.runMs);
        const rep_ = await ask(receivers, { cmd: 'report' }, 'report');
        probe?.close();
        compactProbe?.close();
        if (pub.errors > 0) process.stderr.write(`  ${name}: ${pub.errors} publish requests failed: ${pub.firstError}\n`);
        const m: Measured = {
          server: name,
          scenario: key(s),
          delivered: rep_.received,
          expected: pub.rounds * conn.connections,
          published: pub.rounds * s.channels,
          p50Ms: rep_.p50Ms,
          p99Ms: rep_.p99Ms,
          cpuMs,
          cpuMsPer1k: cpuPer1k(cpuMs, rep_.received),
          cpuUsPerEvent: cpuPerEventUs(cpuMs, pub.rounds * s.channels),
          frameBytes: rep_.frameBytes,
          frame: rep_.frame,
          ...(probe ? { binaryFrameBytes: probe.bytes() } : {}),
          ...(compactProbe ? { compactFrameBytes: compactProbe.bytes() } : {}),
          publishErrors: pub.errors,
          ...(s.memory ? { rssPerConnection, rssBefore } : {}),
        };
        process.stderr.write(
          `  rep ${rep + 1} ${name} ${m.scenario}: delivered ${((100 * m.delivered) / Math.max(1, m.expected)).toFixed(1)} %, p50 ${cell(m.p50Ms, 2)} ms, p99 ${cell(m.p99Ms, 2)} ms, CPU ${cell(m.cpuMsPer1k, 2)} ms/1k deliveries, ${cell(m.cpuUsPerEvent, 0)} µs/event; max ${cell(rep_.maxMs, 0)} ms, receivers' CPU ${cell(cpuPer1k(rep_.cpuMs, rep_.received), 2)} ms/1k, server waited for a core ${cell(waitedPerRun * 100, 0)} % of its run time` +
            (s.memory
              ? `, RSS ${cell(rssBefore / 2 ** 20)} MiB before connections, ${cell(rssPerConnection! / 1024)} KiB per idle connection`
              : '') +
            `, frame ${m.frameBytes} B${m.binaryFrameBytes !== undefined ? ` (compact ${m.compactFrameBytes} B, binary ${m.binaryFrameBytes} B)` : ''}\n`,
        );
        out.push(m);
      } finally {
        receivers.kill();
        running.delete(receiversHandle);
        await sleep(1000);
      }
    }
  } finally {
    await server.stop();
    running.delete(server);
  }
  return out;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const startedAt = new Date();
const loadAtStart = load();
const centrifugoBinary = servers.includes('centrifugo')
  ? execFileSync('bash', [fileURLToPath(new URL('centrifugo.sh', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim()
  : '';
process.stderr.write(
  `bench/fanout: ${reps} repetition(s) of ${durationMs / 1000} s per row after ${warmupMs / 1000} s unmeasured${quick ? ' (quick: a tenth of the connections)' : ''}; load average ${loadAtStart}\n`,
);

const all: Measured[] = [];
for (let rep = 0; rep < reps && !values['workers-only']; rep++) {
  for (const name of serverOrder(rep, servers)) {
    process.stderr.write(`repetition ${rep + 1}/${reps}: ${name}\n`);
    all.push(...(await measureServer(name, rep, centrifugoBinary)));
  }
}

const med = (server: ServerName, scenario: string, pick: (m: Measured) => number | undefined) =>
  median(all.filter((m) => m.server === server && m.scenario === scenario).map((m) => pick(m) ?? NaN));
const has = (s: ServerName) => servers.includes(s);
const col = (s: ServerName, f: (s: ServerName) => string) => (has(s) ? f(s) : '–');

console.log(
  `\nbench/fanout, ${startedAt.toISOString()}: medians of ${reps} repetition(s), ${durationMs / 1000} s per row; load average ${loadAtStart} at the start, ${load()} at the end\n`,
);
console.log('| row | gateway | Centrifugo (GOMAXPROCS=2) | ws | gateway / Centrifugo |');
console.log('|---|---|---|---|---|');
for (const s of SCENARIOS.slice(0, 3)) {
  const sc = key(s);
  const f = (srv: ServerName) => {
    const delivered = med(srv, sc, (m) => m.delivered / Math.max(1, m.expected));
    return `${cell(
      med(srv, sc, (m) => m.p99Ms),
      1,
    )} / ${cell(
      med(srv, sc, (m) => m.cpuMsPer1k),
      2,
    )} (${cell(delivered * 100, 1)} %)`;
  };
  console.log(
    `| ${label(s)}: p99 ms / server CPU ms per 1k deliveries (delivered) | ${col('gateway', f)} | ${col('centrifugo', f)} | ${col('ws', f)} | ` +
      `${cell(
        ratio(
          med('gateway', sc, (m) => m.p99Ms),
          med('centrifugo', sc, (m) => m.p99Ms),
        ),
        2,
      )} / ${cell(
        ratio(
          med('gateway', sc, (m) => m.cpuMsPer1k),
          med('centrifugo', sc, (m) => m.cpuMsPer1k),
        ),
        2,
      )} |`,
  );
}
const cpuRow = key(SCENARIOS[3]!);
const us = (srv: ServerName) =>
  `${cell(
    med(srv, cpuRow, (m) => m.cpuUsPerEvent),
    1,
  )} µs`;
console.log(
  `| ${label(SCENARIOS[3]!)}: server CPU per published event | ${col('gateway', us)} | ${col('centrifugo', us)} | ${col('ws', us)} | ${cell(
    ratio(
      med('gateway', cpuRow, (m) => m.cpuUsPerEvent),
      med('centrifugo', cpuRow, (m) => m.cpuUsPerEvent),
    ),
    2,
  )} |`,
);
const memRow = key(SCENARIOS[0]!);
const mem = (srv: ServerName) =>
  `${cell(med(srv, memRow, (m) => m.rssPerConnection) / 1024, 1)} KiB (process ${cell(med(srv, memRow, (m) => m.rssBefore) / 2 ** 20, 0)} MiB before any connection)`;
console.log(
  `| ${SCENARIOS[0]!.connections} idle: RSS per connection | ${col('gateway', mem)} | ${col('centrifugo', mem)} | ${col('ws', mem)} | ` +
    `${cell(
      ratio(
        med('gateway', memRow, (m) => m.rssPerConnection),
        med('centrifugo', memRow, (m) => m.rssPerConnection),
      ),
      2,
    )} (before any connection ${cell(
      ratio(
        med('gateway', memRow, (m) => m.rssBefore),
        med('centrifugo', memRow, (m) => m.rssBefore),
      ),
      2,
    )}) |`,
);
const bytes = (srv: ServerName) =>
  `${cell(
    med(srv, memRow, (m) => m.frameBytes || NaN),
    0,
  )}`;
const binaryBytes = () => med('gateway', memRow, (m) => m.binaryFrameBytes || NaN);
const compactBytes = () => med('gateway', memRow, (m) => m.compactFrameBytes || NaN);
const gatewayBytes = () => `JSON ${bytes('gateway')}, compact ${cell(compactBytes(), 0)}, binary ${cell(binaryBytes(), 0)}`;
const cfBytes = med('centrifugo', memRow, (m) => m.frameBytes);
console.log(
  `| bytes of one frame for the same data (Centrifugo: JSON) | ${col('gateway', gatewayBytes)} | ${col('centrifugo', bytes)} | ${col('ws', bytes)} | ` +
    `JSON ${cell(
      ratio(
        med('gateway', memRow, (m) => m.frameBytes),
        cfBytes,
      ),
      2,
    )}, compact ${cell(ratio(compactBytes(), cfBytes), 2)}, binary ${cell(ratio(binaryBytes(), cfBytes), 2)} |`,
);
console.log('\none frame of each server:');
for (const srv of servers) console.log(`  ${srv}: ${all.find((m) => m.server === srv && m.frame)?.frame ?? '(none received)'}`);
console.log(
  '\nissue 19 goals: gateway p99 and CPU per 1k deliveries <= Centrifugo on the first three rows (ratios <= 1); <= 25 µs per published event; JSON frame <= 1.5x Centrifugo (its compact subprotocol; seed 002 shape stays the default); gateway RSS before any connection <= 150 MiB; < 10 KiB per idle connection',
);

// ---- The two-worker row (GATEWAY_WORKERS=2): reported, not compared. ----

const workerRows =
  !servers.includes('gateway') || values['workers-rows'] === 'none'
    ? []
    : values['workers-rows'].split(',').map((r) => {
        const s = SCENARIOS[Number(r) - 1];
        if (!s) throw new Error(`--workers-rows: expected row numbers 1-${SCENARIOS.length} or none`);
        return s;
      });

interface WorkerMeasured {
  scenario: string;
  deliveredShare: number;
  deliveriesPerSecond: number;
  p99Ms: number;
  /** Per worker, in pid order: deliveries/s (the frames its /ws/stats counted) and CPU ms per 1,000 of them. */
  workers: { deliveriesPerSecond: number; cpuMsPer1k: number }[];
  /** The primary's CPU (the in-memory bus relay, and the PGlite database it holds: a published-id check per publish) per 1,000 deliveries of the whole gateway. */
  primaryCpuMsPer1k: number;
}

/** The processes whose parent is `pid` (a gateway primary's workers), in pid order. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

/** Each worker's frames sent so far, by pid: /ws/stats on fresh connections until every worker has answered. */
async function sentByWorker(server: RunningServer, pids: number[]): Promise<Map<number, number>> {
  const sent = new Map<number, number>();
  for (let i = 0; i < 40 && sent.size < pids.length; i++) {
    const stats = await server.wsStats!();
    if (!sent.has(stats.pid)) sent.set(stats.pid, stats.messages_sent);
  }
  if (sent.size < pids.length) throw new Error(`only ${sent.size} of ${pids.length} workers answered /ws/stats`);
  return sent;
}

async function measureWorkers(rep: number): Promise<WorkerMeasured[]> {
  const server = await startGateway(2);
  running.add(server);
  const out: WorkerMeasured[] = [];
  try {
    const pids = childrenOf(server.pid);
    if (pids.length !== 2) throw new Error(`expected 2 gateway workers under pid ${server.pid}, found ${pids.length}`);
    await warmUp(server);
    for (const s of workerRows) {
      const receivers = fork(fileURLToPath(new URL('receivers.mts', import.meta.url)), [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const receiversHandle = { stop: () => receivers.kill() };
      running.add(receiversHandle);
      try {
        const clients = Array.from({ length: s.connections }, (_, i) => server.client(`BENCH${i % s.channels}`));
        const conn = await ask(receivers, { cmd: 'connect', clients }, 'connected');
        await sleep(1000);
        await warmRow(server, s, `w${rep}-s${SCENARIOS.indexOf(s)}-warm`);
        await ask(receivers, { cmd: 'reset' }, 'reset');
        const sent0 = await sentByWorker(server, pids);
        const cpu0 = [server.pid, ...pids].map(cpuTicks);
        const pub = await publishRounds(server, s, `w${rep}-s${SCENARIOS.indexOf(s)}`);
        await sleep(1500);
        const cpuMs = [server.pid, ...pids].map((pid, i) => ticksToMs(cpuTicks(pid) - cpu0[i]!));
        const sent1 = await sentByWorker(server, pids);
        const report = await ask(receivers, { cmd: 'report' }, 'report');
        const seconds = durationMs / 1000;
        const m: WorkerMeasured = {
          scenario: key(s),
          deliveredShare: report.received / Math.max(1, pub.rounds * conn.connections),
          deliveriesPerSecond: report.received / seconds,
          p99Ms: report.p99Ms,
          workers: pids.map((pid, i) => {
            const delivered = sent1.get(pid)! - sent0.get(pid)!;
            return { deliveriesPerSecond: delivered / seconds, cpuMsPer1k: cpuPer1k(cpuMs[i + 1]!, delivered) };
          }),
          primaryCpuMsPer1k: cpuPer1k(cpuMs[0]!, report.received),
        };
        process.stderr.write(
          `  rep ${rep + 1} gateway, 2 workers ${m.scenario}: delivered ${cell(m.deliveredShare * 100, 1)} %, ${cell(m.deliveriesPerSecond, 0)} deliveries/s, p99 ${cell(m.p99Ms, 1)} ms; ` +
            m.workers.map((w, i) => `worker ${i + 1} ${cell(w.deliveriesPerSecond, 0)}/s, ${cell(w.cpuMsPer1k, 2)} ms CPU/1k`).join('; ') +
            `; primary ${cell(m.primaryCpuMsPer1k, 2)} ms CPU/1k\n`,
        );
        out.push(m);
      } finally {
        receivers.kill();
        running.delete(receiversHandle);
        await sleep(1000);
      }
    }
  } finally {
    await server.stop();
    running.delete(server);
  }
  return out;
}

if (workerRows.length > 0) {
  const measured: WorkerMeasured[] = [];
  for (let rep = 0; rep < reps; rep++) {
    process.stderr.write(`repetition ${rep + 1}/${reps}: gateway, GATEWAY_WORKERS=2\n`);
    measured.push(...(await measureWorkers(rep)));
  }
  const wmed = (scenario: string, pick: (m: WorkerMeasured) => number) => median(measured.filter((m) => m.scenario === scenario).map(pick));
  console.log(
    `\ngateway with GATEWAY_WORKERS=2 (reported, not compared: the publisher and receivers share the two cores), medians of ${reps}; load average ${load()}\n`,
  );
  console.log(
    '| row | deliveries/s (delivered) | p99 ms | worker 1: deliveries/s, CPU ms per 1k | worker 2: deliveries/s, CPU ms per 1k | primary CPU ms per 1k deliveries (bus relay, PGlite) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const s of workerRows) {
    const sc = key(s);
    const w = (i: number) =>
      `${cell(
        wmed(sc, (m) => m.workers[i]!.deliveriesPerSecond),
        0,
      )}, ${cell(
        wmed(sc, (m) => m.workers[i]!.cpuMsPer1k),
        2,
      )}`;
    const total = `${cell(
      wmed(sc, (m) => m.deliveriesPerSecond),
      0,
    )} (${cell(wmed(sc, (m) => m.deliveredShare) * 100, 1)} %)`;
    console.log(
      `| ${label(s)} | ${total} | ${cell(
        wmed(sc, (m) => m.p99Ms),
        1,
      )} | ${w(0)} | ${w(1)} | ${cell(
        wmed(sc, (m) => m.primaryCpuMsPer1k),
        2,
      )} |`,
    );
  }
}
