import { forecast } from '../model/forecast';
import { initialState, update, type HoltParams } from '../model/holt';
import type { Tick } from '../model/tick';
import type { BacktestMetrics } from './backtest';

export const ALPHA_GRID: readonly number[] = [
  0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
];
export const BETA_GRID: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5];

/** Parameters of a symbol's first (baseline) version, before anything has been fitted. */
export const BASELINE_PARAMS: HoltParams = { alpha: 0.3, beta: 0.1 };

/** Fewer ticks than this leave too few one-step errors to tell parameter pairs apart. */
export const MIN_TRAINING_TICKS = 10;

export interface TrainingResult {
  params: HoltParams;
  /** In-sample one-step-ahead quality of the chosen parameters. */
  metrics: BacktestMetrics;
}

/** Root mean squared one-step-ahead error: the grid search's objective. */
export function oneStepRmse(params: HoltParams, ticks: readonly Tick[]): number {
  let state = initialState(ticks[0].price, ticks[0].timeMs);
  let squared = 0;
  let n = 0;
  for (let i = 1; i < ticks.length; i++) {
    const r = update(params, state, ticks[i].price, ticks[i].timeMs);
    state = r.state;
    if (!r.scored) continue;
    squared += r.error * r.error;
    n++;
  }
  return n === 0 ? 0 : Math.sqrt(squared / n);
}

/** Every quality figure of the one-step-ahead forecasts over a series (each tick forecast from the ones before it). */
export function oneStepMetrics(params: HoltParams, ticks: readonly Tick[], z: number): BacktestMetrics {
  let state = initialState(ticks[0].price, ticks[0].timeMs);
  let n = 0;
  let absolute = 0;
  let squared = 0;
  let percentage = 0;
  let covered = 0;
  let directionalHits = 0;
  let directionalCounted = 0;
  for (let i = 1; i < ticks.length; i++) {
    const { price, timeMs } = ticks[i];
    const f = state.count >= 3 && timeMs > state.lastTimeMs ? forecast(params, state, (timeMs - state.lastTimeMs) / 1000, z) : undefined;
    const previous = ticks[i - 1].price;
    state = update(params, state, price, timeMs).state;
    if (!f) continue;
    const error = price - f.predictedPrice;
    n++;
    absolute += Math.abs(error);
    squared += error * error;
    percentage += Math.abs(error / price);
    if (price >= f.lower && price <= f.upper) covered++;
    if (price !== previous) {
      directionalCounted++;
      if (Math.sign(f.predictedPrice - previous) === Math.sign(price - previous)) directionalHits++;
    }
  }
  if (n === 0) return { predictions: 0, mae: 0, rmse: 0, mape: 0, directionalAccuracy: 0, intervalCoverage: 0 };
  return {
    predictions: n,
    mae: absolute / n,
    rmse: Math.sqrt(squared / n),
    mape: (100 * percentage) / n,
    directionalAccuracy: directionalCounted === 0 ? 0 : directionalHits / directionalCounted,
    intervalCoverage: covered / n,
  };
}

/**
 * Grid search of (alpha, beta) minimising the in-sample one-step RMSE; a parameter given in `fixed`
 * is not searched. Ties keep the smaller parameters (the smoother model). Ticks must be in time
 * order; the caller checks MIN_TRAINING_TICKS.
 */
export async function train(
  ticks: readonly Tick[],
  z: number,
  fixed: Partial<HoltParams> = {},
  wanted: () => boolean = () => true,
): Promise<TrainingResult | undefined> {
  let best: { params: HoltParams; rmse: number } | undefined;
  for (const alpha of fixed.alpha !== undefined ? [fixed.alpha] : ALPHA_GRID) {
    for (const beta of fixed.beta !== undefined ? [fixed.beta] : BETA_GRID) {
      const rmse = oneStepRmse({ alpha, beta }, ticks);
      if (!best || rmse < best.rmse) best = { params: { alpha, beta }, rmse };
      // One pass at a time on the event loop: the whole search held it 185 ms, every caller waiting.
      await new Promise<void>((next) => setImmediate(next));
      // Nobody waits for it any more: undefined, and the rest of the search is not spent.
      if (!wanted()) return undefined;
    }
  }
  return { params: best!.params, metrics: oneStepMetrics(best!.params, ticks, z) };
}
