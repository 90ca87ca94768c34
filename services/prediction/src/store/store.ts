import type { events } from '@marketpulse/proto';
import type { HoltParams } from '../model/holt';
import type { Tick } from '../model/tick';

export interface StoredTick extends Tick {
  symbol: string;
  /** Event id: a redelivered tick has the same one, so it is stored once. */
  eventId: string;
  volume: number;
}

/** Forecast-quality figures of a training run or a backtest. */
export interface QualityMetrics {
  mae: number;
  rmse: number;
  /** Percent. */
  mape: number;
  directionalAccuracy: number;
  intervalCoverage: number;
  samples: number;
}

export type ModelStatus = 'trained' | 'deployed' | 'retired' | 'failed';

export interface ModelVersionRecord {
  symbol: string;
  /** 1, 2, ... per symbol; shown to users as `${symbol}-v${number}`. */
  number: number;
  algorithm: string;
  status: ModelStatus;
  params: HoltParams;
  metrics?: QualityMetrics;
  description: string;
  trainingStartMs?: number;
  trainingEndMs?: number;
  createdAtMs: number;
  trainedAtMs?: number;
  /** When it last became the live model, while it is (or was last) deployed. */
  deployedAtMs?: number;
  error: string;
}

export type NewModelVersion = Omit<ModelVersionRecord, 'number' | 'deployedAtMs'>;

/** Outcome of a deploy or rollback that changed the live model. */
export interface DeploymentRecord {
  model: ModelVersionRecord;
  previousNumber?: number;
  rollback: boolean;
  deployedBy: string;
  deployedAtMs: number;
}

export type BacktestStatus = 'running' | 'completed' | 'failed';

export interface BacktestRecord {
  id: string;
  symbol: string;
  modelNumber: number;
  horizonS: number;
  startMs: number;
  endMs: number;
  status: BacktestStatus;
  metrics?: QualityMetrics;
  createdAtMs: number;
  completedAtMs?: number;
  error: string;
}

/** An event to publish once the change it announces is committed. */
export interface PendingEvent {
  event: events.Event;
  /** W3C traceparent of the request that made the change; null outside a trace. */
  traceparent: string | null;
}

/** Builds the event announcing a change from the record as stored (the database numbers versions). */
export type Announce<T> = (stored: T) => PendingEvent;

/** An outbox row: an announced change whose event is not published yet. */
export interface OutboxEntry extends PendingEvent {
  /** Publishing order. */
  seq: number;
}

export interface TimeRange {
  /** Inclusive. */
  fromMs?: number;
  /** Exclusive. */
  toMs?: number;
}

/**
 * What the prediction service keeps: a bounded tick history per symbol, model versions, the
 * deployment stack (for rollback) and backtests. Everything survives a restart.
 * Every change that is announced takes an `announce` and stores its event in the outbox in the same
 * transaction, so the change and its event are committed together or not at all.
 */
export interface PredictionStore {
  migrate(): Promise<void>;

  /** Idempotent by (symbol, eventId). */
  appendTick(tick: StoredTick): Promise<void>;
  /** Ticks of a symbol in time order; `limit` keeps the newest ones. */
  ticks(symbol: string, range?: TimeRange, limit?: number): Promise<Tick[]>;
  /** Deletes all but the newest `keep` ticks of a symbol; returns how many went. */
  pruneTicks(symbol: string, keep: number): Promise<number>;
  /** Every symbol with at least one model version. */
  symbols(): Promise<string[]>;

  /** The deployed version of a symbol, or undefined when it has none. */
  deployedVersion(symbol: string): Promise<ModelVersionRecord | undefined>;
  /** Makes version 1 with `params` and deploys it, unless the symbol already has versions; returns the deployed one. */
  ensureBaseline(symbol: string, params: HoltParams, nowMs: number): Promise<ModelVersionRecord>;
  /** Stores the next version number of the symbol. */
  createVersion(version: NewModelVersion, announce: Announce<ModelVersionRecord>): Promise<ModelVersionRecord>;
  version(symbol: string, number: number): Promise<ModelVersionRecord | undefined>;
  /** Newest first; limit 0 means all. */
  listVersions(symbol: string, limit: number): Promise<ModelVersionRecord[]>;

  /**
   * Makes `number` the live version. Returns undefined when it already is (nothing changes).
   * `rollback` marks a rollback to a named version.
   */
  deploy(
    symbol: string,
    number: number,
    deployedBy: string,
    nowMs: number,
    rollback: boolean,
    announce: Announce<DeploymentRecord>,
  ): Promise<DeploymentRecord | undefined>;
  /** Undoes the current deployment, putting back the one before it; undefined when there is none before it. */
  rollback(symbol: string, deployedBy: string, nowMs: number, announce: Announce<DeploymentRecord>): Promise<DeploymentRecord | undefined>;

  /** Stores a new backtest claimed by `runner` (the instance computing it), the claim dated now. */
  createBacktest(backtest: BacktestRecord, runner: string): Promise<void>;
  /**
   * Stores the outcome of a backtest (status, metrics, completion time, error) if it is still
   * running; returns false, storing and announcing nothing, when it already has an outcome (a retry
   * whose earlier attempt did commit, or one marked failed as interrupted meanwhile).
   */
  finishBacktest(finished: BacktestRecord, announce: Announce<BacktestRecord>): Promise<boolean>;
  /** Dates now the claims of `runner` on its running backtests: it is still computing them. */
  renewBacktestClaims(runner: string): Promise<void>;
  /**
   * Marks failed, with `error`, every running backtest of another runner whose claim is older than
   * `leaseMs` (its instance stopped or crashed), each with its event; returns them as stored.
   */
  failAbandonedBacktests(
    exceptRunner: string,
    leaseMs: number,
    error: string,
    announce: Announce<BacktestRecord>,
  ): Promise<BacktestRecord[]>;
  backtest(id: string): Promise<BacktestRecord | undefined>;

  /** The oldest unpublished events, in publishing order. */
  pendingEvents(limit: number): Promise<OutboxEntry[]>;
  /** Forgets published events. */
  removeEvents(seqs: number[]): Promise<void>;
}
