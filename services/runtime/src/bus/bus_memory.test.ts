import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { events } from '@marketpulse/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log/logger';
import { markDecodedForm, type Bus, type DeliveredEvent } from './bus';
import { MemoryBroker, MemoryBus } from './bus_memory';
import { parseDeadLetter } from './dead_letter';
import { unprocessableRecord } from './record_failure';

const logger = createLogger('test', {}, { level: 'silent' });

let seq = 0;
function tick(symbol: string, price: number): events.Event {
  seq += 1;
  return events.Event.fromPartial({
    id: `evt-${seq}`,
    type: 'market_data_update',
    source: 'test',
    subject: symbol,
    time: new Date().toISOString(),
    payload: { $case: 'market_data_update', market_data_update: { symbol, price } },
  });
}

function priceOf(d: DeliveredEvent): number | undefined {
  return d.event.payload?.$case === 'market_data_update' ? d.event.payload.market_data_update.price : undefined;
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function newBus(options: { retentionPerPartition?: number } = {}): Bus {
  return new MemoryBus({ broker: new MemoryBroker({ logger, ...options }), topicPrefix: 't.' });
}

describe('MemoryBus', () => {
  it('delivers a decoded copy with topic, partition and offset', async () => {
    const bus = newBus();
    const got: DeliveredEvent[] = [];
    await bus.subscribe({ groupId: 'g', types: ['market_data_update'], handler: async (d) => void got.push(d) });
    const sent = tick('AAPL', 101.5);
    await bus.publish(sent);
    await until(() => got.length === 1);
    expect(got[0].event).toEqual(sent);
    expect(got[0].event).not.toBe(sent);
    expect(got[0].topic).toBe('t.market_data_update');
    expect(got[0].offset).toBe('0');
    await bus.close();
  });

  it('keeps each subject in publish order even when handlers are slow', async () => {
    const bus = newBus();
    const seen = new Map<string, number[]>();
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async (d) => {
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        seen.set(d.event.subject, [...(seen.get(d.event.subject) ?? []), priceOf(d)!]);
      },
    });
    const symbols = ['AAPL', 'MSFT', 'GOOG', 'TSLA'];
    for (let i = 0; i < 20; i++) await bus.publish(symbols.map((s) => tick(s, i)));
    await until(() => symbols.every((s) => seen.get(s)?.length === 20));
    for (const s of symbols) expect(seen.get(s)).toEqual([...Array(20).keys()]);
    await bus.close();
  });

  it('splits a group between its members and gives every group all events', async () => {
    const bus = newBus();
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    await bus.subscribe({ groupId: 'workers', types: ['market_data_update'], handler: async (d) => void a.push(d.event.id) });
    await bus.subscribe({ groupId: 'workers', types: ['market_data_update'], handler: async (d) => void b.push(d.event.id) });
    await bus.subscribe({ groupId: 'audit', types: ['market_data_update'], handler: async (d) => void other.push(d.event.id) });
    const sent = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((s) => tick(s, 1));
    await bus.publish(sent);
    await until(() => a.length + b.length === sent.length && other.length === sent.length);
    expect(new Set([...a, ...b])).toEqual(new Set(sent.map((e) => e.id)));
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    await bus.close();
  });

  it('redelivers an event whose handler failed, and holds later events of its subject back', async () => {
    const bus = newBus();
    const attempts: number[] = [];
    let failuresLeft = 2;
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async (d) => {
        attempts.push(priceOf(d)!);
        if (priceOf(d) === 1 && failuresLeft-- > 0) throw new Error('downstream unavailable');
      },
    });
    await bus.publish([tick('AAPL', 1), tick('AAPL', 2)]);
    await until(() => attempts.includes(2));
    expect(attempts).toEqual([1, 1, 1, 2]);
    await bus.close();
  });

  it('hands the partitions of a closed member to the remaining member', async () => {
    const bus = newBus();
    const a: string[] = [];
    const b: string[] = [];
    const first = await bus.subscribe({ groupId: 'w', types: ['market_data_update'], handler: async (d) => void a.push(d.event.subject) });
    await bus.subscribe({ groupId: 'w', types: ['market_data_update'], handler: async (d) => void b.push(d.event.subject) });
    await first.close();
    const symbols = ['A', 'B', 'C', 'D', 'E', 'F'];
    await bus.publish(symbols.map((s) => tick(s, 1)));
    await until(() => b.length === symbols.length);
    expect(a).toEqual([]);
    await bus.close();
  });

  it('namespaces groups by topic prefix: clients with different prefixes never share a group', async () => {
    const broker = new MemoryBroker({ logger });
    const runA = new MemoryBus({ broker, topicPrefix: 'run-a.' });
    const runB = new MemoryBus({ broker, topicPrefix: 'run-b.' });
    const a: string[] = [];
    const b: string[] = [];
    await runA.subscribe({ groupId: 'prediction', types: ['market_data_update'], handler: async (d) => void a.push(d.event.subject) });
    await runB.subscribe({ groupId: 'prediction', types: ['market_data_update'], handler: async (d) => void b.push(d.event.subject) });
    const symbols = ['A', 'B', 'C', 'D', 'E', 'F'];
    await runA.publish(symbols.map((s) => tick(s, 1)));
    await runB.publish(symbols.map((s) => tick(s, 2)));
    await until(() => a.length === symbols.length && b.length === symbols.length);
    expect(new Set(a)).toEqual(new Set(symbols));
    expect(new Set(b)).toEqual(new Set(symbols));
    await runA.close();
    await runB.close();
  });

  it('replays retained events for a new group with fromBeginning, bounded by retention', async () => {
    const bus = newBus({ retentionPerPartition: 5 });
    await bus.publish([...Array(8).keys()].map((i) => tick('AAPL', i)));
    const replayed: number[] = [];
    const latest: number[] = [];
    await bus.subscribe({
      groupId: 'replay',
      types: ['market_data_update'],
      fromBeginning: true,
      handler: async (d) => void replayed.push(priceOf(d)!),
    });
    await bus.subscribe({ groupId: 'live', types: ['market_data_update'], handler: async (d) => void latest.push(priceOf(d)!) });
    await bus.publish(tick('AAPL', 8));
    await until(() => replayed.length === 6 && latest.length === 1);
    expect(replayed).toEqual([3, 4, 5, 6, 7, 8]);
    expect(latest).toEqual([8]);
    await bus.close();
  });

  it('refuses an event without a type', async () => {
    const bus = newBus();
    await expect(bus.publish(events.Event.fromPartial({ id: 'x', subject: 's' }))).rejects.toMatchObject({ code: 'BUS_INVALID_EVENT' });
    await bus.close();
  });

  // Issue 19: the bus encoded every event and each consumer group decoded it again, a protobuf round
  // trip per event and group inside one process.
  describe('without a protobuf round trip per delivery', () => {
    afterEach(() => vi.restoreAllMocks());

    async function twoGroups(bus: Bus): Promise<{ a: DeliveredEvent[]; b: DeliveredEvent[] }> {
      const a: DeliveredEvent[] = [];
      const b: DeliveredEvent[] = [];
      await bus.subscribe({ groupId: 'a', types: ['market_data_update'], handler: async (d) => void a.push(d) });
      await bus.subscribe({ groupId: 'b', types: ['market_data_update'], handler: async (d) => void b.push(d) });
      return { a, b };
    }

    it('hands an event marked as in decoded form to every group as it is, frozen, neither encoded nor decoded', async () => {
      const bus = newBus();
      const { a, b } = await twoGroups(bus);
      const encode = vi.spyOn(events.Event, 'encode');
      const decode = vi.spyOn(events.Event, 'decode');
      const sent = markDecodedForm(tick('AAPL', 101.5));
      await bus.publish(sent);
      await until(() => a.length === 1 && b.length === 1);
      expect(a[0].event).toBe(sent);
      expect(b[0].event).toBe(sent);
      expect(Object.isFrozen(sent.payload)).toBe(true);
      expect(() => {
        'use strict';
        (sent as { subject: string }).subject = 'MSFT';
      }).toThrow(TypeError);
      expect(encode).not.toHaveBeenCalled();
      expect(decode).not.toHaveBeenCalled();
      await bus.close();
    });

    it('freezes a shared event all the way down: nested messages, maps and repeated fields', async () => {
      const bus = newBus();
      const got: DeliveredEvent[] = [];
      await bus.subscribe({ groupId: 'g', types: ['status_update', 'provider_status_change'], handler: async (d) => void got.push(d) });
      const status = markDecodedForm(
        events.Event.fromPartial({
          id: 'status-1',
          type: 'status_update',
          source: 'test',
          subject: 'system',
          time: new Date().toISOString(),
          payload: { $case: 'status_update', status_update: { system_metrics: { host: { load_average: [0.5, 1.25, 2] } } } },
        }),
      );
      const change = markDecodedForm(
        events.Event.fromPartial({
          id: 'change-1',
          type: 'provider_status_change',
          source: 'test',
          subject: 'binance',
          time: new Date().toISOString(),
          payload: { $case: 'provider_status_change', provider_status_change: { provider: 'binance', details: { error: 'timeout' } } },
        }),
      );
      await bus.publish([status, change]);
      await until(() => got.length === 2);
      const unfrozen: string[] = [];
      const walk = (value: unknown, at: string) => {
        if (typeof value !== 'object' || value === null) return;
        if (!Object.isFrozen(value)) unfrozen.push(at);
        for (const [k, v] of Object.entries(value)) walk(v, `${at}.${k}`);
      };
      for (const d of got) walk(d.event, d.event.type);
      expect(unfrozen).toEqual([]);
      const host = status.payload?.$case === 'status_update' ? status.payload.status_update.system_metrics?.host : undefined;
      expect(() => host?.load_average.push(3)).toThrow(TypeError);
      await bus.close();
    });

    it('decodes an unmarked event once for every group, a copy the publisher cannot change', async () => {
      const bus = newBus();
      const { a, b } = await twoGroups(bus);
      const decode = vi.spyOn(events.Event, 'decode');
      const sent = tick('AAPL', 101.5);
      await bus.publish(sent);
      await until(() => a.length === 1 && b.length === 1);
      expect(decode).toHaveBeenCalledTimes(1);
      expect(a[0].event).toEqual(sent);
      expect(a[0].event).not.toBe(sent);
      expect(b[0].event).toBe(a[0].event);
      await bus.close();
    });

    it("dead-letters a marked event with its encoding, byte for byte what Kafka's record would hold", async () => {
      const broker = new MemoryBroker({ logger, partitions: 1 });
      const bus = new MemoryBus({ broker, topicPrefix: 'hand.', handlerRetry: { maxAttempts: 1, backoffBaseMs: 1, backoffMaxMs: 1 } });
      await bus.subscribe({
        groupId: 'g',
        types: ['market_data_update'],
        handler: async () => {
          throw unprocessableRecord('TICK_MALFORMED', 'no use for it');
        },
      });
      const sent = markDecodedForm(tick('AAPL', 7));
      await bus.publish(sent);
      await until(() => broker.records('hand.dead_letter').length === 1);
      const [letter] = broker.records('hand.dead_letter');
      expect(parseDeadLetter(letter!)?.failure.reason).toBe('TICK_MALFORMED');
      expect(Buffer.from(letter!.value).equals(Buffer.from(events.Event.encode(sent).finish()))).toBe(true);
      expect(letter!.key.toString()).toBe('AAPL');
      await bus.close();
    });

    it('publishes none of a batch when one event cannot be encoded', async () => {
      const bus = newBus();
      const got: DeliveredEvent[] = [];
      await bus.subscribe({ groupId: 'g', types: ['market_data_update'], handler: async (d) => void got.push(d) });
      await expect(bus.publish([tick('AAPL', 1), { ...tick('MSFT', 2), time: 'not a time' }])).rejects.toThrow();
      await bus.publish(tick('GOOG', 3));
      await until(() => got.length >= 1);
      expect(got.map((d) => d.event.subject)).toEqual(['GOOG']);
      await bus.close();
    });
  });

  describe('with tracing', () => {
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    });
    afterAll(() => {
      context.disable();
      propagation.disable();
    });

    it('carries the publisher trace to the handler through traceparent', async () => {
      const bus = newBus();
      const got: DeliveredEvent[] = [];
      const handlerTraceIds: (string | undefined)[] = [];
      await bus.subscribe({
        groupId: 'g',
        types: ['market_data_update'],
        handler: async (d) => {
          handlerTraceIds.push(trace.getActiveSpan()?.spanContext().traceId);
          got.push(d);
        },
      });
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const publisher = trace.wrapSpanContext({ traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
      await context.with(trace.setSpan(context.active(), publisher), () => bus.publish(tick('AAPL', 1)));
      await until(() => got.length === 1);
      expect(got[0].traceparent).toBe(`00-${traceId}-00f067aa0ba902b7-01`);
      expect(handlerTraceIds).toEqual([traceId]);
      await bus.close();
    });
  });
});
