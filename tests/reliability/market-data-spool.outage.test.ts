// market-data killed (kill -9) while Kafka is down loses none of the ticks it had accepted: they
// wait in its outage spool on disk, and the next start publishes them, with their original ids and
// times, before anything new. The broker is this test's own (own port and data folder), so stopping
// it disturbs no other test. Runs the built service (`pnpm run build` first) as its own process.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { events } from '@marketpulse/proto';
import { createTopicsWithLeaders } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  removeOwnServer,
  REPO_ROOT,
  runInfraScript,
  spareKafkaPort,
  startProcess,
  uniqueTopicPrefix,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '../harness';

const MAIN = join(REPO_ROOT, 'services/market-data/dist/main.js');
const REGISTER = join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');
const TICK_RATE = 20;

interface SeenTick {
  id: string;
  sequence: number;
  timeMs: number;
}

/** Every AAPL tick on the topic from the beginning, in partition order (one key, one partition). */
async function readTicks(brokers: string, topic: string, group: string): Promise<{ ticks: SeenTick[]; close(): Promise<void> }> {
  const kafka = new Kafka({ clientId: group, brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000 });
  const ticks: SeenTick[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = events.Event.decode(message.value!);
      if (event.payload?.$case !== 'market_data_update') return;
      ticks.push({ id: event.id, sequence: Number(event.payload.market_data_update.sequence), timeMs: Date.parse(event.time!) });
    },
  });
  return { ticks, close: () => consumer.disconnect() };
}

describe.skipIf(Boolean(process.env.MP_RUN_DIR))('market-data killed during a Kafka outage', () => {
  let kafkaPort: number;
  let db: TestDatabase;
  let spoolDir: string;
  let env: Record<string, string>;
  const processes: ManagedProcess[] = [];
  const prefix = uniqueTopicPrefix('md-spool');
  const topic = `${prefix}market_data_update`;

  function startService(label: string): ManagedProcess {
    const proc = startProcess(process.execPath, ['--require', REGISTER, MAIN], env, { label });
    processes.push(proc);
    return proc;
  }

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm run build\` before this suite`);
    kafkaPort = await spareKafkaPort();
    db = await createTestDatabase('md-spool');
    spoolDir = mkdtempSync(join(tmpdir(), 'md-spool-'));
    await runInfraScript('kafka', 'start', kafkaPort);
    const kafka = new Kafka({ clientId: 'md-spool-admin', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 1 }]).finally(() => admin.disconnect());
    env = {
      BUS: 'kafka',
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: db.url,
      GRPC_PORT: '0',
      MARKET_PROVIDER: 'simulated',
      MARKET_SYMBOLS: 'AAPL',
      MARKET_TICK_RATE: String(TICK_RATE),
      MARKET_SPOOL_DIR: spoolDir,
      // Far below the outage's backlog: most of it is kept in the spool file only and read back from it.
      MARKET_SPOOL_MEMORY_EVENTS: '20',
      LOG_LEVEL: 'info',
    };
  }, 120_000);

  afterAll(async () => {
    for (const proc of processes) await proc.stop();
    await removeOwnServer('kafka', kafkaPort);
    await db?.drop().catch(() => undefined);
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  }, 90_000);

  /**
   * Starts market-data, stops the broker, waits `outage` (what it returns is checked at the kill),
   * kills market-data with SIGKILL, starts the broker and a new market-data, and checks that every
   * tick the first run made, up to the kill, reaches Kafka with no hole, before the new run's.
   */
  async function killDuringOutage(label: string, outage: (first: ManagedProcess, outputBeforeOutage: number) => Promise<void>) {
    // Each case starts from a stopped suite, so the spool is free for its first run.
    for (const proc of processes.splice(0)) await proc.stop();
    const startMs = Date.now();
    const first = startService(`${label}-first`);
    await waitFor(() => first.output().includes('"msg":"ready"'), { timeoutMs: 60_000, what: `market-data ready (log ${first.logFile})` });
    const before = await readTicks(`127.0.0.1:${kafkaPort}`, topic, `${prefix}${label}-before`);
    await waitFor(() => before.ticks.filter((t) => t.timeMs > startMs).length >= TICK_RATE, {
      timeoutMs: 30_000,
      what: 'ticks on Kafka before the outage',
    });
    await before.close();

    const outageStartMs = Date.now();
    const outputBeforeOutage = first.output().length;
    await runInfraScript('kafka', 'stop', kafkaPort);
    await outage(first, outputBeforeOutage);
    const killMs = Date.now();
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    await runInfraScript('kafka', 'start', kafkaPort);
    const second = startService(`${label}-second`);
    await waitFor(() => second.output().includes('"msg":"ready"'), {
      timeoutMs: 60_000,
      what: `market-data ready again (log ${second.logFile})`,
    });
    const recovered = Number(/"recovered":(\d+)/.exec(second.output())?.[1] ?? 0);
    const after = await readTicks(`127.0.0.1:${kafkaPort}`, topic, `${prefix}${label}-after`);
    try {
      await waitFor(() => after.ticks.some((t) => t.timeMs > killMs), { timeoutMs: 90_000, what: 'ticks of the second run on Kafka' });
      const inRun = (t: SeenTick) => t.timeMs >= startMs && t.timeMs < killMs;
      const firstRun = new Map(after.ticks.filter(inRun).map((t) => [t.id, t]));
      const lastOfFirstRun = after.ticks.findLastIndex(inRun);
      const firstOfSecondRun = after.ticks.findIndex((t) => t.timeMs > killMs);
      const ticks = [...firstRun.values()];
      const sequences = [...new Set(ticks.map((t) => t.sequence))].sort((a, b) => a - b);
      expect(sequences, 'every tick of the first run, up to the kill, with no hole').toEqual(sequences.map((_, i) => sequences[0] + i));
      const lastMs = Math.max(...ticks.map((t) => t.timeMs));
      expect(lastMs, 'ticks produced up to the moment of the kill arrived').toBeGreaterThan(killMs - 1000);
      expect(
        before.ticks.filter((t) => t.timeMs > startMs).every((t) => firstRun.has(t.id)),
        'ticks published before the outage are still the same events',
      ).toBe(true);
      expect(lastOfFirstRun, 'the recovered ticks came before any tick of the new run').toBeLessThan(firstOfSecondRun);
      return { recovered, duringOutage: ticks.filter((t) => t.timeMs > outageStartMs).length, secondLog: second.logFile };
    } finally {
      await after.close();
    }
  }

  it('publishes the ticks accepted during the outage after a kill -9 and a new start, before newer ones', async () => {
    const { recovered, duringOutage, secondLog } = await killDuringOutage('md-spool', async (first, outputBeforeOutage) => {
      // A topic still settling at start-up can already have sent events to the spool once: only a
      // line written after the broker stops says the outage's ticks are being kept.
      await waitFor(() => first.output().slice(outputBeforeOutage).includes('keeping them in the spool'), {
        timeoutMs: 60_000,
        what: `market-data switching to its spool (log ${first.logFile})`,
      });
      // Ticks keep coming while Kafka is away; some seconds of them exist only in the spool.
      await new Promise((r) => setTimeout(r, 4000));
    });
    expect(recovered, `the second start reports the events it found in the spool (log ${secondLog})`).toBeGreaterThan(TICK_RATE * 4);
    expect(duringOutage, 'ticks produced while Kafka was away').toBeGreaterThan(TICK_RATE * 4);
  }, 300_000);

  it('keeps the ticks of the first seconds of an outage, while the bus is still retrying and has reported no failure', async () => {
    const { recovered, duringOutage, secondLog } = await killDuringOutage('md-spool-early', async (first, outputBeforeOutage) => {
      // The bus retries a publish for many seconds before it fails (6 retries from 300 ms, doubling);
      // until then the ticks of the outage were in memory only.
      await new Promise((r) => setTimeout(r, 2000));
      expect(first.output().slice(outputBeforeOutage), 'the bus has not reported the outage yet').not.toContain(
        'publishing market data failed',
      );
    });
    expect(recovered, `the second start reports the events it found in the spool (log ${secondLog})`).toBeGreaterThan(TICK_RATE);
    expect(duringOutage, 'ticks produced while Kafka was away').toBeGreaterThan(TICK_RATE);
  }, 300_000);
});
