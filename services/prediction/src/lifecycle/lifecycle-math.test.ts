import { describe, expect, it } from 'vitest';
import { INTERVAL_Z } from '../model/forecast';
import { syntheticSeries } from '../model/synthetic';
import { backtest } from './backtest';
import { oneStepRmse, train } from './train';

const z95 = INTERVAL_Z['0.95'];

const trainOrFail = async (...args: Parameters<typeof train>) => (await train(...args))!;

describe('training (grid search)', () => {
  it('finds parameters at least as good as any default on the same data', async () => {
    const ticks = syntheticSeries({
      start: 100,
      slopePerS: 0.05,
      noise: 0.2,
      walk: 0.05,
      count: 500,
      stepMs: 1000,
      startTimeMs: 0,
      seed: 11,
    });
    const trained = (await train(ticks, z95))!;
    for (const p of [
      { alpha: 0.5, beta: 0.1 },
      { alpha: 0.9, beta: 0.5 },
      { alpha: 0.05, beta: 0.01 },
    ]) {
      expect(trained.metrics.rmse).toBeLessThanOrEqual(oneStepRmse(p, ticks) + 1e-9);
    }
    expect(trained.metrics.predictions).toBe(497);
    expect(trained.metrics.intervalCoverage).toBeGreaterThan(0.85);
  });

  it('prefers heavy smoothing on a noisy flat series and fast tracking on a random walk', async () => {
    const flat = await trainOrFail(
      syntheticSeries({ start: 100, slopePerS: 0, noise: 1, count: 400, stepMs: 1000, startTimeMs: 0, seed: 2 }),
      z95,
    );
    const walk = await trainOrFail(
      syntheticSeries({ start: 100, slopePerS: 0, noise: 0, walk: 1, count: 400, stepMs: 1000, startTimeMs: 0, seed: 2 }),
      z95,
    );
    expect(flat.params.alpha).toBeLessThan(walk.params.alpha);
  });

  it('gives the event loop a turn between passes of the search, so other callers are served meanwhile', async () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0, noise: 1, count: 2000, stepMs: 1000, startTimeMs: 0, seed: 3 });
    let finished = false;
    let servedMeanwhile = false;
    const search = train(ticks, z95).then(() => (finished = true));
    setImmediate(() => (servedMeanwhile = !finished));
    await search;
    expect(servedMeanwhile).toBe(true);
  });

  it('stops searching once nobody waits for the result', async () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0, noise: 1, count: 500, stepMs: 1000, startTimeMs: 0, seed: 4 });
    let asked = 0;
    // The caller goes away after the third pass: no result, and no fourth pass.
    expect(await train(ticks, z95, {}, () => ++asked < 3)).toBeUndefined();
    expect(asked).toBe(3);
  });

  it('searches only the parameter that is not fixed', async () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0, noise: 0, walk: 1, count: 200, stepMs: 1000, startTimeMs: 0, seed: 2 });
    const r = (await train(ticks, z95, { alpha: 0.2 }))!;
    expect(r.params.alpha).toBe(0.2);
  });
});

describe('backtest', () => {
  it('scores a noisy trend: small errors, right direction, coverage near the interval level', () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0.1, noise: 0.2, count: 600, stepMs: 1000, startTimeMs: 0, seed: 9 });
    const m = backtest({ alpha: 0.1, beta: 0.05 }, ticks, 10, z95);
    expect(m.predictions).toBeGreaterThan(500);
    expect(m.mae).toBeLessThan(0.5);
    expect(m.rmse).toBeGreaterThanOrEqual(m.mae);
    expect(m.mape).toBeCloseTo((100 * m.mae) / 130, 0);
    expect(m.directionalAccuracy).toBeGreaterThan(0.8);
    expect(m.intervalCoverage).toBeGreaterThan(0.85);
  });

  it('does not score forecasts whose target lies past the last tick', () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0.1, noise: 0.2, count: 30, stepMs: 1000, startTimeMs: 0, seed: 9 });
    // warm-up ends at tick 9 (count 10); targets 10 s ahead exist for ticks 9..19
    expect(backtest({ alpha: 0.3, beta: 0.1 }, ticks, 10, z95).predictions).toBe(11);
    expect(backtest({ alpha: 0.3, beta: 0.1 }, ticks, 100, z95).predictions).toBe(0);
  });

  it('gives worse error on a series the parameters do not suit', () => {
    const ticks = syntheticSeries({ start: 100, slopePerS: 0, noise: 1, count: 400, stepMs: 1000, startTimeMs: 0, seed: 4 });
    const smooth = backtest({ alpha: 0.05, beta: 0.01 }, ticks, 5, z95);
    const jumpy = backtest({ alpha: 0.95, beta: 0.5 }, ticks, 5, z95);
    expect(smooth.rmse).toBeLessThan(jumpy.rmse);
  });
});
