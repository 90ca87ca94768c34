import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, PgliteDatabase } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERVAL_Z } from '../model/forecast';
import { syntheticSeries } from '../model/synthetic';
import { Predictor } from '../predictor';
import type { Announce, BacktestRecord } from '../store/store';
import { SqlPredictionStore } from '../store/store_sql';
import { INTERRUPTED_BACKTEST_ERROR, ModelLifecycle } from './lifecycle';

// A backtest must always reach an outcome GetBacktest can show: a completion write the database
// refuses is retried, and one left running by an instance that stopped is failed by the next start,
// while a backtest another live instance is still computing is left to it.

const SYMBOL = 'BT';
const LEASE_MS = 300;
const z = INTERVAL_Z['0.95'];
const ticks = syntheticSeries({
  start: 100,
  slopePerS: 0.1,
  noise: 0.05,
  count: 80,
  stepMs: 1000,
  startTimeMs: Date.parse('2025-01-02T10:00:00Z'),
  seed: 3,
});

/** The database as one instance sees it: its backtest outcomes are refused while `away` or for the first `refusals` attempts. */
class FlakyStore extends SqlPredictionStore {
  away = false;
  refusals = 0;
  attempts = 0;

  override async finishBacktest(finished: BacktestRecord, announce: Announce<BacktestRecord>): Promise<boolean> {
    this.attempts++;
    if (this.away || this.refusals-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    return super.finishBacktest(finished, announce);
  }
}

let dir: string;
let db: PgliteDatabase;
const lifecycles: ModelLifecycle[] = [];
const logLines: Record<string, unknown>[] = [];

function instance(runner: string, store = new FlakyStore(db)): { lifecycle: ModelLifecycle; store: FlakyStore } {
  const logger = createLogger(
    'prediction-test',
    { runner },
    { level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } },
  );
  const predictor = new Predictor({ level: 0.95, z, defaultHorizonS: 60, maxHorizonS: 86_400, historyTicks: 1000 });
  const lifecycle = new ModelLifecycle({
    store,
    predictor,
    flushOutbox: async () => undefined,
    logger,
    source: 'prediction',
    z,
    runner,
    backtestLeaseMs: LEASE_MS,
  });
  lifecycles.push(lifecycle);
  return { lifecycle, store };
}

const backtestOf = (lifecycle: ModelLifecycle) => lifecycle.startBacktest({ symbol: SYMBOL, version: '', range: {}, horizonS: 10 });

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const settled = (lifecycle: ModelLifecycle, id: string) =>
  until(`backtest ${id} to settle`, async () => {
    const b = await lifecycle.getBacktest(id);
    return b.status === 'running' ? undefined : b;
  });

/** backtest_complete events waiting in the outbox, by backtest id. */
async function announced(id: string) {
  const pending = await new SqlPredictionStore(db).pendingEvents(1000);
  return pending.flatMap((p) =>
    p.event.payload?.$case === 'backtest_complete' && p.event.payload.backtest_complete.id === id
      ? [p.event.payload.backtest_complete]
      : [],
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prediction-backtest-recovery-'));
  db = await PgliteDatabase.open({ service: 'prediction', dataDir: dir });
  const store = new SqlPredictionStore(db);
  await store.migrate();
  await store.ensureBaseline(SYMBOL, { alpha: 0.3, beta: 0.1 }, Date.now());
  for (const [i, t] of ticks.entries()) await store.appendTick({ symbol: SYMBOL, eventId: `t${i}`, volume: 1, ...t });
});

afterAll(async () => {
  await Promise.all(lifecycles.map((l) => l.drain()));
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('backtest completion and recovery', () => {
  it('retries an outcome the database refused until it is stored, and announces it once', async () => {
    const { lifecycle, store } = instance('retrying');
    store.refusals = 2;
    await lifecycle.start();
    const started = await backtestOf(lifecycle);
    expect(started.status).toBe('running');

    const done = await settled(lifecycle, started.id);
    expect(done.status).toBe('completed');
    expect(done.metrics!.samples).toBeGreaterThan(50);
    expect(store.attempts).toBe(3);
    const events = await announced(started.id);
    expect(events.map((e) => e.status)).toEqual(['completed']);
    await lifecycle.drain();
  });

  it('fails at start-up a backtest left running by a stopped run, and leaves a live instance its own', async () => {
    // A previous run stops while the database refuses its outcome: the backtest stays running.
    const previous = instance('previous-run');
    previous.store.away = true;
    await previous.lifecycle.start();
    const orphan = await backtestOf(previous.lifecycle);
    await until('the outcome write to be refused', async () => (previous.store.attempts > 0 ? true : undefined));
    await previous.lifecycle.drain();

    // Another instance keeps computing (its outcome refused for now) and renews its claim as its
    // timer would; renewed by hand so that its own sweep does not fail the orphan before the restart.
    const live = instance('live-instance');
    live.store.away = true;
    const kept = await backtestOf(live.lifecycle);
    for (const end = Date.now() + LEASE_MS * 2; Date.now() < end;) {
      await live.store.renewBacktestClaims('live-instance');
      await new Promise((r) => setTimeout(r, LEASE_MS / 3));
    }
    const restarted = instance('restarted');
    const linesBefore = logLines.length;
    await restarted.lifecycle.start();

    const failed = await restarted.lifecycle.getBacktest(orphan.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe(INTERRUPTED_BACKTEST_ERROR);
    expect(failed.error).toMatch(/^interrupted: .*run the backtest again$/);
    expect((await announced(orphan.id)).map((e) => [e.status, e.error])).toEqual([['failed', INTERRUPTED_BACKTEST_ERROR]]);
    const startLine = logLines
      .slice(linesBefore)
      .find((l) => l.runner === 'restarted' && l.msg === 'backtests left running by a stopped instance marked failed');
    expect(startLine?.interrupted).toBe(1);

    expect((await restarted.lifecycle.getBacktest(kept.id)).status).toBe('running');
    // The live instance's own timer takes over its claim while it retries, until the database takes the outcome.
    await live.store.renewBacktestClaims('live-instance');
    await live.lifecycle.start();
    await new Promise((r) => setTimeout(r, LEASE_MS * 2));
    expect((await restarted.lifecycle.getBacktest(kept.id)).status).toBe('running');
    live.store.away = false;
    expect((await settled(live.lifecycle, kept.id)).status).toBe('completed');
    expect((await announced(kept.id)).map((e) => e.status)).toEqual(['completed']);
  });
});
