import { randomUUID } from 'node:crypto';
import { forecast } from './model/forecast';
import { initialState, update, type HoltParams, type HoltState } from './model/holt';
import type { Tick } from './model/tick';
import { predictionError, unknownSymbol } from './errors';

/** A forecast as the service hands it out (mapped onto the proto Prediction at the edges). */
export interface PredictionResult {
  id: string;
  symbol: string;
  horizonS: number;
  predictedPrice: number;
  confidence: number;
  lower: number;
  upper: number;
  /** Probability of the interval, e.g. 0.95. */
  level: number;
  modelVersion: string;
  currentPrice: number;
  /** Data time: the time of the last tick the forecast is based on. */
  timestampMs: number;
  targetTimeMs: number;
}

/** The live model version of a symbol, as the predictor needs it. */
export interface LiveVersion {
  number: number;
  params: HoltParams;
}

export interface PredictorOptions {
  /** Interval probability and its two-sided normal quantile. */
  level: number;
  z: number;
  defaultHorizonS: number;
  maxHorizonS: number;
  /** Recent ticks kept in memory per symbol, so a deploy can refit without reading the database. */
  historyTicks: number;
}

interface LiveModel {
  version: LiveVersion;
  state?: HoltState;
  lastPrice: number;
  recent: Tick[];
}

export const versionName = (symbol: string, number: number) => `${symbol}-v${number}`;

/** One online model per symbol: absorbs ticks, answers forecasts, swaps versions on deploy. */
export class Predictor {
  private readonly models = new Map<string, LiveModel>();
  private readonly updated = new Set<string>();

  constructor(private readonly options: PredictorOptions) {}

  has(symbol: string): boolean {
    return this.models.has(symbol);
  }

  /** Installs a symbol's live version and rebuilds its state from `history` (time order). */
  load(symbol: string, version: LiveVersion, history: readonly Tick[]): void {
    const model: LiveModel = { version, lastPrice: Number.NaN, recent: [] };
    this.models.set(symbol, model);
    for (const t of history) this.absorb(model, t);
  }

  /** Swaps in another version, refitting it on the ticks kept in memory. */
  deploy(symbol: string, version: LiveVersion): void {
    const recent = this.models.get(symbol)?.recent ?? [];
    this.load(symbol, version, recent);
    if (recent.length > 0) this.updated.add(symbol);
  }

  /** Absorbs a live tick; false for a symbol not loaded yet or a tick at or before the last one (a redelivery). */
  observe(symbol: string, tick: Tick): boolean {
    const model = this.models.get(symbol);
    if (!model) return false;
    if (!this.absorb(model, tick)) return false;
    this.updated.add(symbol);
    return true;
  }

  /** Symbols that absorbed ticks (or changed version) since the last call. */
  takeUpdated(): string[] {
    const symbols = [...this.updated];
    this.updated.clear();
    return symbols;
  }

  /** Validates a requested horizon: 0 means the default. */
  horizon(requestedS: number): number {
    if (requestedS === 0) return this.options.defaultHorizonS;
    if (!Number.isInteger(requestedS) || requestedS < 0 || requestedS > this.options.maxHorizonS) {
      throw predictionError(
        'HORIZON_OUT_OF_RANGE',
        `horizon_seconds must be between 1 and ${this.options.maxHorizonS} (0 for the default ${this.options.defaultHorizonS}), got ${requestedS}`,
        { horizon_seconds: requestedS, max: this.options.maxHorizonS },
      );
    }
    return requestedS;
  }

  predict(symbol: string, horizonS: number): PredictionResult {
    const model = this.models.get(symbol);
    if (!model) throw unknownSymbol(symbol);
    if (!model.state) {
      throw predictionError('NO_TICKS_YET', `symbol '${symbol}' has a model but no ticks to forecast from yet`, { symbol });
    }
    const f = forecast(model.version.params, model.state, horizonS, this.options.z);
    return {
      id: randomUUID(),
      symbol,
      horizonS,
      predictedPrice: f.predictedPrice,
      confidence: f.confidence,
      lower: f.lower,
      upper: f.upper,
      level: this.options.level,
      modelVersion: versionName(symbol, model.version.number),
      currentPrice: model.lastPrice,
      timestampMs: model.state.lastTimeMs,
      targetTimeMs: f.targetTimeMs,
    };
  }

  private absorb(model: LiveModel, tick: Tick): boolean {
    if (model.state && tick.timeMs <= model.state.lastTimeMs) return false;
    model.state = model.state
      ? update(model.version.params, model.state, tick.price, tick.timeMs).state
      : initialState(tick.price, tick.timeMs);
    model.lastPrice = tick.price;
    model.recent.push(tick);
    // Trim in chunks: splicing on every tick would make each tick cost O(history).
    if (model.recent.length > this.options.historyTicks * 1.25) model.recent.splice(0, model.recent.length - this.options.historyTicks);
    return true;
  }
}
