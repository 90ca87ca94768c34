// bench/pipeline (issue 6): latency from a tick's creation in market-data to its arrival at a
// WebSocket client, through the real Kafka broker. Four processes: market-data and the gateway,
// each started from its dist/main.js as in production; the load clients; and this orchestrator.
//
//   node bench/pipeline/run.mts [--rate 1000] [--symbols 100] [--connections 1000]
//                               [--warmup 5] [--duration 20] [--feed replay|simulated] [--db postgres|pglite]
// The replay feed (default) plays a generated file of ticks 1/rate s apart, round robin over the
// symbols, rebased to now: each tick is stamped with the moment market-data emits it. The
// simulated feed stamps ticks with its market clock and emits them on a timer of
// 1000 / (rate / symbols) ms (100 ms by default), so its stamps run up to that far ahead of
// creation and the latency it shows includes that.
// Kafka at KAFKA_BROKERS (default 127.0.0.1:9092), a fresh topic prefix per run. Database, as in
// production: a fresh database on the PostgreSQL server at BENCH_PG_ADMIN_URL (default
// postgres://postgres@127.0.0.1:5432/postgres, the one `bash infra/up.sh` starts), dropped at the
// end. `--db pglite` runs both services on embedded PGlite in a temporary folder instead: PGlite
// executes its queries on the service's own thread, between the publisher's turns, and the p99
// is 21-43 ms there against 12-20 ms on PostgreSQL (bench/pipeline/README.md).
// (Build first: pnpm run build.)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { deleteBenchTopics } from '../kafka_cleanup.mts';
import { freePort } from '../ports.mts';
import type { ClientsCommand, ClientsReply } from './protocol.mts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    symbols: { type: 'string', default: '100' },
    connections: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '5' },
    duration: { type: 'string', default: '20' },
    feed: { type: 'string', default: 'replay' },
    db: { type: 'string', default: 'postgres' },
  },
});
const rate = Number(values.rate);
const symbolCount = Number(values.symbols);
const connections = Number(values.connections);
const warmupMs = Number(values.warmup) * 1000;
const durationMs = Number(values.duration) * 1000;
const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
if (values.db !== 'postgres' && values.db !== 'pglite') throw new Error(`--db is postgres or pglite, not '${values.db}'`);
const pgAdminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const benchDatabase = `bench_pipeline_${process.pid}`;

const repo = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'mp-bench-pipeline-'));
const prefix = `bench.pipeline.${process.pid}.${Date.now()}.`;
const symbols = Array.from({ length: symbolCount }, (_, i) => `SYM${String(i).padStart(3, '0')}`);

/** Enough ticks for warm-up and measurement, `rate` per second round robin over the symbols, as replay CSV. */
function writeReplayFile(seconds: number): string {
  const path = join(work, 'ticks.csv');
  const lines = ['symbol,price,bid,ask,volume,time'];
  const prices = symbols.map((_, i) => 50 + i);
  const t0 = Date.now();
  for (let n = 0; n < seconds * rate; n++) {
    const i = n % symbols.length;
    prices[i] = Math.max(1, prices[i]! * (1 + (((n * 7919) % 200) - 100) / 1e6));
    const p = prices[i]!;
    lines.push(
      `${symbols[i]},${p.toFixed(2)},${(p - 0.01).toFixed(2)},${(p + 0.01).toFixed(2)},${1 + (n % 50)},${t0 + Math.floor((n * 1000) / rate)}`,
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

interface Service {
  name: string;
  child: ChildProcess;
  log: string;
}

function databaseUrl(name: string): string {
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement as the admin role (CREATE/DROP DATABASE cannot run in a transaction or a pool's session of the database itself). */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgAdminUrl });
  try {
    await client.connect();
    await client.query(sql);
  } catch (err) {
    throw new Error(
      `PostgreSQL at ${pgAdminUrl.replace(/\/\/[^@/]*@/, '//')}: ${err instanceof Error ? err.message : String(err)} (start it with \`bash infra/up.sh\`, set BENCH_PG_ADMIN_URL, or run with --db pglite)`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function startService(name: string, main: string, env: Record<string, string>): Service {
  const log = join(work, `${name}.log`);
  const fd = openSync(log, 'a');
  const database = values.db === 'postgres' ? { DATABASE_URL: databaseUrl(benchDatabase) } : { PGLITE_DIR: join(work, 'pglite') };
  const child = spawn(process.execPath, [join(repo, main)], {
    cwd: repo,
    env: { ...process.env, BUS: 'kafka', KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'info', ...database, ...env },
    stdio: ['ignore', fd, fd],
  });
  return { name, child, log };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | false> | T | false): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => false as const);
    if (value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const readyIn = (s: Service) =>
  until(`${s.name} to log "ready" (see ${s.log})`, 60_000, () => readFileSync(s.log, 'utf8').includes('"msg":"ready"'));

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ask<R extends ClientsReply>(child: ChildProcess, command: ClientsCommand, reply: R['cmd']): Promise<R> {
  return new Promise((resolve) => {
    const onMessage = (m: ClientsReply) => {
      if (m.cmd !== reply) return;
      child.off('message', onMessage);
      resolve(m as R);
    };
    child.on('message', onMessage);
    child.send(command);
  });
}

const started: ChildProcess[] = [];
try {
  if (values.db === 'postgres') await admin(`CREATE DATABASE ${benchDatabase}`);
  const gatewayPort = await freePort();
  const gateway = startService('gateway', 'gateway/dist/main.js', {
    GATEWAY_PORT: String(gatewayPort),
    GATEWAY_INSTANCE_ID: 'bench-pipeline',
    PUBLISH_GRPC_PORT: '0',
    METRICS_PORT: '0',
    WS_MAX_CONNECTIONS: String(connections * 2),
    WS_MAX_CONNECTIONS_PER_ADDRESS: String(connections * 2),
  });
  started.push(gateway.child);
  await readyIn(gateway);
  await until('the gateway to consume its topics', 60_000, async () => {
    const health = (await (await fetch(`http://127.0.0.1:${gatewayPort}/health`)).json()) as {
      components: Record<string, { status: string }>;
    };
    return health.components.event_consumer?.status === 'healthy';
  });

  const clients = fork(fileURLToPath(new URL('clients.mts', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  started.push(clients);
  const conn = await ask<ClientsReply & { cmd: 'connected' }>(
    clients,
    { cmd: 'connect', urlPrefix: `ws://127.0.0.1:${gatewayPort}/ws/market-data/`, symbols, connections },
    'connected',
  );
  if (conn.failed > 0) process.stderr.write(`${conn.failed} of ${connections} clients could not connect\n`);

  const feed: Record<string, string> =
    values.feed === 'simulated'
      ? { MARKET_PROVIDER: 'simulated', MARKET_TICK_RATE: String(rate / symbolCount) }
      : {
          MARKET_PROVIDER: 'replay',
          MARKET_REPLAY_FILE: writeReplayFile(Math.ceil((warmupMs + durationMs) / 1000) + 10),
          MARKET_REPLAY_SPEED: '1',
          MARKET_REPLAY_REBASE: 'true',
          MARKET_REPLAY_LOOP: 'true',
        };
  const marketData = startService('market-data', 'services/market-data/dist/main.js', {
    GRPC_PORT: '0',
    MARKET_SYMBOLS: symbols.join(','),
    ...feed,
  });
  started.push(marketData.child);
  await readyIn(marketData);

  process.stderr.write(`warming up ${warmupMs / 1000} s, then measuring ${durationMs / 1000} s...\n`);
  await new Promise((r) => setTimeout(r, warmupMs));
  await ask(clients, { cmd: 'reset' }, 'reset');
  const pids = { 'market-data': marketData.child.pid!, gateway: gateway.child.pid!, clients: clients.pid! };
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  await new Promise((r) => setTimeout(r, durationMs));
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, ((cpuSeconds(pid) - cpuBefore[k]!) / (durationMs / 1000)) * 100]),
  );
  const rep = await ask<ClientsReply & { cmd: 'report' }>(clients, { cmd: 'report' }, 'report');

  const seconds = rep.elapsedMs / 1000;
  const fmt = (n: number, d = 1) => n.toFixed(d);
  console.log(
    `\npipeline: market-data (${values.feed} feed, ${symbolCount} symbols, ${rate} ticks/s, ${values.db === 'postgres' ? 'PostgreSQL' : 'PGlite'}) -> Kafka ${brokers} -> gateway -> ${conn.connections} WebSocket clients (${connections / symbolCount} per symbol); ${fmt(seconds)} s measured after ${warmupMs / 1000} s of warm-up\n`,
  );
  console.log(
    '| ticks/s reaching clients | deliveries/s | expected deliveries/s | p50 ms | p90 ms | p99 ms | max ms | clients closed | CPU market-data | CPU gateway | CPU clients |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${fmt(rep.ticks / seconds, 0)} | ${fmt(rep.received / seconds, 0)} | ${fmt((rate * connections) / symbolCount, 0)} | ${rep.p50Ms} | ${rep.p90Ms} | ${rep.p99Ms} | ${rep.maxMs} | ${rep.closed} | ${fmt(cpu['market-data']!, 0)} % | ${fmt(cpu.gateway!, 0)} % | ${fmt(cpu.clients!, 0)} % |`,
  );
  console.log(
    `\nlatency: client receipt time minus the tick's own timestamp (${values.feed === 'simulated' ? "the simulated market's clock, up to one feed period ahead of creation" : 'the moment market-data emits it'}), wall clock, 1 ms resolution; goal p99 < 30 ms`,
  );
} finally {
  for (const child of started.reverse()) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
  await deleteBenchTopics(brokers, prefix);
  if (values.db === 'postgres')
    await admin(`DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`).catch((err: unknown) => console.error(String(err)));
}
