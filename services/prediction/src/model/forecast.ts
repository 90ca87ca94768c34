import type { HoltParams, HoltState } from './holt';

export interface Forecast {
  predictedPrice: number;
  lower: number;
  upper: number;
  /** 0..1: narrower intervals (relative to the price) and longer warm-up give higher confidence. */
  confidence: number;
  /** Standard error of the forecast, price units. */
  standardError: number;
  /** Time the forecast is for: the last tick's time plus the horizon, ms since the epoch. */
  targetTimeMs: number;
}

/**
 * Two-sided normal quantiles for the interval levels worth asking for; anything else is rejected by
 * config validation, which is simpler than shipping an inverse-normal implementation.
 */
export const INTERVAL_Z: Record<string, number> = { '0.8': 1.2816, '0.9': 1.6449, '0.95': 1.96, '0.99': 2.5758 };

/** Relative half-width at which confidence has fallen to 1/e. */
const CONFIDENCE_WIDTH_SCALE = 0.02;
/** Observations before confidence is no longer discounted for warm-up. */
const WARM_UP_TICKS = 20;
/** A noiseless series still gets an interval this wide relative to the price (about one tick size). */
const MIN_RELATIVE_STD = 1e-6;

/**
 * Forecast `horizonS` seconds past the last tick.
 *
 * The interval is the ETS(A,A,N) (Holt) h-step variance, sigma^2 * (1 + sum_{j=1}^{h-1} (alpha + alpha*beta*j)^2),
 * with sigma^2 the running one-step error variance and h the horizon measured in mean tick spacings.
 */
export function forecast(params: HoltParams, state: HoltState, horizonS: number, z: number): Forecast {
  const predictedPrice = state.level + state.trend * horizonS;
  const steps = state.meanStepS > 0 ? Math.max(1, horizonS / state.meanStepS) : 1;
  const m = steps - 1;
  const a = params.alpha;
  const b = params.alpha * params.beta;
  const growth = m * a * a + a * b * m * (m + 1) + (b * b * m * (m + 1) * (2 * m + 1)) / 6;
  const floorStd = MIN_RELATIVE_STD * Math.abs(state.level);
  const standardError = Math.max(Math.sqrt(state.errorVariance * (1 + growth)), floorStd);
  const halfWidth = z * standardError;
  const relativeHalfWidth = halfWidth / Math.max(Math.abs(predictedPrice), Number.EPSILON);
  const warmUp = Math.min(1, state.count / WARM_UP_TICKS);
  return {
    predictedPrice,
    lower: predictedPrice - halfWidth,
    upper: predictedPrice + halfWidth,
    confidence: Math.exp(-relativeHalfWidth / CONFIDENCE_WIDTH_SCALE) * warmUp,
    standardError,
    targetTimeMs: state.lastTimeMs + horizonS * 1000,
  };
}
