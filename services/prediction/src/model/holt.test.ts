import { describe, expect, it } from 'vitest';
import { forecast, INTERVAL_Z } from './forecast';
import { fit, initialState, update } from './holt';
import { syntheticSeries, trendAt } from './synthetic';

const z95 = INTERVAL_Z['0.95'];

describe('Holt linear trend model', () => {
  it('extrapolates a noiseless linear trend exactly', () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0.5, noise: 0, count: 50, stepMs: 1000, startTimeMs: 0, seed: 1 });
    const state = fit({ alpha: 0.3, beta: 0.1 }, ticks)!;
    const f = forecast({ alpha: 0.3, beta: 0.1 }, state, 60, z95);
    expect(f.predictedPrice).toBeCloseTo(100 + 0.5 * (49 + 60), 6);
    expect(f.targetTimeMs).toBe(49_000 + 60_000);
    expect(f.lower).toBeLessThan(f.predictedPrice);
    expect(f.upper).toBeGreaterThan(f.predictedPrice);
  });

  it('follows a noisy trend and keeps the true price inside its 95% interval', () => {
    const opts = { start: 200, slopePerS: 0.2, noise: 0.3, count: 400, stepMs: 500, startTimeMs: 1_700_000_000_000, seed: 7 };
    const ticks = syntheticSeries(opts);
    const params = { alpha: 0.2, beta: 0.05 };
    const state = fit(params, ticks)!;
    const f = forecast(params, state, 30, z95);
    const truth = trendAt(opts, f.targetTimeMs);
    expect(f.lower).toBeLessThanOrEqual(truth);
    expect(f.upper).toBeGreaterThanOrEqual(truth);
    expect(Math.abs(f.predictedPrice - truth)).toBeLessThan(2);
    expect(state.trend).toBeGreaterThan(0.1);
    expect(state.trend).toBeLessThan(0.3);
  });

  it('widens the interval with the horizon and lowers confidence with it', () => {
    const ticks = syntheticSeries({ start: 50, slopePerS: 0, noise: 0.1, count: 200, stepMs: 1000, startTimeMs: 0, seed: 3 });
    const params = { alpha: 0.3, beta: 0.1 };
    const state = fit(params, ticks)!;
    const near = forecast(params, state, 5, z95);
    const far = forecast(params, state, 300, z95);
    expect(far.upper - far.lower).toBeGreaterThan(near.upper - near.lower);
    expect(far.confidence).toBeLessThan(near.confidence);
    expect(near.confidence).toBeGreaterThan(0);
    expect(near.confidence).toBeLessThanOrEqual(1);
  });

  it('ignores a redelivered tick (same or earlier time)', () => {
    const params = { alpha: 0.5, beta: 0.2 };
    let state = initialState(10, 1000);
    state = update(params, state, 11, 2000).state;
    state = update(params, state, 12, 3000).state;
    const again = update(params, state, 99, 3000);
    expect(again.state).toBe(state);
    expect(update(params, state, 99, 2500).state).toBe(state);
  });

  it('discounts confidence while warming up', () => {
    const params = { alpha: 0.3, beta: 0.1 };
    const ticks = syntheticSeries({ start: 100, slopePerS: 0, noise: 0.05, count: 100, stepMs: 1000, startTimeMs: 0, seed: 5 });
    const early = forecast(params, fit(params, ticks.slice(0, 4))!, 10, z95);
    const late = forecast(params, fit(params, ticks)!, 10, z95);
    expect(early.confidence).toBeLessThan(late.confidence);
  });
});
