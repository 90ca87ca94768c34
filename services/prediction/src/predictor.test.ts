import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { AppError } from '@marketpulse/runtime';
import { INTERVAL_Z } from './model/forecast';
import { Predictor } from './predictor';

const options = { level: 0.95, z: INTERVAL_Z['0.95'], defaultHorizonS: 60, maxHorizonS: 3600, historyTicks: 100 };
const line = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ timeMs: (from + i) * 1000, price: 100 + (from + i) }));

describe('Predictor', () => {
  it('validates horizons: 0 is the default, negative or beyond the maximum is OUT_OF_RANGE', () => {
    const p = new Predictor(options);
    expect(p.horizon(0)).toBe(60);
    expect(p.horizon(3600)).toBe(3600);
    for (const bad of [-1, 3601, 1.5]) {
      expect(() => p.horizon(bad)).toThrow(expect.objectContaining({ status: grpc.status.OUT_OF_RANGE, reason: 'HORIZON_OUT_OF_RANGE' }));
    }
  });

  it('reports only symbols updated since the last round, and ignores redelivered ticks', () => {
    const p = new Predictor(options);
    p.load('A', { number: 1, params: { alpha: 0.3, beta: 0.1 } }, line(5));
    p.load('B', { number: 1, params: { alpha: 0.3, beta: 0.1 } }, line(5));
    expect(p.takeUpdated()).toEqual([]);
    expect(p.observe('A', { timeMs: 5000, price: 105 })).toBe(true);
    expect(p.observe('A', { timeMs: 5000, price: 999 })).toBe(false);
    expect(p.observe('C', { timeMs: 5000, price: 1 })).toBe(false);
    expect(p.takeUpdated()).toEqual(['A']);
    expect(p.takeUpdated()).toEqual([]);
    expect(p.predict('A', 10).currentPrice).toBe(105);
  });

  it('refits on deploy so the new version forecasts from the same history', () => {
    const p = new Predictor(options);
    p.load('A', { number: 1, params: { alpha: 0.3, beta: 0.1 } }, line(50));
    const before = p.predict('A', 10);
    p.deploy('A', { number: 2, params: { alpha: 0.9, beta: 0.5 } });
    const after = p.predict('A', 10);
    expect(after.modelVersion).toBe('A-v2');
    expect(after.timestampMs).toBe(before.timestampMs);
    expect(after.predictedPrice).toBeCloseTo(100 + 49 + 10, 6);
  });

  it('says NOT_FOUND for a symbol it has never loaded', () => {
    expect(() => new Predictor(options).predict('X', 10)).toThrow(AppError);
    expect(() => new Predictor(options).predict('X', 10)).toThrow(
      expect.objectContaining({ status: grpc.status.NOT_FOUND, reason: 'UNKNOWN_SYMBOL' }),
    );
  });
});
