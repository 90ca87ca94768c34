import type { Tick } from './tick';

export interface SyntheticSeriesOptions {
  start: number;
  /** Price change per second of the underlying trend. */
  slopePerS: number;
  /** Standard deviation of the Gaussian noise added to every tick. */
  noise: number;
  /** Standard deviation of each random-walk step added to the trend line (0: a pure trend plus noise). */
  walk?: number;
  count: number;
  stepMs: number;
  startTimeMs: number;
  seed: number;
}

/**
 * A reproducible price series (linear trend, optional random walk, Gaussian noise) for tests, the
 * benchmark and demo feeds: same seed, same ticks.
 */
export function syntheticSeries(o: SyntheticSeriesOptions): Tick[] {
  const random = mulberry32(o.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const ticks: Tick[] = [];
  let walk = 0;
  for (let i = 0; i < o.count; i++) {
    const timeMs = o.startTimeMs + i * o.stepMs;
    walk += (o.walk ?? 0) * gaussian();
    const trend = o.start + o.slopePerS * ((i * o.stepMs) / 1000);
    ticks.push({ timeMs, price: trend + walk + o.noise * gaussian() });
  }
  return ticks;
}

/** True value of the trend line (without noise) at a time, for checking forecasts. */
export function trendAt(o: SyntheticSeriesOptions, timeMs: number): number {
  return o.start + o.slopePerS * ((timeMs - o.startTimeMs) / 1000);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
