import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { events } from '@marketpulse/proto';
import { PgliteDatabase } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestRecord, NewModelVersion, PendingEvent } from './store';
import { SqlPredictionStore } from './store_sql';

// What a symbol keeps: trainings and backtests at the rate limit made hundreds of thousands of rows
// a day, kept for good, every version listed by a ListModelVersions without a limit.

let dir: string;
let db: PgliteDatabase;
let store: SqlPredictionStore;
let announced = 0;
const announce = (): PendingEvent => ({ event: events.Event.fromPartial({ id: `evt_${++announced}` }), traceparent: null });

const trained = (symbol: string): NewModelVersion => ({
  symbol,
  algorithm: 'holt',
  status: 'trained',
  params: { alpha: 0.5, beta: 0.2 },
  description: '',
  createdAtMs: Date.now(),
  error: '',
});

const backtest = (symbol: string, n: number, status: BacktestRecord['status']): BacktestRecord => ({
  id: `bt_${symbol}_${n}`,
  symbol,
  modelNumber: 1,
  horizonS: 60,
  startMs: 0,
  endMs: 1,
  status,
  createdAtMs: 1_000 + n,
  error: '',
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prediction-retention-'));
  db = await PgliteDatabase.open({ service: 'prediction', dataDir: dir });
  store = new SqlPredictionStore(db, { versions: 3, backtests: 3 });
  await store.migrate();
});

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('what a symbol keeps', () => {
  it('keeps the newest PREDICTION_MAX_VERSIONS_PER_SYMBOL versions, and every version that ever served', async () => {
    await store.ensureBaseline('KEEP', { alpha: 0.3, beta: 0.1 }, Date.now());
    for (let i = 0; i < 3; i++) await store.createVersion(trained('KEEP'), announce);
    await store.deploy('KEEP', 3, 'ops', Date.now(), false, announce);
    for (let i = 0; i < 5; i++) await store.createVersion(trained('KEEP'), announce);
    await store.createVersion(trained('OTHER'), announce);
    // 1 (the baseline) and 3 served; 6, 7, 8 are the newest three; 2, 4 and 5 never served.
    expect((await store.listVersions('KEEP', 0)).map((v) => v.number)).toEqual([9, 8, 7, 3, 1]);
    expect(await store.version('KEEP', 4)).toBeUndefined();
    expect((await store.listVersions('OTHER', 0)).map((v) => v.number)).toEqual([1]);
    // A rollback still finds what served before.
    expect((await store.rollback('KEEP', 'ops', Date.now(), announce))?.model.number).toBe(1);
  });

  it('keeps the newest PREDICTION_MAX_BACKTESTS_PER_SYMBOL finished backtests, and every running one', async () => {
    await store.createBacktest(backtest('BT', 0, 'running'), 'runner');
    for (let n = 1; n <= 6; n++) await store.createBacktest(backtest('BT', n, 'completed'), 'runner');
    await store.createBacktest(backtest('BT2', 1, 'completed'), 'runner');
    const kept = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(async (n) => (await store.backtest(`bt_BT_${n}`)) !== undefined));
    expect(kept).toEqual([true, false, false, false, true, true, true]);
    expect(await store.backtest('bt_BT2_1')).toBeDefined();
  });
});
