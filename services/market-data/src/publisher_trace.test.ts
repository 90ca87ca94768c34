import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { events } from '@marketpulse/proto';
import { createLogger, MemoryBroker, MemoryBus, switchableBus, type DeliveredEvent } from '@marketpulse/runtime';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MarketDataEngine } from './engine';
import { SimulatedProvider } from './providers/simulated';
import { EventPublisher } from './publisher';
import { SpoolFile } from './spool_file';
import type { MarketDataStore } from './store';

// Every tick a feed produces starts its own trace (a `market-data tick` span), and the tick's record
// on the bus carries it. A tick queued while Kafka is away is published later, from memory or from
// the spool file (after a restart, or past the memory bound): its record must still carry the trace
// it was queued in.

const logger = createLogger('test', {}, { level: 'silent' });
const TRACES = ['4bf92f3577b34da6a3ce929d0e0e4736', '0af7651916cd43dd8448eb211c80319c'];

const event = (i: number): events.Event => ({
  id: `e${i}`,
  type: 'market_data_update',
  source: 'test',
  subject: 'AAPL',
  time: undefined,
  owner: '',
  payload: undefined,
});

/** Queues event i inside a span of trace TRACES[i % 2], as a traced feed would. */
function enqueueTraced(publisher: EventPublisher, i: number): void {
  const span = trace.wrapSpanContext({ traceId: TRACES[i % 2], spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
  context.with(trace.setSpan(context.active(), span), () => publisher.enqueue(event(i)));
}

const traceIdOf = (d: DeliveredEvent) => /^00-([0-9a-f]{32})-/.exec(d.traceparent ?? '')?.[1];

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const exporter = new InMemorySpanExporter();
let dir: string;
let path: string;
let inner: MemoryBus;
const got: DeliveredEvent[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
});
afterAll(() => {
  context.disable();
  propagation.disable();
  trace.disable();
});
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'publisher-trace-'));
  path = join(dir, 'events.spool');
  got.length = 0;
  exporter.reset();
  inner = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
  await inner.subscribe({ groupId: 'observer', types: ['market_data_update'], handler: async (d) => void got.push(d) });
});
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
  await inner.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Kafka away, and a publisher that keeps 8 events in memory: the rest of its backlog is read back from the spool. */
async function outagePastMemoryBound(): Promise<{ bus: ReturnType<typeof switchableBus>; publisher: EventPublisher }> {
  const bus = switchableBus(inner);
  bus.away = true;
  const spool = { file: await SpoolFile.open(path, logger), flushMs: 5, memoryEvents: 8 };
  return { bus, publisher: new EventPublisher({ bus, logger, batchSize: 4, spool }) };
}

describe('spooled events keep their trace', () => {
  it('after a restart, publishes each recovered event in the trace it was queued in', async () => {
    const bus = switchableBus(inner);
    bus.away = true;
    const crashing = new EventPublisher({ bus, logger, batchSize: 10, spool: { file: await SpoolFile.open(path, logger), flushMs: 5 } });
    for (let i = 0; i < 6; i++) enqueueTraced(crashing, i);
    await until(() => crashing.spooled === 6, 'the backlog in the spool');

    const copy = join(dir, 'after-crash', 'events.spool');
    cpSync(path, copy);
    bus.away = false;
    // The restart itself runs outside any trace: what the records carry comes from the spool.
    const publisher = new EventPublisher({ bus, logger, batchSize: 10, spool: { file: await SpoolFile.open(copy, logger), flushMs: 5 } });
    await publisher.drain();
    await until(() => got.length === 6, 'the recovered events delivered');
    expect(got.map((d) => d.event.id)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    expect(got.map(traceIdOf)).toEqual([0, 1, 2, 3, 4, 5].map((i) => TRACES[i % 2]));
    expect(await publisher.close(1000)).toBe(0);
    await crashing.close(50);
  });

  it('publishes events read back from the spool past the memory bound in their own traces', async () => {
    const { bus, publisher } = await outagePastMemoryBound();
    for (let i = 0; i < 40; i += 4) {
      for (let j = i; j < i + 4; j++) enqueueTraced(publisher, j);
      await until(() => publisher.spooled >= i + 4, 'the round in the spool');
    }
    bus.away = false;
    await publisher.drain();
    await until(() => got.length === 40, 'every event delivered');
    expect(got.map((d) => d.event.id)).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`));
    expect(got.map(traceIdOf)).toEqual(Array.from({ length: 40 }, (_, i) => TRACES[i % 2]));
    expect(await publisher.close(1000)).toBe(0);
  });
});

/** The simulated feed through the engine into `publisher`, as the service wires them (nothing is saved). */
async function startSimulatedFeed(publisher: EventPublisher): Promise<MarketDataEngine> {
  const store = { save: async () => undefined, prune: async () => undefined } as unknown as MarketDataStore;
  const engine = new MarketDataEngine({
    source: 'test',
    publisher,
    store,
    logger,
    rules: { gapMs: 60_000, staleMs: 60_000, outlierSigma: 10, outlierWarmup: 20, outlierWindow: 50, cooldownMs: 60_000 },
    candleGraceMs: 1000,
    persistIntervalMs: 60_000,
    candleRetentionMs: 3_600_000,
  });
  await engine.start(new SimulatedProvider({ symbols: ['AAPL'], ticksPerSecond: 100, seed: 7 }));
  cleanups.push(() => engine.stop());
  return engine;
}

/** The finished `market-data tick` span of the tick whose event has this id. */
function tickSpan(eventId: string): ReadableSpan {
  const span = exporter.getFinishedSpans().find((s) => s.name === 'market-data tick' && s.attributes['messaging.message.id'] === eventId);
  if (!span) throw new Error(`no tick span for event ${eventId}`);
  return span;
}

const rootsOf = (traceId: string) =>
  exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId && s.parentSpanContext === undefined);

describe('a tick from a feed starts its own trace', () => {
  it('publishes each simulated tick in a trace whose root is its tick span', async () => {
    const publisher = new EventPublisher({ bus: inner, logger, batchSize: 10 });
    cleanups.push(() => publisher.close(1000));
    const engine = await startSimulatedFeed(publisher);
    await until(() => got.length >= 3, 'ticks on the bus');
    await engine.stop();

    for (const d of got) {
      expect(d.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const span = tickSpan(d.event.id);
      const { traceId, spanId } = span.spanContext();
      expect(d.traceparent).toBe(`00-${traceId}-${spanId}-01`);
      expect(rootsOf(traceId)).toEqual([span]);
      expect(span.attributes).toMatchObject({
        'marketpulse.event.type': 'market_data_update',
        'marketpulse.event.subject': 'AAPL',
        'marketpulse.market.provider': 'simulated',
      });
    }
    expect(new Set(got.map(traceIdOf)).size).toBe(got.length);
  });

  it("keeps a tick's trace through the spool when Kafka is away, read back past the memory bound", async () => {
    const { bus, publisher } = await outagePastMemoryBound();
    cleanups.push(() => publisher.close(1000));
    const engine = await startSimulatedFeed(publisher);
    await until(() => publisher.spooled >= 20, 'ticks in the spool');
    await engine.stop();
    bus.away = false;
    await publisher.drain();
    await until(() => got.length === engine.ticksIngested, 'every tick delivered');

    for (const d of got) expect(traceIdOf(d)).toBe(tickSpan(d.event.id).spanContext().traceId);
    const replays = exporter.getFinishedSpans().filter((s) => s.name === 'replay market-data spool');
    expect(replays.length).toBeGreaterThan(0);
    const tickSpanIds = new Set(got.map((d) => tickSpan(d.event.id).spanContext().spanId));
    for (const replay of replays) expect(tickSpanIds).toContain(replay.parentSpanContext?.spanId);
  });

  it('makes a tick ingested inside a span its child, but not the ticks of a feed started inside one', async () => {
    const publisher = new EventPublisher({ bus: inner, logger, batchSize: 10 });
    cleanups.push(() => publisher.close(1000));
    const tracer = trace.getTracer('test');
    const startUp = tracer.startSpan('start-up');
    const engine = await context.with(trace.setSpan(context.active(), startUp), () => startSimulatedFeed(publisher));
    startUp.end();
    const caller = tracer.startSpan('caller');
    context.with(trace.setSpan(context.active(), caller), () =>
      engine.ingest({ symbol: 'MSFT', price: 420, bid: 419.9, ask: 420.1, volume: 100, timeMs: Date.now(), provider: 'test' }),
    );
    caller.end();
    await until(
      () => got.filter((d) => d.event.subject === 'AAPL').length >= 2 && got.some((d) => d.event.subject === 'MSFT'),
      'ticks on the bus',
    );
    await engine.stop();

    const called = tickSpan(got.find((d) => d.event.subject === 'MSFT')!.event.id);
    expect(called.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(called.spanContext().traceId).toBe(caller.spanContext().traceId);
    for (const d of got.filter((d) => d.event.subject === 'AAPL')) {
      expect(tickSpan(d.event.id).parentSpanContext).toBeUndefined();
      expect(traceIdOf(d)).not.toBe(startUp.spanContext().traceId);
    }
  });
});
