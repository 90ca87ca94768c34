import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { events, prediction } from '@marketpulse/proto';
import { createLogger, MemoryBroker, MemoryBus, readGrpcError } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { predictionClient, type PredictionApi } from './grpc/client';
import { syntheticSeries, trendAt } from './model/synthetic';
import { startPrediction, type PredictionHandle } from './service';

const logger = createLogger('prediction-test', {}, { level: 'silent' });
const prefix = 'unit.';
const series = {
  start: 100,
  slopePerS: 0.5,
  noise: 0.05,
  count: 120,
  stepMs: 1000,
  startTimeMs: Date.parse('2025-01-02T10:00:00Z'),
  seed: 42,
};

function tickEvent(symbol: string, i: number, t: { price: number; timeMs: number }): events.Event {
  return {
    id: `${symbol}-tick-${i}`,
    type: 'market_data_update',
    source: 'test',
    subject: symbol,
    time: new Date(t.timeMs).toISOString(),
    owner: '',
    payload: {
      $case: 'market_data_update',
      market_data_update: {
        symbol,
        price: t.price,
        volume: 1,
        bid: t.price,
        ask: t.price,
        timestamp: new Date(t.timeMs).toISOString(),
        provider: 'test',
        sequence: String(i),
      },
    },
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('prediction service (PGlite, in-memory bus, real gRPC)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prediction-unit-'));
  const broker = new MemoryBroker({ partitions: 2 });
  const seen: events.Event[] = [];
  let bus: MemoryBus;
  let service: PredictionHandle;
  let client: PredictionApi;
  const config = () =>
    loadConfig({ GRPC_PORT: '0', PGLITE_DIR: dir, PREDICTION_INTERVAL_MS: '50', KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'silent' });
  const start = async () => {
    service = await startPrediction(config(), { bus, logger });
    client?.close();
    client = predictionClient(`127.0.0.1:${service.grpcPort}`);
  };
  const rpc = {
    get: (r: Partial<prediction.GetPredictionRequest>) => client.getPrediction({ symbol: '', horizon_seconds: 0, ...r }),
    train: (r: Partial<prediction.TrainModelRequest>) =>
      client.trainModel({ symbol: '', algorithm: '', parameters: {}, description: '', ...r }),
    deploy: (r: Partial<prediction.DeployModelRequest>) => client.deployModel({ symbol: '', version: '', requested_by: 'test', ...r }),
    rollback: (r: Partial<prediction.RollbackModelRequest>) =>
      client.rollbackModel({ symbol: '', version: '', requested_by: 'test', ...r }),
    list: (symbol: string) => client.listModelVersions({ symbol, limit: 0 }),
    backtest: (r: Partial<prediction.RunBacktestRequest>) =>
      client.runBacktest({ symbol: '', model_version: '', horizon_seconds: 0, ...r }),
    getBacktest: (id: string) => client.getBacktest({ id }),
  };
  const failure = (p: Promise<unknown>) => p.then(() => expect.fail('expected the call to fail'), readGrpcError);

  beforeAll(async () => {
    bus = new MemoryBus({ broker, topicPrefix: prefix });
    await bus.subscribe({
      groupId: 'observer',
      types: ['prediction_complete', 'model_trained', 'model_deployed', 'backtest_complete'],
      fromBeginning: true,
      handler: async (d) => void seen.push(d.event),
    });
    await start();
    await bus.publish(syntheticSeries(series).map((t, i) => tickEvent('TREND', i, t)));
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes prediction_complete for a trending symbol, and GetPrediction follows the trend within its interval', async () => {
    const published = await waitFor('prediction_complete', () =>
      seen.find((e) => e.type === 'prediction_complete' && e.payload?.$case === 'prediction_complete' && e.subject === 'TREND'),
    );
    expect(published.source).toBe('prediction');
    await waitFor('all ticks absorbed', async () => (await rpc.get({ symbol: 'TREND' })).prediction!.current_price > 150 || undefined);
    const p = (await rpc.get({ symbol: 'TREND', horizon_seconds: 30 })).prediction!;
    const truth = trendAt(series, Date.parse(p.target_time!));
    expect(p.horizon_seconds).toBe(30);
    expect(p.model_version).toBe('TREND-v1');
    expect(p.interval!.level).toBe(0.95);
    expect(p.interval!.lower).toBeLessThanOrEqual(truth);
    expect(p.interval!.upper).toBeGreaterThanOrEqual(truth);
    expect(Math.abs(p.predicted_price - truth)).toBeLessThan(1);
    expect(Date.parse(p.target_time!) - Date.parse(p.timestamp!)).toBe(30_000);
  });

  it('answers bad requests with NOT_FOUND, OUT_OF_RANGE and INVALID_ARGUMENT and a clear message', async () => {
    const unknown = await failure(rpc.get({ symbol: 'NOPE' }));
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.message).toContain("'NOPE'");
    const tooFar = await failure(rpc.get({ symbol: 'TREND', horizon_seconds: 10_000_000 }));
    expect(tooFar.code).toBe(grpc.status.OUT_OF_RANGE);
    expect(tooFar.message).toMatch(/horizon_seconds must be between 1 and 86400/);
    expect((await failure(rpc.get({ symbol: 'TREND', horizon_seconds: -1 }))).code).toBe(grpc.status.OUT_OF_RANGE);
    const empty = await failure(rpc.backtest({ symbol: 'TREND', start_time: '2025-01-02T10:01:00Z', end_time: '2025-01-02T10:01:00Z' }));
    expect(empty.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(empty.appCode).toBe('EMPTY_RANGE');
    const noData = await failure(rpc.train({ symbol: 'TREND', training_start: '2030-01-01T00:00:00Z' }));
    expect(noData.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await failure(rpc.deploy({ symbol: 'TREND', version: 'TREND-v99' }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await failure(rpc.rollback({ symbol: 'TREND' }))).code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('trains, deploys, rolls back and backtests, emitting each event', async () => {
    const trained = (await rpc.train({ symbol: 'TREND', description: 'first fit' })).model!;
    expect(trained.version).toBe('TREND-v2');
    expect(trained.status).toBe('trained');
    expect(Number(trained.metrics!.samples)).toBeGreaterThan(100);
    await waitFor('model_trained', () =>
      seen.find((e) => e.payload?.$case === 'model_trained' && e.payload.model_trained.version === 'TREND-v2'),
    );

    const deployed = (await rpc.deploy({ symbol: 'TREND', version: 'TREND-v2' })).deployment!;
    expect(deployed.previous_version).toBe('TREND-v1');
    expect(deployed.model!.status).toBe('deployed');
    await waitFor('model_deployed', () =>
      seen.find((e) => e.payload?.$case === 'model_deployed' && e.payload.model_deployed.model?.version === 'TREND-v2'),
    );
    expect((await rpc.get({ symbol: 'TREND' })).prediction!.model_version).toBe('TREND-v2');

    const back = (await rpc.rollback({ symbol: 'TREND', requested_by: 'ops' })).deployment!;
    expect(back.rollback).toBe(true);
    expect(back.model!.version).toBe('TREND-v1');
    expect(back.previous_version).toBe('TREND-v2');
    expect((await rpc.get({ symbol: 'TREND' })).prediction!.model_version).toBe('TREND-v1');
    const statuses = Object.fromEntries((await rpc.list('TREND')).models.map((m) => [m.version, m.status]));
    expect(statuses).toEqual({ 'TREND-v2': 'retired', 'TREND-v1': 'deployed' });

    const started = (await rpc.backtest({ symbol: 'TREND', model_version: 'TREND-v2', horizon_seconds: 10 })).backtest!;
    expect(started.status).toBe('running');
    const done = await waitFor('backtest_complete', () =>
      seen.find((e) => e.payload?.$case === 'backtest_complete' && e.payload.backtest_complete.id === started.id),
    );
    const result = (await rpc.getBacktest(started.id)).backtest!;
    expect(result.status).toBe('completed');
    expect(done.payload?.$case === 'backtest_complete' && done.payload.backtest_complete.status).toBe('completed');
    expect(result.metrics!.directional_accuracy).toBeGreaterThan(0.9);
    expect(result.metrics!.interval_coverage).toBeGreaterThan(0.8);
    expect(result.metrics!.mae).toBeLessThan(1);
  });

  it('keeps versions, deployment and model state across a restart', async () => {
    const before = (await rpc.get({ symbol: 'TREND', horizon_seconds: 60 })).prediction!;
    await service.close();
    await start();
    const versions = (await rpc.list('TREND')).models.map((m) => `${m.version}:${m.status}`);
    expect(versions).toEqual(['TREND-v2:retired', 'TREND-v1:deployed']);
    const after = (await rpc.get({ symbol: 'TREND', horizon_seconds: 60 })).prediction!;
    expect(after.model_version).toBe('TREND-v1');
    expect(after.predicted_price).toBeCloseTo(before.predicted_price, 6);
    expect(after.timestamp).toBe(before.timestamp);
  });
});
