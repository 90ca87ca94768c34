import { randomUUID } from 'node:crypto';
import type { events } from '@marketpulse/proto';
import type { Logger } from '@marketpulse/runtime';
import { toProtoBacktest, toProtoDeployment, toProtoModelVersion, toQualityMetrics } from '../convert';
import { PredictionError, missingField, unknownSymbol } from '../errors';
import { envelope } from '../events';
import type { HoltParams } from '../model/holt';
import type { Predictor } from '../predictor';
import type { BacktestRecord, DeploymentRecord, ModelVersionRecord, PendingEvent, PredictionStore, TimeRange } from '../store/store';
import { activeTraceparent } from '@marketpulse/runtime';
import { BACKTEST_WARM_UP_TICKS, backtest } from './backtest';
import { MIN_TRAINING_TICKS, train } from './train';
import { parseVersion } from './version_name';

export const ALGORITHM = 'holt';

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
}

export interface TrainRequest {
  symbol: string;
  algorithm: string;
  parameters: Record<string, string>;
  range: TimeRange;
  description: string;
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

  constructor(private readonly deps: LifecycleDeps) {}

  async train(req: TrainRequest): Promise<ModelVersionRecord> {
    await this.requireSymbol(req.symbol);
    if (req.algorithm !== '' && req.algorithm !== ALGORITHM) {
      throw new PredictionError('UNSUPPORTED_ALGORITHM', 'INVALID_ARGUMENT', `algorithm '${req.algorithm}' is not supported; use '${ALGORITHM}' (or leave it empty)`, {
        algorithm: req.algorithm,
      });
    }
    const fixed = parseParameters(req.parameters);
    checkRange(req.range);
    const ticks = await this.deps.store.ticks(req.symbol, req.range);
    if (ticks.length === 0) throw emptyData(req.symbol, req.range);
    if (ticks.length < MIN_TRAINING_TICKS) {
      throw new PredictionError(
        'NOT_ENOUGH_DATA',
        'FAILED_PRECONDITION',
        `training needs at least ${MIN_TRAINING_TICKS} ticks of '${req.symbol}', the range holds ${ticks.length}; widen the range or wait for more ticks`,
        { symbol: req.symbol, ticks: ticks.length, needed: MIN_TRAINING_TICKS },
      );
    }
    const result = train(ticks, this.deps.z, fixed);
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
      (created) => this.pending(created.symbol, { $case: 'model_trained', model_trained: toProtoModelVersion(created) }),
    );
    this.committed();
    this.deps.logger.info({ symbol: req.symbol, version: model.number, params: result.params, ticks: ticks.length }, 'model trained');
    return model;
  }

  async deploy(symbol: string, version: string, requestedBy: string): Promise<DeploymentRecord> {
    if (!version) throw missingField('version');
    const target = await this.existingVersion(symbol, version);
    if (target.status === 'failed') {
      throw new PredictionError('MODEL_NOT_DEPLOYABLE', 'FAILED_PRECONDITION', `version ${version} failed to train and cannot be deployed`, { version });
    }
    const deployment = await this.deps.store.deploy(symbol, target.number, requestedBy || 'unknown', Date.now(), false, this.announceDeployment);
    if (!deployment) return this.unchanged(target);
    return this.goLive(deployment);
  }

  async rollback(symbol: string, version: string, requestedBy: string): Promise<DeploymentRecord> {
    await this.requireSymbol(symbol);
    const by = requestedBy || 'unknown';
    if (version) {
      const target = await this.existingVersion(symbol, version);
      if (target.status === 'failed') {
        throw new PredictionError('MODEL_NOT_DEPLOYABLE', 'FAILED_PRECONDITION', `version ${version} failed to train and cannot be deployed`, { version });
      }
      const deployment = await this.deps.store.deploy(symbol, target.number, by, Date.now(), true, this.announceDeployment);
      return deployment ? this.goLive(deployment) : this.unchanged(target);
    }
    const deployment = await this.deps.store.rollback(symbol, by, Date.now(), this.announceDeployment);
    if (!deployment) {
      throw new PredictionError(
        'NO_EARLIER_DEPLOYMENT',
        'FAILED_PRECONDITION',
        `'${symbol}' has no earlier deployment to roll back to; deploy another version first or name one`,
        { symbol },
      );
    }
    return this.goLive(deployment);
  }

  async listVersions(symbol: string, limit: number): Promise<ModelVersionRecord[]> {
    await this.requireSymbol(symbol);
    if (limit < 0) throw new PredictionError('INVALID_LIMIT', 'INVALID_ARGUMENT', `limit must be 0 (all) or positive, got ${limit}`, { limit });
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
    await this.deps.store.createBacktest(record);
    const job = this.completeBacktest(record, model.params, ticks).finally(() => this.running.delete(job));
    this.running.add(job);
    return record;
  }

  async getBacktest(id: string): Promise<BacktestRecord> {
    if (!id) throw missingField('id');
    const found = await this.deps.store.backtest(id);
    if (!found) throw new PredictionError('UNKNOWN_BACKTEST', 'NOT_FOUND', `no backtest with id '${id}'`, { id });
    return found;
  }

  /** Waits for backtests still computing (used on shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }

  private async completeBacktest(record: BacktestRecord, params: HoltParams, ticks: { price: number; timeMs: number }[]): Promise<void> {
    // Let the RPC answer "running" before the CPU-bound replay starts.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const m = backtest(params, ticks, record.horizonS, this.deps.z);
      const spanS = (ticks[ticks.length - 1].timeMs - ticks[0].timeMs) / 1000;
      const outcome =
        m.predictions > 0
          ? { status: 'completed' as const, metrics: toQualityMetrics(m), completedAtMs: Date.now(), error: '' }
          : {
              status: 'failed' as const,
              completedAtMs: Date.now(),
              error: `no forecast could be scored: the range holds ${ticks.length} ticks over ${spanS.toFixed(1)} s; a backtest needs more than ${BACKTEST_WARM_UP_TICKS} ticks and a span longer than the ${record.horizonS} s horizon`,
            };
      const finished: BacktestRecord = { ...record, ...outcome };
      await this.deps.store.finishBacktest(finished, (b) => this.pending(b.symbol, { $case: 'backtest_complete', backtest_complete: toProtoBacktest(b) }));
      this.committed();
      this.deps.logger.info({ backtest: record.id, symbol: record.symbol, status: finished.status, metrics: finished.metrics }, 'backtest finished');
    } catch (err) {
      this.deps.logger.error({ err, backtest: record.id }, 'backtest could not be completed');
    }
  }

  /** The event announcing a change, captured in the trace of the request that makes it. */
  private pending(symbol: string, payload: NonNullable<events.Event['payload']>): PendingEvent {
    return { event: envelope(this.deps.source, symbol, payload), traceparent: activeTraceparent() };
  }

  private readonly announceDeployment = (d: DeploymentRecord): PendingEvent =>
    this.pending(d.model.symbol, { $case: 'model_deployed', model_deployed: toProtoDeployment(d) });

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
    this.deps.logger.info({ symbol: d.model.symbol, version: d.model.number, previous: d.previousNumber, rollback: d.rollback }, 'model deployed');
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
      throw new PredictionError('UNKNOWN_MODEL_VERSION', 'NOT_FOUND', `'${symbol}' has no model version '${version}'; ListModelVersions shows the ones it has`, {
        symbol,
        version,
      });
    }
    return found;
  }
}

function parseParameters(parameters: Record<string, string>): Partial<HoltParams> {
  const fixed: Partial<HoltParams> = {};
  for (const [key, raw] of Object.entries(parameters)) {
    if (key !== 'alpha' && key !== 'beta') {
      throw new PredictionError('UNKNOWN_PARAMETER', 'INVALID_ARGUMENT', `unknown parameter '${key}'; the holt model takes alpha and beta`, { parameter: key });
    }
    const value = Number(raw);
    if (!(value > 0 && value < 1)) {
      throw new PredictionError('INVALID_PARAMETER', 'INVALID_ARGUMENT', `parameter ${key} must be a number strictly between 0 and 1, got '${raw}'`, {
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
    throw new PredictionError(
      'EMPTY_RANGE',
      'INVALID_ARGUMENT',
      `empty time range: start ${new Date(range.fromMs).toISOString()} is not before end ${new Date(range.toMs).toISOString()}`,
      { start: new Date(range.fromMs).toISOString(), end: new Date(range.toMs).toISOString() },
    );
  }
}

function emptyData(symbol: string, range: TimeRange): PredictionError {
  const from = range.fromMs === undefined ? 'the beginning' : new Date(range.fromMs).toISOString();
  const to = range.toMs === undefined ? 'now' : new Date(range.toMs).toISOString();
  return new PredictionError('EMPTY_RANGE', 'INVALID_ARGUMENT', `empty range: no ticks of '${symbol}' kept between ${from} and ${to}`, { symbol, start: from, end: to });
}
