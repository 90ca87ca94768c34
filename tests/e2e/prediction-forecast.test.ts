import * as grpc from '@grpc/grpc-js';
import type { prediction } from '@marketpulse/proto';
import { syntheticSeries, trendAt } from '@marketpulse/prediction';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { failureOf, usePredictionRig } from './prediction.kit';

const trend = { start: 100, slopePerS: 0.5, noise: 0.05, count: 150, stepMs: 1000, startTimeMs: Date.now() - 200_000, seed: 17 };
const ticks = syntheticSeries(trend);
const last = ticks[ticks.length - 1];

describe('prediction over Kafka and PostgreSQL: forecasts', () => {
  const rig = usePredictionRig('prediction_forecast');
  const get = (symbol: string, horizon_seconds = 0) => rig.service.api.getPrediction({ symbol, horizon_seconds });

  beforeAll(async () => {
    await rig.feed.send('TREND', ticks);
  });

  it('publishes prediction_complete for the ticks it consumed', async () => {
    const published = await waitFor(
      () =>
        rig.output.all.find(
          (e) =>
            e.payload?.$case === 'prediction_complete' &&
            e.subject === 'TREND' &&
            e.payload.prediction_complete.current_price === last.price,
        ),
      { what: 'a prediction_complete of TREND made after the last tick', timeoutMs: 20_000 },
    );
    expect(published.type).toBe('prediction_complete');
    expect(published.source).toBe('prediction');
    const p = published.payload?.$case === 'prediction_complete' ? published.payload.prediction_complete : undefined;
    expect(p?.horizon_seconds).toBe(60);
    expect(p?.model_version).toBe('TREND-v1');
    expect(p?.interval?.level).toBe(0.95);
    expect(p?.timestamp).toBe(new Date(last.timeMs).toISOString());
  });

  it('answers GetPrediction with a forecast that follows the trend, the true price inside its interval', async () => {
    const p = (await get('TREND', 30)).prediction!;
    const truth = trendAt(trend, Date.parse(p.target_time!));
    expect(p.horizon_seconds).toBe(30);
    expect(p.interval!.lower).toBeLessThanOrEqual(truth);
    expect(p.interval!.upper).toBeGreaterThanOrEqual(truth);
    expect(Math.abs(p.predicted_price - truth)).toBeLessThan(1);
    expect(p.predicted_price).toBeGreaterThan(last.price);
    expect(p.confidence).toBeGreaterThan(0);
    expect(p.confidence).toBeLessThanOrEqual(1);
  });

  it('streams forecasts of the requested symbols as new ticks arrive', async () => {
    const stream = rig.service.api.raw.streamPredictions({ symbols: ['TREND'] });
    const seen: prediction.Prediction[] = [];
    stream.on('data', (r: prediction.StreamPredictionsResponse) => seen.push(r.prediction!));
    stream.on('error', () => undefined);
    try {
      // The stream registers asynchronously; keep the feed moving until forecasts flow.
      let i = 0;
      await waitFor(
        async () => {
          const t = { timeMs: last.timeMs + 1000 * ++i, price: trendAt(trend, last.timeMs + 1000 * i) };
          await rig.feed.send('TREND', [t], 1000 + i);
          return seen.some((p) => p.current_price === t.price) || seen.length >= 3;
        },
        { what: 'StreamPredictions to deliver forecasts of TREND', timeoutMs: 20_000, intervalMs: 300 },
      );
      expect(seen.every((p) => p.symbol === 'TREND')).toBe(true);
    } finally {
      stream.cancel();
    }
  });

  it('rejects an unknown symbol with NOT_FOUND', async () => {
    const err = await failureOf(get('NOSUCH'));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toMatch(/no ticks or models for symbol 'NOSUCH'/);
  });

  it('rejects a horizon out of bounds with OUT_OF_RANGE', async () => {
    const tooFar = await failureOf(get('TREND', 10_000_000));
    expect(tooFar.code).toBe(grpc.status.OUT_OF_RANGE);
    expect(tooFar.details).toMatch(/horizon_seconds must be between 1 and 86400/);
    expect((await failureOf(get('TREND', -5))).code).toBe(grpc.status.OUT_OF_RANGE);
  });

  it('rejects an empty backtest range with INVALID_ARGUMENT', async () => {
    const at = new Date(last.timeMs).toISOString();
    const err = await failureOf(
      rig.service.api.runBacktest({ symbol: 'TREND', model_version: '', start_time: at, end_time: at, horizon_seconds: 10 }),
    );
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/empty time range: start .* is not before end/);
    expect(err.metadata.get('mp-error-code')).toEqual(['EMPTY_RANGE']);
  });
});
