// bench/resume: how long a client takes to catch up on 30,000 missed events read back from Kafka,
// and what that catch-up costs the live clients of the same gateway (p99 with and without it).
//
//   node bench/resume/run.mts [--missed 30000] [--clients 1000] [--rate 50] [--seconds 10] [--gateway gateway/dist]
//
// `--gateway` runs another build (a copy of gateway/dist inside gateway/, so that its imports
// resolve): two builds compare interleaved without swapping the shared one.
//
// Needs Kafka on 127.0.0.1:9092 (KAFKA_BROKERS) and a build (pnpm run build). The gateway runs as
// its own process (gateway/dist/main.js, BUS=kafka, default settings but GATEWAY_WORKERS=1), the
// live clients in another.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { events } from '@marketpulse/proto';
import { commonConfigSchema, createBus, createLogger, loadConfig } from '@marketpulse/runtime';
import WebSocket from 'ws';
import { deleteBenchTopics } from '../kafka_cleanup.mts';
import { freePort } from '../ports.mts';
import type { CatchUpCommand, CatchUpReply } from './catch_up_client.mts';
import type { LiveCommand, LiveReply, WindowFigures } from './live_clients.mts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    missed: { type: 'string', default: '30000' },
    clients: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    gateway: { type: 'string', default: 'gateway/dist' },
  },
});
const MISSED = Number(args.missed);
const CLIENTS = Number(args.clients);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const prefix = `bench.resume.${randomUUID().slice(0, 8)}.`;
const logger = createLogger('bench-resume', {}, { level: 'warn' });
const bus = createBus(
  loadConfig(commonConfigSchema, { BUS: 'kafka', KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '3' }),
  logger,
);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (what: string) => console.error(`[bench/resume] ${what}`);

function tick(symbol: string, price: number): events.Event {
  const time = new Date().toISOString();
  return events.Event.fromPartial({
    id: randomUUID(),
    type: 'market_data_update',
    source: 'bench-resume',
    subject: symbol,
    time,
    payload: { $case: 'market_data_update', market_data_update: { symbol, price, volume: 1, timestamp: time } },
  });
}

async function waitConsuming(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const health = (await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.json(),
      () => undefined,
    )) as { components?: Record<string, { status: string }> } | undefined;
    if (health?.components?.event_consumer?.status === 'healthy') return;
    await sleep(100);
  }
  throw new Error('the gateway did not start consuming within 60 s');
}

function ask(live: ChildProcess, command: LiveCommand, reply: LiveReply['cmd']): Promise<LiveReply> {
  return new Promise((resolve) => {
    const on = (m: LiveReply) => {
      if (m.cmd !== reply) return;
      live.off('message', on);
      resolve(m);
    };
    live.on('message', on);
    live.send(command);
  });
}

/** Publishes live ticks at RATE per second until stopped, each stamped with its send time. */
function publishLive(): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    const started = now();
    for (let n = 0; running; n++) {
      const due = started + (n * 1000) / RATE;
      if (due > now()) await sleep(due - now());
      await bus.publish(tick('LIVE', now()));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** CPU time (user + system) in ms of a /proc stat file: /proc counts it in 1/100 s. */
function cpuOfStat(path: string): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time (user + system, every thread) a process has used, in ms. */
function cpuOf(pid: number): number {
  return cpuOfStat(`/proc/${pid}/stat`);
}

/** The same by thread: the event loop's, the read-back thread's (log_reader.ts names it) and the others' (V8's GC helpers, libuv). */
function threadCpuOf(pid: number): { loop: number; readBack: number; other: number } {
  const cpu = { loop: 0, readBack: 0, other: 0 };
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      const ms = cpuOfStat(`/proc/${pid}/task/${task}/stat`);
      if (comm === 'MainThread') cpu.loop += ms;
      else if (comm === 'kafka-read-back') cpu.readBack += ms;
      else cpu.other += ms;
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return cpu;
}

function minus<T extends Record<string, number>>(a: T, b: T): T {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - b[k]!])) as T;
}

const port = await freePort();
const pgliteDir = join(root, '.run', `bench-resume-${process.pid}`);
const gateway = spawn(process.execPath, [join(root, args.gateway, 'main.js')], {
  env: {
    ...process.env,
    BUS: 'kafka',
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '3',
    GATEWAY_PORT: String(port),
    PUBLISH_GRPC_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    // One process: the catch-up and every live client share one event loop, the case this measures.
    GATEWAY_WORKERS: '1',
    PGLITE_DIR: pgliteDir,
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
// Taken now: a gateway that dies during the run must not leave the clean-up waiting for an exit already past.
const gatewayExited = new Promise((resolve) => gateway.once('exit', resolve));
gateway.once('exit', (code, signal) => progress(`the gateway exited (${code ?? signal})`));
const live = fork(join(dirname(fileURLToPath(import.meta.url)), 'live_clients.mts'), { stdio: 'inherit' });
// Started before any window is measured: a process's start takes tens of milliseconds of CPU or
// more, which would land in the catch-up's window.
const catchUp = fork(join(dirname(fileURLToPath(import.meta.url)), 'catch_up_client.mts'), { stdio: 'inherit' });
const catchUpReady = new Promise((resolve) => catchUp.once('message', resolve)); // { cmd: 'ready' }
let feed: ReturnType<typeof publishLive> | undefined;
try {
  await bus.publish([tick('LIVE', now()), tick('CATCH', 0)]); // creates the topics
  await waitConsuming(port);
  progress('gateway consuming');

  // The resuming client sees one tick, leaves, and misses MISSED more.
  const seen = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/market-data/CATCH`);
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { type: string; id?: string };
      if (m.type === 'market_data_update') {
        ws.close();
        resolve(m.id!);
      }
    });
    ws.once('open', () => void bus.publish(tick('CATCH', 1)));
  });
  for (let n = 0; n < MISSED; n += 1000)
    await bus.publish(Array.from({ length: Math.min(1000, MISSED - n) }, (_, i) => tick('CATCH', 2 + n + i)));

  progress(`${MISSED} missed ticks published`);
  const connected = (await ask(
    live,
    { cmd: 'connect', url: `ws://127.0.0.1:${port}/ws/market-data/LIVE`, clients: CLIENTS },
    'connected',
  )) as Extract<LiveReply, { cmd: 'connected' }>;
  progress('live clients connected');
  await catchUpReady;
  feed = publishLive();
  await sleep(3000); // the gateway has consumed the missed ticks and the live feed is steady
  live.send({ cmd: 'window' });
  const quiet = cpuOf(gateway.pid!);
  const quietThreads = threadCpuOf(gateway.pid!);
  await sleep(SECONDS * 1000);
  live.send({ cmd: 'window' });
  const quietCpu = cpuOf(gateway.pid!) - quiet;
  const quietThreadsCpu = minus(threadCpuOf(gateway.pid!), quietThreads);

  progress('undisturbed window measured');
  // The catch-up, with the live feed still running: from the request to the last missed tick.
  const busy = cpuOf(gateway.pid!);
  const busyThreads = threadCpuOf(gateway.pid!);
  const outcome = await new Promise<CatchUpReply>((resolve) => {
    catchUp.once('message', (m: CatchUpReply) => resolve(m));
    catchUp.send({
      cmd: 'catch-up',
      url: `ws://127.0.0.1:${port}/ws/market-data/CATCH?since=${seen}`,
      missed: MISSED,
    } satisfies CatchUpCommand);
  });
  if (outcome.cmd !== 'caught-up') throw new Error(`the catch-up failed: ${outcome.cmd === 'failed' ? outcome.reason : outcome.cmd}`);
  const { ms: catchUpMs, received, cpuMs: clientCpu } = outcome;
  // The gateway's CPU (both threads) during the catch-up, less what live delivery took at the undisturbed rate.
  const catchUpCpu = cpuOf(gateway.pid!) - busy - (quietCpu * catchUpMs) / (SECONDS * 1000);
  const busyThreadsCpu = minus(threadCpuOf(gateway.pid!), busyThreads);
  const above = (k: keyof typeof busyThreadsCpu) => busyThreadsCpu[k] - (quietThreadsCpu[k] * catchUpMs) / (SECONDS * 1000);
  live.send({ cmd: 'window' }); // what arrives after the catch-up is not measured
  await feed.stop();
  const { windows } = (await ask(live, { cmd: 'report' }, 'report')) as Extract<LiveReply, { cmd: 'report' }>;
  const [undisturbed, during] = windows as [WindowFigures, WindowFigures];

  const ratio = during.p99 / undisturbed.p99;
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(
    `bench/resume: ${MISSED.toLocaleString('en')} missed events read back from Kafka; ${CLIENTS.toLocaleString('en')} live clients (${connected.failed} failed to connect) × ${RATE} ticks/s through Kafka`,
  );
  console.log(
    `  catch-up: ${ms(catchUpMs)} for ${received.toLocaleString('en')} events (${Math.round(received / (catchUpMs / 1000)).toLocaleString('en')} events/s)   goal < 2,000 ms: ${catchUpMs < 2000 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  live p99 without catch-up: ${ms(undisturbed.p99)} (p50 ${ms(undisturbed.p50)}, ${undisturbed.samples.toLocaleString('en')} samples over ${SECONDS} s)`,
  );
  console.log(
    `  live p99 during catch-up:  ${ms(during.p99)} (p50 ${ms(during.p50)}, ${during.samples.toLocaleString('en')} samples over ${ms(catchUpMs)})`,
  );
  console.log(`  ratio ${ratio.toFixed(2)}   goal ≤ 1.2: ${ratio <= 1.2 ? 'met' : 'NOT met'}`);
  const slices = [...(undisturbed.slices ?? [])].sort((a, b) => a - b);
  if (slices.length > 0) {
    const within = slices.filter((p) => p / undisturbed.p99 <= 1.2).length;
    console.log(
      `  noise floor: the undisturbed window cut into ${slices.length} slices as long as the catch-up's: p99 ${ms(slices[0]!)}–${ms(slices.at(-1)!)} (median ${ms(slices[Math.floor(slices.length / 2)]!)}), ratio ≤ 1.2 in ${within} of ${slices.length}`,
    );
  }
  const perEvent = (cpu: number) => `${((cpu * 1000) / received).toFixed(1)} µs per event`;
  console.log(
    `  CPU of the catch-up: gateway ${ms(catchUpCpu)} above its live load (${perEvent(catchUpCpu)}), resuming client ${ms(clientCpu)} (${perEvent(clientCpu)})`,
  );
  console.log(
    `    gateway by thread, above its live load: event loop ${perEvent(above('loop'))}, read-back thread ${perEvent(above('readBack'))}, others (GC, I/O) ${perEvent(above('other'))}`,
  );
} finally {
  // Stopped before the bus closes, so a failed run reports its own error, not the feed's closed bus.
  await feed?.stop();
  live.disconnect();
  if (catchUp.connected) catchUp.disconnect();
  gateway.kill('SIGTERM');
  await gatewayExited; // its consumer group is left before it is deleted
  await bus.close();
  await deleteBenchTopics(brokers, prefix);
  await rm(pgliteDir, { recursive: true, force: true });
}
