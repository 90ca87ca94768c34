import { randomUUID } from 'node:crypto';
import type { Logger } from '@marketpulse/runtime';
import { toProtoBacktest, toProtoDeployment, toProtoModelVersion, toQualityMetrics } from '../proto_mapping';
import type { AppError } from '@marketpulse/runtime';
import { missingField, predictionError, trainingAbandoned, unknownSymbol } from '../errors';
import type { HoltParams } from '../model/holt';
import type { Predictor } from '../predictor';
import type { BacktestRecord, DeploymentRecord, ModelVersionRecord, PendingEvent, PredictionStore, TimeRange } from '../store/store';
import { activeTraceparent, buildEvent, type EventType, type PayloadOf } from '@marketpulse/runtime';
import { BACKTEST_WARM_UP_TICKS, backtest } from './backtest';
import { MIN_TRAINING_TICKS, train } from './train';
import { TrainingGate } from './training_gate';
import { retryUntilDone } from './retry';
import { parseVersion } from './version_name';

export const ALGORITHM = 'holt';

/** Error of a backtest whose instance stopped or crashed before storing its outcome. */
export const INTERRUPTED_BACKTEST_ERROR =
  'interrupted: the prediction instance computing this backtest stopped (or lost its database) before it finished; run the backtest again';

/** Waits between attempts to store a computed backtest outcome while the database is away. */
const COMPLETION_RETRY = { baseMs: 200, maxMs: 60_000 };

type BacktestOutcome = Pick<BacktestRecord, 'status' | 'metrics' | 'completedAtMs' | 'error'>;

export interface LifecycleDeps {
  store: PredictionStore;
  predictor: Predictor;
  /** Publishes what the outbox holds (EventOutbox.flush); resolves whether or not the bus took it. */
  flushOutbox: () => Promise<void>;
  logger: Logger;
  /** SERVICE_NAME, the events' source. */
  source: string;
  /** Two-sided normal quantile of the interval. */
  z: number;
  /** This instance, as recorded on the backtests it computes; unique per start. */
  runner: string;
  /** PREDICTION_BACKTEST_LEASE_MS: a running backtest whose claim is older was left behind by a stopped instance. */
  backtestLeaseMs: number;
}

export interface TrainRequest {
  symbol: string;
  algorithm: string;
  parameters: Record<string, string>;
  range: TimeRange;
  description: string;
  /** False once the caller has gone (cancelled, past its deadline): its training is dropped, not finished. */
  wanted?: () => boolean;
}

export interface BacktestRequest {
  symbol: string;
  /** Empty: the deployed version. */
  version: string;
  range: TimeRange;
  /** Already validated by Predictor.horizon. */
  horizonS: number;
}

/**
 * Train, deploy, roll back and backtest model versions; each step is persisted together with the
 * event announcing it (transactional outbox), which is published after the commit.
 */
export class ModelLifecycle {
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private claimsTimer: NodeJS.Timeout | undefined;
  private readonly trainings = new TrainingGate();

  constructor(private readonly deps: LifecycleDeps) {}

  /**
   * Fails the backtests an earlier run (of this or another instance) left running, then keeps this
   * instance's claims on its own running backtests fresh, failing others' that go stale meanwhile.
   * Claims rather than "everything running" so that instances sharing the database leave each
   * other's live backtests alone.
   */
  async start(): Promise<void> {
    const failed = await this.failInterruptedBacktests();
    this.deps.logger.info(
      { interrupted: failed, lease_ms: this.deps.backtestLeaseMs },
      'backtests left running by a stopped instance marked failed',
    );
    this.claimsTimer = setInterval(() => void this.keepClaims(), Math.max(1, Math.floor(this.deps.backtestLeaseMs / 3)));
    this.claimsTimer.unref();
  }

  async train(req: TrainRequest): Promise<ModelVersionRecord> {
    await this.requireSymbol(req.symbol);
    if (req.algorithm !== '' && req.algorithm !== ALGORITHM) {
      throw predictionError(
        'UNSUPPORTED_ALGORITHM',
        `algorithm '${req.algorithm}' is not supported; use '${ALGORITHM}' (or leave it empty)`,
        {
          algorithm: req.algorithm,
        },
      );
    }
    const fixed = parseParameters(req.parameters);
    checkRange(req.range);
    // The turn comes before the ticks are read: a refused training costs nothing, where a burst of
    // 100 read 20,000 ticks each before most were refused.
    const wanted = req.wanted ?? (() => true);
    return this.trainings.run(async () => {
      if (!wanted()) throw trainingAbandoned(req.symbol);
      const ticks = await this.deps.store.ticks(req.symbol, req.range);
      if (ticks.length === 0) throw emptyData(req.symbol, req.range);
      if (ticks.length < MIN_TRAINING_TICKS) {
        throw predictionError(
          'NOT_ENOUGH_DATA',
          `training needs at least ${MIN_TRAINING_TICKS} ticks of '${req.symbol}', the range holds ${ticks.length}; widen the range or wait for more ticks`,
          { symbol: req.symbol, ticks: ticks.length, needed: MIN_TRAINING_TICKS },
        );
      }
      const result = await train(ticks, this.deps.z, fixed, wanted);
      if (!result) throw trainingAbandoned(req.symbol);
      const now = Date.now();
      const model = await this.deps.store.createVersion(
        {
          symbol: req.symbol,
          algorithm: ALGORITHM,
          status: 'trained',
          params: result.params,
          metrics: toQualityMetrics(result.metrics),
          description: req.description,
          trainingStartMs: ticks[0].timeMs,
          trainingEndMs: ticks[ticks.length - 1].timeMs,
          createdAtMs: now,
          trainedAtMs: now,
          error: '',
        },
        (created) => this.pending('model_trained', created.symbol, toProtoModelVersion(created)),
      );
      this.committed();
      this.deps.logger.info({ symbol: req.symbol, version: model.number, params: result.params, ticks: ticks.length }, 'model trained');
      return model;
    });
  }

  async deploy(symbol: string, version: string, requestedBy: string): Promise<DeploymentRecord> {
    if (!version) throw missingField('version');
    const target = await this.existingVersion(symbol, version);
    if (target.status === 'failed') {
      throw predictionError('MODEL_NOT_DEPLOYABLE', `version ${version} failed to train and cannot be deployed`, { version });
    }
    const deployment = await this.deps.store.deploy(
      symbol,
      target.number,
      requestedBy || 'unknown',
      Date.now(),
      false,
      this.announceDeployment,
    );
    if (!deployment) return this.unchanged(target);
    return this.goLive(deployment);
  }

  async rollback(symbol: string, version: string, requestedBy: string): Promise<DeploymentRecord> {
    await this.requireSymbol(symbol);
    const by = requestedBy || 'unknown';
    if (version) {
      const target = await this.existingVersion(symbol, version);
      if (target.status === 'failed') {
        throw predictionError('MODEL_NOT_DEPLOYABLE', `version ${version} failed to train and cannot be deployed`, { version });
      }
      const deployment = await this.deps.store.deploy(symbol, target.number, by, Date.now(), true, this.announceDeployment);
      return deployment ? this.goLive(deployment) : this.unchanged(target);
    }
    const deployment = await this.deps.store.rollback(symbol, by, Date.now(), this.announceDeployment);
    if (!deployment) {
      throw predictionError(
        'NO_EARLIER_DEPLOYMENT',
        `'${symbol}' has no earlier deployment to roll back to; deploy another version first or name one`,
        { symbol },
      );
    }
    return this.goLive(deployment);
  }

  async listVersions(symbol: string, limit: number): Promise<ModelVersionRecord[]> {
    await this.requireSymbol(symbol);
    if (limit < 0) throw predictionError('INVALID_LIMIT', `limit must be 0 (all) or positive, got ${limit}`, { limit });
    return this.deps.store.listVersions(symbol, limit);
  }

  /** Validates, records the backtest as running and computes it in the background. */
  async startBacktest(req: BacktestRequest): Promise<BacktestRecord> {
    await this.requireSymbol(req.symbol);
    checkRange(req.range);
    const model = req.version ? await this.existingVersion(req.symbol, req.version) : await this.deps.store.deployedVersion(req.symbol);
    if (!model) throw unknownSymbol(req.symbol);
    const ticks = await this.deps.store.ticks(req.symbol, req.range);
    if (ticks.length === 0) throw emptyData(req.symbol, req.range);
    const record: BacktestRecord = {
      id: randomUUID(),
      symbol: req.symbol,
      modelNumber: model.number,
      horizonS: req.horizonS,
      startMs: req.range.fromMs ?? ticks[0].timeMs,
      endMs: req.range.toMs ?? ticks[ticks.length - 1].timeMs + 1,
      status: 'running',
      createdAtMs: Date.now(),
      error: '',
    };
    await this.deps.store.createBacktest(record, this.deps.runner);
    const job = this.completeBacktest(record, model.params, ticks).finally(() => this.running.delete(job));
    this.running.add(job);
    return record;
  }

  async getBacktest(id: string): Promise<BacktestRecord> {
    if (!id) throw missingField('id');
    const found = await this.deps.store.backtest(id);
    if (!found) throw predictionError('UNKNOWN_BACKTEST', `no backtest with id '${id}'`, { id });
    return found;
  }

  /**
   * On shutdown: waits for backtests still computing and stops retrying outcomes the database did not
   * take; those stay running until a later sweep finds their claim stale and fails them as interrupted.
   */
  async drain(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.claimsTimer);
    this.claimsTimer = undefined;
    await Promise.all([...this.running]);
  }

  private async completeBacktest(record: BacktestRecord, params: HoltParams, ticks: { price: number; timeMs: number }[]): Promise<void> {
    // Let the RPC answer "running" before the CPU-bound replay starts.
    await new Promise((resolve) => setImmediate(resolve));
    const finished: BacktestRecord = { ...record, ...this.computeOutcome(record, params, ticks) };
    const stored = await retryUntilDone(() => this.deps.store.finishBacktest(finished, this.announceBacktest), {
      ...COMPLETION_RETRY,
      signal: this.stopping.signal,
      onFailure: (err, retryInMs) =>
        this.deps.logger.warn(
          { err, backtest: record.id, retry_ms: retryInMs },
          'backtest outcome not stored; retrying (GetBacktest says running meanwhile)',
        ),
    });
    if (!stored) {
      this.deps.logger.warn(
        { backtest: record.id },
        'backtest outcome abandoned on shutdown; a later start marks it failed as interrupted',
      );
      return;
    }
    if (!stored.value) {
      this.deps.logger.info(
        { backtest: record.id, status: finished.status },
        'backtest already had an outcome (stored by an earlier attempt, or failed as interrupted); kept it',
      );
      return;
    }
    this.committed();
    this.deps.logger.info(
      { backtest: record.id, symbol: record.symbol, status: finished.status, metrics: finished.metrics },
      'backtest finished',
    );
  }

  /** The outcome to store; a replay that throws fails the backtest rather than leaving it running. */
  private computeOutcome(record: BacktestRecord, params: HoltParams, ticks: { price: number; timeMs: number }[]): BacktestOutcome {
    try {
      return this.replay(record, params, ticks);
    } catch (err) {
      this.deps.logger.error({ err, backtest: record.id }, 'backtest could not be computed');
      const reason = err instanceof Error ? err.message : String(err);
      return {
        status: 'failed',
        completedAtMs: Date.now(),
        error: `the backtest could not be computed (${reason}); report it with backtest id ${record.id}`,
      };
    }
  }

  private replay(record: BacktestRecord, params: HoltParams, ticks: { price: number; timeMs: number }[]): BacktestOutcome {
    const m = backtest(params, ticks, record.horizonS, this.deps.z);
    if (m.predictions > 0) return { status: 'completed', metrics: toQualityMetrics(m), completedAtMs: Date.now(), error: '' };
    const spanS = (ticks[ticks.length - 1].timeMs - ticks[0].timeMs) / 1000;
    return {
      status: 'failed',
      completedAtMs: Date.now(),
      error: `no forecast could be scored: the range holds ${ticks.length} ticks over ${spanS.toFixed(1)} s; a backtest needs more than ${BACKTEST_WARM_UP_TICKS} ticks and a span longer than the ${record.horizonS} s horizon`,
    };
  }

  /** Fails, each with its backtest_complete event, the running backtests whose instance went away; returns how many. */
  private async failInterruptedBacktests(): Promise<number> {
    const failed = await this.deps.store.failAbandonedBacktests(
      this.deps.runner,
      this.deps.backtestLeaseMs,
      INTERRUPTED_BACKTEST_ERROR,
      this.announceBacktest,
    );
    if (failed.length > 0) this.committed();
    return failed.length;
  }

  private async keepClaims(): Promise<void> {
    try {
      await this.deps.store.renewBacktestClaims(this.deps.runner);
      const failed = await this.failInterruptedBacktests();
      if (failed > 0) this.deps.logger.info({ interrupted: failed }, 'backtests left running by a stopped instance marked failed');
    } catch (err) {
      this.deps.logger.warn({ err, lease_ms: this.deps.backtestLeaseMs }, 'backtest claims not renewed; retried at the next round');
    }
  }

  /** The event announcing a change, captured in the trace of the request that makes it. */
  private pending<T extends EventType>(type: T, symbol: string, payload: PayloadOf<T>): PendingEvent {
    return { event: buildEvent(type, { source: this.deps.source, subject: symbol, payload }), traceparent: activeTraceparent() };
  }

  private readonly announceBacktest = (b: BacktestRecord): PendingEvent => this.pending('backtest_complete', b.symbol, toProtoBacktest(b));

  private readonly announceDeployment = (d: DeploymentRecord): PendingEvent =>
    this.pending('model_deployed', d.model.symbol, toProtoDeployment(d));

  /**
   * The change and its event were just committed in one transaction: from here the event is durably
   * stored and will be published (now, or by the outbox's retry rounds after a bus outage or a
   * restart), so the request succeeds without waiting for the bus.
   */
  private committed(): void {
    void this.deps.flushOutbox();
  }

  private unchanged(live: ModelVersionRecord): DeploymentRecord {
    return { model: live, previousNumber: live.number, rollback: false, deployedBy: '', deployedAtMs: live.deployedAtMs ?? Date.now() };
  }

  /** Puts a committed deployment live. */
  private goLive(d: DeploymentRecord): DeploymentRecord {
    this.committed();
    this.deps.predictor.deploy(d.model.symbol, { number: d.model.number, params: d.model.params });
    this.deps.logger.info(
      { symbol: d.model.symbol, version: d.model.number, previous: d.previousNumber, rollback: d.rollback },
      'model deployed',
    );
    return d;
  }

  private async requireSymbol(symbol: string): Promise<void> {
    if (!symbol) throw missingField('symbol');
    if (this.deps.predictor.has(symbol)) return;
    if ((await this.deps.store.listVersions(symbol, 1)).length === 0) throw unknownSymbol(symbol);
  }

  private async existingVersion(symbol: string, version: string): Promise<ModelVersionRecord> {
    await this.requireSymbol(symbol);
    const number = parseVersion(symbol, version);
    const found = await this.deps.store.version(symbol, number);
    if (!found) {
      throw predictionError(
        'UNKNOWN_MODEL_VERSION',
        `'${symbol}' has no model version '${version}'; ListModelVersions shows the ones it has`,
        {
          symbol,
          version,
        },
      );
    }
    return found;
  }
}

function parseParameters(parameters: Record<string, string>): Partial<HoltParams> {
  const fixed: Partial<HoltParams> = {};
  for (const [key, raw] of Object.entries(parameters)) {
    if (key !== 'alpha' && key !== 'beta') {
      throw predictionError('UNKNOWN_PARAMETER', `unknown parameter '${key}'; the holt model takes alpha and beta`, { parameter: key });
    }
    const value = Number(raw);
    if (!(value > 0 && value < 1)) {
      throw predictionError('INVALID_PARAMETER', `parameter ${key} must be a number strictly between 0 and 1, got '${raw}'`, {
        parameter: key,
        value: raw,
      });
    }
    fixed[key] = value;
  }
  return fixed;
}

function checkRange(range: TimeRange): void {
  if (range.fromMs !== undefined && range.toMs !== undefined && range.fromMs >= range.toMs) {
    throw predictionError(
      'EMPTY_RANGE',
      `empty time range: start ${new Date(range.fromMs).toISOString()} is not before end ${new Date(range.toMs).toISOString()}`,
      { start: new Date(range.fromMs).toISOString(), end: new Date(range.toMs).toISOString() },
    );
  }
}

function emptyData(symbol: string, range: TimeRange): AppError {
  const from = range.fromMs === undefined ? 'the beginning' : new Date(range.fromMs).toISOString();
  const to = range.toMs === undefined ? 'now' : new Date(range.toMs).toISOString();
  return predictionError('EMPTY_RANGE', `empty range: no ticks of '${symbol}' kept between ${from} and ${to}`, {
    symbol,
    start: from,
    end: to,
  });
}
