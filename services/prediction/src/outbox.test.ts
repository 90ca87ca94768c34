import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { events } from '@marketpulse/proto';
import { createLogger, MemoryBroker, MemoryBus, type DeliveredEvent, switchableBus, type SwitchableBus } from '@marketpulse/runtime';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { predictionClient, type PredictionApi } from './grpc/client';
import { syntheticSeries } from './model/synthetic';
import { startPrediction, type PredictionHandle } from './service';

// "A crash never loses an accepted event": a lifecycle change accepted while the bus refuses events
// is announced once it is back, and one committed but never sent before a stop is sent by the next start.

const SYMBOL = 'OUTBOX';
const TRAIN_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const logger = createLogger('prediction-test', {}, { level: 'silent' });
const ticks = syntheticSeries({
  start: 100,
  slopePerS: 0.2,
  noise: 0.05,
  count: 40,
  stepMs: 1000,
  startTimeMs: Date.parse('2025-01-02T10:00:00Z'),
  seed: 7,
});

let dir: string;
let bus: MemoryBus;
let service: PredictionHandle;
let client: PredictionApi | undefined;
/** The service's bus: `away` makes its publishes fail, as with the broker away. */
let publishing: SwitchableBus;
const lifecycleEvents: DeliveredEvent[] = [];

const start = async (retryMs: number) => {
  const config = loadConfig({
    GRPC_PORT: '0',
    PGLITE_DIR: dir,
    PREDICTION_OUTBOX_RETRY_MS: String(retryMs),
    KAFKA_TOPIC_PREFIX: 't.',
    LOG_LEVEL: 'silent',
  });
  service = await startPrediction(config, { bus: (publishing = switchableBus(bus)), logger });
  client?.close();
  client = predictionClient(`127.0.0.1:${service.grpcPort}`);
};

const until = async (what: string, ok: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const ofType = (type: string) => lifecycleEvents.filter((d) => d.event.type === type);

function tickEvent(i: number, t: { price: number; timeMs: number }): events.Event {
  const timestamp = new Date(t.timeMs).toISOString();
  return {
    id: `${SYMBOL}-tick-${i}`,
    type: 'market_data_update',
    source: 'test',
    subject: SYMBOL,
    time: timestamp,
    owner: '',
    payload: {
      $case: 'market_data_update',
      market_data_update: {
        symbol: SYMBOL,
        price: t.price,
        volume: 1,
        bid: t.price,
        ask: t.price,
        timestamp,
        provider: 'test',
        sequence: String(i),
      },
    },
  };
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  dir = mkdtempSync(join(tmpdir(), 'prediction-outbox-'));
  bus = new MemoryBus({ broker: new MemoryBroker({ partitions: 2 }), topicPrefix: 't.' });
  await bus.subscribe({
    groupId: 'observer',
    types: ['model_trained', 'model_deployed', 'backtest_complete'],
    fromBeginning: true,
    handler: async (d) => void lifecycleEvents.push(d),
  });
  await start(100);
  await bus.publish(ticks.map((t, i) => tickEvent(i, t)));
  await until(
    'every tick to be absorbed',
    () => service.predictor.has(SYMBOL) && service.predictor.predict(SYMBOL, 60).currentPrice === ticks.at(-1)!.price,
  );
});

afterAll(async () => {
  client?.close();
  await service?.close();
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
  context.disable();
  propagation.disable();
});

describe('lifecycle event outbox', () => {
  it('trains while the bus refuses events, then publishes model_trained in the trace of the request once the bus is back', async () => {
    publishing.away = true;
    const request = trace.wrapSpanContext({ traceId: TRAIN_TRACE, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    const model = await context.with(trace.setSpan(context.active(), request), () =>
      service.lifecycle.train({ symbol: SYMBOL, algorithm: '', parameters: {}, range: {}, description: 'while the bus is away' }),
    );
    expect(model.number).toBe(2);
    // Several retry rounds fail meanwhile.
    await new Promise((r) => setTimeout(r, 400));
    expect(ofType('model_trained')).toHaveLength(0);

    publishing.away = false;
    await until('model_trained', () => ofType('model_trained').length > 0);
    const [trained] = ofType('model_trained');
    expect(trained.event.payload?.$case === 'model_trained' && trained.event.payload.model_trained.version).toBe(`${SYMBOL}-v2`);
    expect(trained.traceparent).toMatch(new RegExp(`^00-${TRAIN_TRACE}-[0-9a-f]{16}-01$`));
  });

  it('publishes on the next start, in order, deployments committed but never published before a stop', async () => {
    publishing.away = true;
    const deployed = (await client!.deployModel({ symbol: SYMBOL, version: `${SYMBOL}-v2`, requested_by: 'test' })).deployment!;
    expect(deployed.model!.version).toBe(`${SYMBOL}-v2`);
    const rolledBack = (await client!.rollbackModel({ symbol: SYMBOL, version: '', requested_by: 'test' })).deployment!;
    expect(rolledBack.model!.version).toBe(`${SYMBOL}-v1`);
    await service.close();
    expect(ofType('model_deployed')).toHaveLength(0);

    publishing.away = false;
    // A retry interval far beyond the test: only the start-up round can deliver them.
    await start(600_000);
    await until('both model_deployed events', () => ofType('model_deployed').length === 2);
    const announced = ofType('model_deployed').map((d) =>
      d.event.payload?.$case === 'model_deployed' ? d.event.payload.model_deployed : undefined,
    );
    expect(announced.map((d) => `${d?.model?.version} rollback=${d?.rollback}`)).toEqual([
      `${SYMBOL}-v2 rollback=false`,
      `${SYMBOL}-v1 rollback=true`,
    ]);
    expect(ofType('model_trained')).toHaveLength(1);
  });
});
