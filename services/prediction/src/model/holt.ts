import type { Tick } from './tick';

/**
 * Holt's linear trend (double exponential smoothing) for irregularly spaced ticks.
 *
 * The trend is kept per second rather than per tick because ticks arrive at uneven times and a
 * prediction horizon is asked for in seconds. One-step errors feed a running variance that scales
 * the prediction interval (see forecast.ts).
 */
export interface HoltParams {
  /** Level smoothing, 0 < alpha < 1: how quickly the level follows a new price. */
  alpha: number;
  /** Trend smoothing, 0 < beta < 1: how quickly the slope follows a change of level. */
  beta: number;
}

export interface HoltState {
  level: number;
  /** Price change per second. */
  trend: number;
  /** Time of the last observation, ms since the epoch. */
  lastTimeMs: number;
  /** Observations absorbed so far. */
  count: number;
  /** Running mean of squared one-step errors (price units squared). */
  errorVariance: number;
  /** Running mean of the time between ticks, seconds. */
  meanStepS: number;
}

/** Learning rate floor of the running error variance and tick spacing: roughly the last 50 ticks. */
const RUNNING_MEAN_RATE = 0.02;

export function initialState(price: number, timeMs: number): HoltState {
  return { level: price, trend: 0, lastTimeMs: timeMs, count: 1, errorVariance: 0, meanStepS: 0 };
}

export interface UpdateResult {
  state: HoltState;
  /** One-step-ahead error (actual minus what the state before this tick predicted); 0 on the first tick or a same-time tick. */
  error: number;
  /** Whether the error is a genuine one-step forecast error (false while the trend is being initialised). */
  scored: boolean;
}

/** Absorbs one tick. Ticks at or before the last absorbed time are treated as redeliveries and ignored. */
export function update(params: HoltParams, state: HoltState, price: number, timeMs: number): UpdateResult {
  const dtS = (timeMs - state.lastTimeMs) / 1000;
  if (dtS <= 0) return { state, error: 0, scored: false };
  if (state.count === 1) {
    // Second tick: the first honest slope estimate, instead of starting the trend at zero and lagging.
    return {
      state: {
        level: price,
        trend: (price - state.level) / dtS,
        lastTimeMs: timeMs,
        count: 2,
        errorVariance: 0,
        meanStepS: dtS,
      },
      error: 0,
      scored: false,
    };
  }
  const predicted = state.level + state.trend * dtS;
  const error = price - predicted;
  const level = predicted + params.alpha * error;
  const trend = params.beta * ((level - state.level) / dtS) + (1 - params.beta) * state.trend;
  const count = state.count + 1;
  const scoredSoFar = count - 2;
  const rate = Math.max(1 / scoredSoFar, RUNNING_MEAN_RATE);
  return {
    state: {
      level,
      trend,
      lastTimeMs: timeMs,
      count,
      errorVariance: state.errorVariance + rate * (error * error - state.errorVariance),
      meanStepS: state.meanStepS + rate * (dtS - state.meanStepS),
    },
    error,
    scored: true,
  };
}

/** Runs a whole series through a fresh model; returns undefined for an empty series. */
export function fit(params: HoltParams, ticks: readonly Tick[]): HoltState | undefined {
  if (ticks.length === 0) return undefined;
  let state = initialState(ticks[0].price, ticks[0].timeMs);
  for (let i = 1; i < ticks.length; i++) state = update(params, state, ticks[i].price, ticks[i].timeMs).state;
  return state;
}
