import { events } from '@marketpulse/proto';
import { takeKeyTurn, type Database, type Queryable } from '@marketpulse/runtime';
import type { HoltParams } from '../model/holt';
import type { Tick } from '../model/tick';
import { predictionMigrations } from './migrations';
import type {
  Announce,
  BacktestRecord,
  BacktestStatus,
  DeploymentRecord,
  ModelStatus,
  ModelVersionRecord,
  NewModelVersion,
  OutboxEntry,
  PendingEvent,
  PredictionStore,
  QualityMetrics,
  StoredTick,
  TimeRange,
} from './store';

interface VersionRow {
  symbol: string;
  number: number;
  algorithm: string;
  status: string;
  parameters: HoltParams | string;
  metrics: QualityMetrics | string | null;
  description: string;
  training_start_ms: string | number | null;
  training_end_ms: string | number | null;
  created_at_ms: string | number;
  trained_at_ms: string | number | null;
  error: string;
  activated_at_ms: string | number | null;
}

interface BacktestRow {
  id: string;
  symbol: string;
  number: number;
  horizon_s: number;
  start_ms: string | number;
  end_ms: string | number;
  status: string;
  metrics: QualityMetrics | string | null;
  created_at_ms: string | number;
  completed_at_ms: string | number | null;
  error: string;
}

interface StackRow {
  id: string | number;
  number: number;
}

const VERSION_COLUMNS = `v.symbol, v.number, v.algorithm, v.status, v.parameters, v.metrics, v.description,
  v.training_start_ms, v.training_end_ms, v.created_at_ms, v.trained_at_ms, v.error,
  (SELECT max(d.activated_at_ms) FROM deployments d
     WHERE d.symbol = v.symbol AND d.number = v.number AND d.rolled_back_at_ms IS NULL) AS activated_at_ms`;

/** The database's clock in epoch milliseconds: claims are dated and compared by one clock, whichever instance writes them. */
const DB_NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

const num = (v: string | number) => Number(v);
const optNum = (v: string | number | null) => (v === null ? undefined : Number(v));
// pg parses jsonb; other drivers may hand back text.
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toVersion(r: VersionRow): ModelVersionRecord {
  const params = json(r.parameters);
  return {
    symbol: r.symbol,
    number: Number(r.number),
    algorithm: r.algorithm,
    status: r.status as ModelStatus,
    params: { alpha: Number(params.alpha), beta: Number(params.beta) },
    metrics: r.metrics === null ? undefined : json(r.metrics),
    description: r.description,
    trainingStartMs: optNum(r.training_start_ms),
    trainingEndMs: optNum(r.training_end_ms),
    createdAtMs: num(r.created_at_ms),
    trainedAtMs: optNum(r.trained_at_ms),
    deployedAtMs: optNum(r.activated_at_ms),
    error: r.error,
  };
}

function toBacktest(r: BacktestRow): BacktestRecord {
  return {
    id: r.id,
    symbol: r.symbol,
    modelNumber: Number(r.number),
    horizonS: Number(r.horizon_s),
    startMs: num(r.start_ms),
    endMs: num(r.end_ms),
    status: r.status as BacktestStatus,
    metrics: r.metrics === null ? undefined : json(r.metrics),
    createdAtMs: num(r.created_at_ms),
    completedAtMs: optNum(r.completed_at_ms),
    error: r.error,
  };
}

/** How much history a symbol keeps (PREDICTION_MAX_VERSIONS_PER_SYMBOL, PREDICTION_MAX_BACKTESTS_PER_SYMBOL). */
export interface Retention {
  versions: number;
  backtests: number;
}

/** PredictionStore over the runtime's Database (PostgreSQL, or PGlite when no DATABASE_URL is set). */
export class SqlPredictionStore implements PredictionStore {
  constructor(
    private readonly db: Database,
    private readonly keep: Retention = { versions: 100, backtests: 100 },
  ) {}

  migrate(): Promise<void> {
    return this.db.migrate(predictionMigrations);
  }

  async appendTick(t: StoredTick): Promise<void> {
    await this.db.query(
      `INSERT INTO ticks (symbol, event_id, time_ms, price, volume) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (symbol, event_id) DO NOTHING`,
      [t.symbol, t.eventId, Math.round(t.timeMs), t.price, t.volume],
    );
  }

  async ticks(symbol: string, range: TimeRange = {}, limit?: number): Promise<Tick[]> {
    const params: unknown[] = [symbol, range.fromMs ?? null, range.toMs ?? null];
    const limitClause = limit === undefined ? '' : `LIMIT $${params.push(limit)}`;
    const { rows } = await this.db.query<{ time_ms: string | number; price: number }>(
      `SELECT time_ms, price FROM (
         SELECT time_ms, price, event_id FROM ticks
          WHERE symbol = $1 AND ($2::bigint IS NULL OR time_ms >= $2) AND ($3::bigint IS NULL OR time_ms < $3)
          ORDER BY time_ms DESC, event_id DESC ${limitClause}
       ) newest ORDER BY time_ms, event_id`,
      params,
    );
    return rows.map((r) => ({ timeMs: num(r.time_ms), price: Number(r.price) }));
  }

  async pruneTicks(symbol: string, keep: number): Promise<number> {
    const { rows } = await this.db.query<{ pruned: string | number }>(
      `WITH doomed AS (
         SELECT event_id FROM ticks WHERE symbol = $1 ORDER BY time_ms DESC, event_id DESC OFFSET $2
       ), gone AS (
         DELETE FROM ticks t USING doomed WHERE t.symbol = $1 AND t.event_id = doomed.event_id RETURNING 1
       ) SELECT count(*) AS pruned FROM gone`,
      [symbol, keep],
    );
    return Number(rows[0]?.pruned ?? 0);
  }

  async symbols(): Promise<string[]> {
    const { rows } = await this.db.query<{ symbol: string }>(`SELECT DISTINCT symbol FROM model_versions ORDER BY symbol`);
    return rows.map((r) => r.symbol);
  }

  async deployedVersion(symbol: string): Promise<ModelVersionRecord | undefined> {
    return deployedVersion(this.db, symbol);
  }

  async ensureBaseline(symbol: string, params: HoltParams, nowMs: number): Promise<ModelVersionRecord> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO model_versions (symbol, number, algorithm, status, parameters, description, created_at_ms, trained_at_ms)
         VALUES ($1, 1, 'holt', 'deployed', $2, 'baseline: default parameters, not fitted', $3, $3)
         ON CONFLICT (symbol, number) DO NOTHING RETURNING number`,
        [symbol, JSON.stringify(params), nowMs],
      );
      if (inserted.rows.length > 0) {
        await tx.query(
          `INSERT INTO deployments (symbol, number, previous_number, rollback, deployed_by, deployed_at_ms, activated_at_ms)
           VALUES ($1, 1, NULL, false, 'prediction (baseline)', $2, $2)`,
          [symbol, nowMs],
        );
      }
      const deployed = await deployedVersion(tx, symbol);
      if (!deployed) throw new Error(`symbol ${symbol} has model versions but none deployed`);
      return deployed;
    });
  }

  async createVersion(v: NewModelVersion, announce: Announce<ModelVersionRecord>): Promise<ModelVersionRecord> {
    return this.db.transaction(async (tx) => {
      // Numbers are max + 1: creates of one symbol take turns, or two at once took the same number
      // and one failed (INTERNAL, duplicate key).
      await takeKeyTurn(tx, 'prediction.model_versions', v.symbol);
      const { rows } = await tx.query<{ number: number }>(
        `INSERT INTO model_versions (symbol, number, algorithm, status, parameters, metrics, description,
                                     training_start_ms, training_end_ms, created_at_ms, trained_at_ms, error)
         SELECT $1, coalesce(max(number), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM model_versions WHERE symbol = $1
         RETURNING number`,
        [
          v.symbol,
          v.algorithm,
          v.status,
          JSON.stringify(v.params),
          v.metrics === undefined ? null : JSON.stringify(v.metrics),
          v.description,
          v.trainingStartMs ?? null,
          v.trainingEndMs ?? null,
          v.createdAtMs,
          v.trainedAtMs ?? null,
          v.error,
        ],
      );
      const created: ModelVersionRecord = { ...v, number: Number(rows[0].number) };
      // Trainings at the rate limit made hundreds of thousands a day, kept for good and all listed
      // by a ListModelVersions without a limit. A version that ever served stays: deployments refer
      // to it, and a rollback may return to it.
      await tx.query(
        `DELETE FROM model_versions v WHERE v.symbol = $1 AND v.number <= $2::int - $3::int
           AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.symbol = v.symbol AND d.number = v.number)`,
        [v.symbol, created.number, this.keep.versions],
      );
      await addToOutbox(tx, announce(created));
      return created;
    });
  }

  async version(symbol: string, number: number): Promise<ModelVersionRecord | undefined> {
    return version(this.db, symbol, number);
  }

  async listVersions(symbol: string, limit: number): Promise<ModelVersionRecord[]> {
    const { rows } = await this.db.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM model_versions v WHERE v.symbol = $1 ORDER BY v.number DESC ${limit > 0 ? 'LIMIT $2' : ''}`,
      limit > 0 ? [symbol, limit] : [symbol],
    );
    return rows.map(toVersion);
  }

  async deploy(
    symbol: string,
    number: number,
    deployedBy: string,
    nowMs: number,
    rollback: boolean,
    announce: Announce<DeploymentRecord>,
  ): Promise<DeploymentRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const [live] = await stack(tx, symbol, 1);
      if (live && live.number === number) return undefined;
      await tx.query(
        `INSERT INTO deployments (symbol, number, previous_number, rollback, deployed_by, deployed_at_ms, activated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $6)`,
        [symbol, number, live?.number ?? null, rollback, deployedBy, nowMs],
      );
      await swapStatus(tx, symbol, live?.number, number);
      const deployment = {
        model: (await version(tx, symbol, number))!,
        previousNumber: live?.number,
        rollback,
        deployedBy,
        deployedAtMs: nowMs,
      };
      await addToOutbox(tx, announce(deployment));
      return deployment;
    });
  }

  async rollback(
    symbol: string,
    deployedBy: string,
    nowMs: number,
    announce: Announce<DeploymentRecord>,
  ): Promise<DeploymentRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const [live, before] = await stack(tx, symbol, 2);
      if (!live || !before) return undefined;
      await tx.query(`UPDATE deployments SET rolled_back_at_ms = $2 WHERE id = $1`, [live.id, nowMs]);
      await tx.query(`UPDATE deployments SET activated_at_ms = $2 WHERE id = $1`, [before.id, nowMs]);
      await swapStatus(tx, symbol, live.number, before.number);
      const deployment = {
        model: (await version(tx, symbol, before.number))!,
        previousNumber: live.number,
        rollback: true,
        deployedBy,
        deployedAtMs: nowMs,
      };
      await addToOutbox(tx, announce(deployment));
      return deployment;
    });
  }

  async createBacktest(b: BacktestRecord, runner: string): Promise<void> {
    // Kept per symbol as versions are; one still running stays whatever its age (its runner will finish it).
    await this.db.query(
      `DELETE FROM backtests WHERE id IN (
         SELECT id FROM backtests WHERE symbol = $1 AND status <> 'running' ORDER BY created_at_ms DESC, id DESC OFFSET $2
       )`,
      [b.symbol, this.keep.backtests - 1],
    );
    await this.db.query(
      `INSERT INTO backtests (id, symbol, number, horizon_s, start_ms, end_ms, status, metrics, created_at_ms, completed_at_ms, error, runner, claimed_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${DB_NOW_MS})`,
      [
        b.id,
        b.symbol,
        b.modelNumber,
        b.horizonS,
        b.startMs,
        b.endMs,
        b.status,
        b.metrics === undefined ? null : JSON.stringify(b.metrics),
        b.createdAtMs,
        b.completedAtMs ?? null,
        b.error,
        runner,
      ],
    );
  }

  async finishBacktest(b: BacktestRecord, announce: Announce<BacktestRecord>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query(
        `UPDATE backtests SET status = $2, metrics = $3, completed_at_ms = $4, error = $5 WHERE id = $1 AND status = 'running' RETURNING id`,
        [b.id, b.status, b.metrics === undefined ? null : JSON.stringify(b.metrics), b.completedAtMs ?? null, b.error],
      );
      if (rows.length === 0) return false;
      await addToOutbox(tx, announce(b));
      return true;
    });
  }

  async renewBacktestClaims(runner: string): Promise<void> {
    await this.db.query(`UPDATE backtests SET claimed_at_ms = ${DB_NOW_MS} WHERE runner = $1 AND status = 'running'`, [runner]);
  }

  async failAbandonedBacktests(
    exceptRunner: string,
    leaseMs: number,
    error: string,
    announce: Announce<BacktestRecord>,
  ): Promise<BacktestRecord[]> {
    return this.db.transaction(async (tx) => {
      // Concurrent sweeps by several instances: the second one's UPDATE re-checks status after the
      // first commits, so each backtest is failed, and announced, once.
      const { rows } = await tx.query<BacktestRow>(
        `UPDATE backtests SET status = 'failed', error = $3, completed_at_ms = ${DB_NOW_MS}
          WHERE status = 'running' AND runner <> $1 AND claimed_at_ms < ${DB_NOW_MS} - $2
          RETURNING *`,
        [exceptRunner, leaseMs, error],
      );
      const failed = rows.map(toBacktest);
      for (const b of failed) await addToOutbox(tx, announce(b));
      return failed;
    });
  }

  async backtest(id: string): Promise<BacktestRecord | undefined> {
    const { rows } = await this.db.query<BacktestRow>(`SELECT * FROM backtests WHERE id = $1`, [id]);
    return rows[0] ? toBacktest(rows[0]) : undefined;
  }

  async pendingEvents(limit: number): Promise<OutboxEntry[]> {
    const { rows } = await this.db.query<{ seq: string | number; event: string; traceparent: string | null }>(
      `SELECT seq, event, traceparent FROM outbox ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      event: events.Event.decode(Buffer.from(r.event, 'base64')),
      traceparent: r.traceparent,
    }));
  }

  async removeEvents(seqs: number[]): Promise<void> {
    if (seqs.length > 0) await this.db.query(`DELETE FROM outbox WHERE seq = ANY($1::bigint[])`, [seqs]);
  }
}

/** Part of the change's transaction: the event is committed with the change it announces, or not at all. */
async function addToOutbox(tx: Queryable, p: PendingEvent): Promise<void> {
  await tx.query(`INSERT INTO outbox (event_id, event, traceparent, created_at_ms) VALUES ($1, $2, $3, $4)`, [
    p.event.id,
    Buffer.from(events.Event.encode(p.event).finish()).toString('base64'),
    p.traceparent,
    Date.now(),
  ]);
}

async function version(q: Queryable, symbol: string, number: number): Promise<ModelVersionRecord | undefined> {
  const { rows } = await q.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM model_versions v WHERE v.symbol = $1 AND v.number = $2`, [
    symbol,
    number,
  ]);
  return rows[0] ? toVersion(rows[0]) : undefined;
}

async function deployedVersion(q: Queryable, symbol: string): Promise<ModelVersionRecord | undefined> {
  const [live] = await stack(q, symbol, 1);
  return live ? version(q, symbol, live.number) : undefined;
}

/** The newest deployments of a symbol still in force, newest first (the first one is live). */
async function stack(q: Queryable, symbol: string, depth: number): Promise<StackRow[]> {
  const { rows } = await q.query<StackRow>(
    `SELECT id, number FROM deployments WHERE symbol = $1 AND rolled_back_at_ms IS NULL ORDER BY id DESC LIMIT $2`,
    [symbol, depth],
  );
  return rows.map((r) => ({ id: r.id, number: Number(r.number) }));
}

async function swapStatus(q: Queryable, symbol: string, from: number | undefined, to: number): Promise<void> {
  if (from !== undefined) await q.query(`UPDATE model_versions SET status = 'retired' WHERE symbol = $1 AND number = $2`, [symbol, from]);
  await q.query(`UPDATE model_versions SET status = 'deployed' WHERE symbol = $1 AND number = $2`, [symbol, to]);
}
