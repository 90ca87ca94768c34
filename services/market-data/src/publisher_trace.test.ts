import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { events } from '@marketpulse/proto';
import { createLogger, MemoryBroker, MemoryBus, switchableBus, type DeliveredEvent } from '@marketpulse/runtime';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventPublisher } from './publisher';
import { SpoolFile } from './spool_file';

// A tick queued while Kafka is away is published later, from memory or from the spool file (after
// a restart, or past the memory bound): its record must still carry the trace it was queued in.

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

describe('spooled events keep their trace', () => {
  let dir: string;
  let path: string;
  let inner: MemoryBus;
  const got: DeliveredEvent[] = [];
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(() => {
    context.disable();
    propagation.disable();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'publisher-trace-'));
    path = join(dir, 'events.spool');
    got.length = 0;
    inner = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 't.' });
    await inner.subscribe({ groupId: 'observer', types: ['market_data_update'], handler: async (d) => void got.push(d) });
  });
  afterEach(async () => {
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  });

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
    const bus = switchableBus(inner);
    bus.away = true;
    const publisher = new EventPublisher({
      bus,
      logger,
      batchSize: 4,
      spool: { file: await SpoolFile.open(path, logger), flushMs: 5, memoryEvents: 8 },
    });
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
