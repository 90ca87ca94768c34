import { forecast } from '../model/forecast';
import { initialState, update, type HoltParams } from '../model/holt';
import type { Tick } from '../model/tick';

/** Ticks absorbed before the first scored forecast, so the running error variance means something. */
export const BACKTEST_WARM_UP_TICKS = 10;

export interface BacktestMetrics {
  /** Forecasts scored (those whose target time falls inside the range). */
  predictions: number;
  mae: number;
  rmse: number;
  /** Share of forecasts that called the direction of the move right; moves of exactly zero are not counted. */
  directionalAccuracy: number;
  /** Share of actual prices that fell inside the forecast's interval. */
  intervalCoverage: number;
  /** Mean absolute percentage error, percent. */
  mape: number;
}

/**
 * Walk-forward backtest: the model absorbs the ticks one by one and, after each (past the warm-up),
 * forecasts `horizonS` ahead; the forecast is scored against the price at that time, linearly
 * interpolated between the two ticks around it. Ticks must be in time order.
 */
export function backtest(params: HoltParams, ticks: readonly Tick[], horizonS: number, z: number): BacktestMetrics {
  let predictions = 0;
  let absolute = 0;
  let squared = 0;
  let directionalHits = 0;
  let directionalCounted = 0;
  let covered = 0;
  let percentage = 0;
  if (ticks.length === 0) return summarise();
  let state = initialState(ticks[0].price, ticks[0].timeMs);
  let next = 1;
  for (let i = 1; i < ticks.length; i++) {
    state = update(params, state, ticks[i].price, ticks[i].timeMs).state;
    if (state.count < BACKTEST_WARM_UP_TICKS) continue;
    const f = forecast(params, state, horizonS, z);
    if (next <= i) next = i + 1;
    while (next < ticks.length && ticks[next].timeMs < f.targetTimeMs) next++;
    if (next >= ticks.length) break;
    const actual = interpolate(ticks[next - 1], ticks[next], f.targetTimeMs);
    const error = actual - f.predictedPrice;
    predictions++;
    absolute += Math.abs(error);
    squared += error * error;
    percentage += Math.abs(error / actual);
    if (actual >= f.lower && actual <= f.upper) covered++;
    const actualMove = actual - ticks[i].price;
    if (actualMove !== 0) {
      directionalCounted++;
      if (Math.sign(f.predictedPrice - ticks[i].price) === Math.sign(actualMove)) directionalHits++;
    }
  }
  return summarise();

  function summarise(): BacktestMetrics {
    if (predictions === 0) return { predictions: 0, mae: 0, rmse: 0, directionalAccuracy: 0, intervalCoverage: 0, mape: 0 };
    return {
      predictions,
      mae: absolute / predictions,
      rmse: Math.sqrt(squared / predictions),
      directionalAccuracy: directionalCounted === 0 ? 0 : directionalHits / directionalCounted,
      intervalCoverage: covered / predictions,
      mape: (100 * percentage) / predictions,
    };
  }
}

function interpolate(before: Tick, after: Tick, timeMs: number): number {
  const span = after.timeMs - before.timeMs;
  if (span <= 0) return after.price;
  const w = (timeMs - before.timeMs) / span;
  return before.price + w * (after.price - before.price);
}
