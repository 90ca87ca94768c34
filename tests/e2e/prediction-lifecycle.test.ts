import * as grpc from '@grpc/grpc-js';
import type { events } from '@marketpulse/proto';
import { syntheticSeries } from '@marketpulse/prediction';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { failureOf, usePredictionRig } from './prediction.kit';

const series = { start: 50, slopePerS: 0.05, noise: 0.1, walk: 0.05, count: 240, stepMs: 1000, startTimeMs: Date.now() - 300_000, seed: 5 };
const ticks = syntheticSeries(series);
const last = ticks[ticks.length - 1];

describe('prediction over Kafka and PostgreSQL: model lifecycle', () => {
  const rig = usePredictionRig('prediction_lifecycle');
  const c = () => rig.service.api;
  const eventOf = <K extends NonNullable<events.Event['payload']>['$case']>(type: K, match: (e: events.Event) => boolean, what: string) =>
    waitFor(() => rig.output.all.find((e) => e.type === type && e.payload?.$case === type && match(e)), { what, timeoutMs: 15_000 });

  beforeAll(async () => {
    await rig.feed.send('LIFE', ticks);
    await waitFor(async () => (await c().getPrediction({ symbol: 'LIFE', horizon_seconds: 0 })).prediction?.current_price === last.price, {
      what: 'every LIFE tick to be absorbed',
      timeoutMs: 20_000,
    });
  });

  it('trains a new version on the kept history and emits model_trained', async () => {
    const { model } = await c().trainModel({
      symbol: 'LIFE',
      algorithm: '',
      parameters: {},
      description: 'e2e fit',
    });
    expect(model!.version).toBe('LIFE-v2');
    expect(model!.status).toBe('trained');
    expect(model!.algorithm).toBe('holt');
    expect(Number(model!.parameters.alpha)).toBeGreaterThan(0);
    expect(Number(model!.metrics!.samples)).toBeGreaterThan(200);
    expect(model!.training_end).toBe(new Date(last.timeMs).toISOString());
    const event = await eventOf('model_trained', (e) => e.subject === 'LIFE', 'model_trained of LIFE');
    expect(event.payload?.$case === 'model_trained' && event.payload.model_trained.version).toBe('LIFE-v2');
  });

  it('deploys it, emits model_deployed, and serves forecasts from it', async () => {
    const { deployment } = await c().deployModel({ symbol: 'LIFE', version: 'LIFE-v2', requested_by: 'e2e' });
    expect(deployment!.model!.version).toBe('LIFE-v2');
    expect(deployment!.previous_version).toBe('LIFE-v1');
    expect(deployment!.rollback).toBe(false);
    await eventOf(
      'model_deployed',
      (e) =>
        e.payload?.$case === 'model_deployed' &&
        e.payload.model_deployed.model?.version === 'LIFE-v2' &&
        !e.payload.model_deployed.rollback,
      'model_deployed of LIFE-v2',
    );
    expect((await c().getPrediction({ symbol: 'LIFE', horizon_seconds: 0 })).prediction!.model_version).toBe('LIFE-v2');
  });

  it('rolls back to the previous version and emits model_deployed marked as a rollback', async () => {
    const { deployment } = await c().rollbackModel({ symbol: 'LIFE', version: '', requested_by: 'e2e' });
    expect(deployment!.model!.version).toBe('LIFE-v1');
    expect(deployment!.previous_version).toBe('LIFE-v2');
    expect(deployment!.rollback).toBe(true);
    await eventOf(
      'model_deployed',
      (e) =>
        e.payload?.$case === 'model_deployed' && e.payload.model_deployed.rollback && e.payload.model_deployed.model?.version === 'LIFE-v1',
      'model_deployed of the rollback to LIFE-v1',
    );
    expect((await c().getPrediction({ symbol: 'LIFE', horizon_seconds: 0 })).prediction!.model_version).toBe('LIFE-v1');
    const { models } = await c().listModelVersions({ symbol: 'LIFE', limit: 0 });
    expect(models.map((m) => `${m.version}:${m.status}`)).toEqual(['LIFE-v2:retired', 'LIFE-v1:deployed']);
    const nothingBefore = await failureOf(c().rollbackModel({ symbol: 'LIFE', version: '', requested_by: 'e2e' }));
    expect(nothingBefore.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('backtests a version over a time range and emits backtest_complete with its metrics', async () => {
    const start_time = new Date(ticks[20].timeMs).toISOString();
    const end_time = new Date(last.timeMs + 1).toISOString();
    const { backtest } = await c().runBacktest({ symbol: 'LIFE', model_version: 'LIFE-v2', start_time, end_time, horizon_seconds: 10 });
    expect(backtest!.status).toBe('running');
    const event = await eventOf(
      'backtest_complete',
      (e) => e.payload?.$case === 'backtest_complete' && e.payload.backtest_complete.id === backtest!.id,
      'backtest_complete of the backtest',
    );
    const done = event.payload?.$case === 'backtest_complete' ? event.payload.backtest_complete : undefined;
    expect(done?.status).toBe('completed');
    expect(done?.model_version).toBe('LIFE-v2');
    const m = done!.metrics!;
    expect(Number(m.samples)).toBeGreaterThan(150);
    expect(m.rmse).toBeGreaterThanOrEqual(m.mae);
    expect(m.mae).toBeGreaterThan(0);
    expect(m.directional_accuracy).toBeGreaterThan(0);
    expect(m.interval_coverage).toBeGreaterThan(0.7);
    const stored = (await c().getBacktest({ id: backtest!.id })).backtest!;
    expect(stored.status).toBe('completed');
    expect(stored.metrics).toEqual(done!.metrics);
    expect(stored.start_time).toBe(start_time);
  });

  it('answers NOT_FOUND for an unknown version and an unknown backtest', async () => {
    const version = await failureOf(c().deployModel({ symbol: 'LIFE', version: 'LIFE-v42', requested_by: 'e2e' }));
    expect(version.code).toBe(grpc.status.NOT_FOUND);
    expect(version.details).toMatch(/'LIFE' has no model version 'LIFE-v42'/);
    expect((await failureOf(c().getBacktest({ id: 'no-such-backtest' }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await failureOf(c().trainModel({ symbol: 'GHOST', algorithm: '', parameters: {}, description: '' }))).code).toBe(
      grpc.status.NOT_FOUND,
    );
  });

  it('trains several versions asked for at once, one after another, each its own number', async () => {
    // Before: all at once, on real PostgreSQL two took the same number and one failed INTERNAL
    // (duplicate key); a helper's burst of 100 lost 86 that way.
    const trained = await Promise.all(
      Array.from({ length: 5 }, (_, i) => c().trainModel({ symbol: 'LIFE', algorithm: '', parameters: {}, description: `burst ${i}` })),
    );
    const versions = trained.map((t) => t.model!.version);
    expect(new Set(versions).size).toBe(5);
    for (const v of versions) expect(v).toMatch(/^LIFE-v\d+$/);
  });
});
