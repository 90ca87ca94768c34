import { events } from '@marketpulse/proto';
import { createLogger, MemoryBroker, MemoryBus, metricsRegistry } from '@marketpulse/runtime';
import type { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { partitionKey, type KafkaLog, type LogRecord, type ReadRange } from '../ws/history/kafka_log';
import { PositionIndex } from '../ws/history/positions';
import type { Hub } from '../ws/hub';
import { startEventConsumer } from './consumer';

const logger = createLogger('test', {}, { level: 'silent' });

/** The histogram's cumulative bucket counts for one event type, by upper bound. */
async function ageBuckets(type: string): Promise<Map<string, number>> {
  const metric = metricsRegistry().getSingleMetric('marketpulse_gateway_event_age_seconds') as Histogram | undefined;
  const values = (await metric!.get()).values.filter((v) => v.labels.type === type && v.metricName?.endsWith('_bucket'));
  return new Map(values.map((v) => [String(v.labels.le), v.value]));
}

describe('event consumer', () => {
  it("records each event's age when it reaches the hub, by type, so a stale feed shows before clients complain", async () => {
    const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'age.' });
    const published: unknown[] = [];
    const hub = { publish: (_channels: string[], publication: unknown) => void published.push(publication) } as unknown as Hub;
    const subscription = await startEventConsumer({ bus, hub, groupId: 'gateway-test', logger });
    try {
      await bus.publish(
        events.Event.fromPartial({
          id: 'evt-old',
          type: 'market_data_update',
          source: 'test',
          subject: 'AAPL',
          // Produced 1.5 s ago: it belongs in the 2.5 s bucket, not in the 1 s one.
          time: new Date(Date.now() - 1500).toISOString(),
          payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: 1 } },
        }),
      );
      for (const deadline = Date.now() + 3000; published.length === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 5));
      expect(published).toHaveLength(1);
      const buckets = await ageBuckets('market_data_update');
      expect(buckets.get('1')).toBe(0);
      expect(buckets.get('2.5')).toBe(1);
      expect(buckets.get('+Inf')).toBe(1);
    } finally {
      await subscription.close();
      await bus.close();
    }
  });

  it('keeps no resume positions on the in-memory bus, where nothing resumes from Kafka (issue 19: one entry per event)', async () => {
    const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'positions.' });
    const published: string[] = [];
    const hub = { publish: (_channels: string[], publication: { id: string }) => void published.push(publication.id) } as unknown as Hub;
    const index = new PositionIndex({ capacity: 1000, maxAgeMs: 60_000 });
    // As the gateway's service hands it over on BUS=memory: an index, no Kafka log.
    const history = { index, log: undefined, topicOf: (type: string) => type, warmCount: 0, warmAgeMs: 0 };
    const subscription = await startEventConsumer({ bus, hub, groupId: 'gateway-test', logger, history });
    try {
      const ids = ['p1', 'p2', 'p3'];
      await bus.publish(
        ids.map((id) =>
          events.Event.fromPartial({
            id,
            type: 'equity_update',
            source: 'test',
            subject: 'acct',
            time: new Date().toISOString(),
            payload: { $case: 'equity_update', equity_update: { total_equity: '1' } },
          }),
        ),
      );
      for (const deadline = Date.now() + 3000; published.length < ids.length && Date.now() < deadline;)
        await new Promise((r) => setTimeout(r, 5));
      expect(published).toEqual(ids);
      expect(index.size).toBe(0);
    } finally {
      await subscription.close();
      await bus.close();
    }
  });

  it('hands the hub no event of a type the catalog does not know: none may read it, and each new name cost a channel and a metric series', async () => {
    const broker = new MemoryBroker({ logger });
    const bus = new MemoryBus({ broker, topicPrefix: 'unknown.' });
    const published: string[] = [];
    const hub = { publish: (_channels: string[], publication: { id: string }) => void published.push(publication.id) } as unknown as Hub;
    const subscription = await startEventConsumer({ bus, hub, groupId: 'gateway-test', logger });
    try {
      // As a foreign producer writes them onto a topic the gateway reads: a made-up type per record, then a tick.
      const records = [
        events.Event.fromPartial({ id: 'made-up-1', type: 'made_up_1', source: 'foreign', subject: 'AAPL' }),
        events.Event.fromPartial({ id: 'made-up-2', type: 'made_up_2', source: 'foreign', subject: 'AAPL' }),
        events.Event.fromPartial({
          id: 'tick',
          type: 'market_data_update',
          source: 'test',
          subject: 'AAPL',
          payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: 1 } },
        }),
      ];
      for (const event of records) {
        const value = events.Event.encode(event).finish();
        broker.append('unknown.market_data_update', 'AAPL', { value, event: events.Event.decode(value) }, {});
      }
      for (const deadline = Date.now() + 3000; !published.includes('tick') && Date.now() < deadline;)
        await new Promise((r) => setTimeout(r, 5));
      expect(published).toEqual(['tick']);
      expect((await ageBuckets('made_up_1')).size).toBe(0);
    } finally {
      await subscription.close();
      await bus.close();
    }
  });

  it('a start that failed part-way through its warm-up and is tried again records each warmed record once', async () => {
    const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'rewarm.' });
    const topic = 'rewarm.market_data_update';
    const records: LogRecord[] = Array.from({ length: 2500 }, (_, offset) => ({
      topic,
      partition: 0,
      offset,
      timestamp: offset,
      value: Buffer.from(
        events.Event.encode(
          events.Event.fromPartial({
            id: `w${offset}`,
            type: 'market_data_update',
            source: 'test',
            subject: 'AAPL',
            payload: { $case: 'market_data_update', market_data_update: { symbol: 'AAPL', price: 1 } },
          }),
        ).finish(),
      ),
      headers: {},
    }));
    let fetches = 0;
    // The first start's third fetch fails (the broker went away): it had handled the first 2,000 records.
    const log = {
      clusterId: async () => 'cluster',
      bounds: async () => new Map([[partitionKey(topic, 0), { low: 0, high: records.length }]]),
      offsetsAt: async () => new Map([[partitionKey(topic, 0), 0]]),
      fetch: async (ranges: readonly ReadRange[]) => {
        if (++fetches === 3) throw new Error('broker gone');
        const out = new Map<string, LogRecord[]>();
        for (const range of ranges) {
          const batch = records.filter((r) => r.offset >= range.from && r.offset < range.to).slice(0, 1000);
          if (batch.length > 0) range.from = batch.at(-1)!.offset + 1;
          out.set(range.key, batch);
        }
        return out;
      },
    } as unknown as KafkaLog;
    const published: string[] = [];
    let seq = 0;
    const hub = {
      publish: (_channels: string[], publication: { id: string }) => {
        // As the hub does: an id it holds is a redelivery.
        if (published.includes(publication.id)) return null;
        published.push(publication.id);
        return { seq: ++seq };
      },
      get nextSeq() {
        return seq + 1;
      },
    } as unknown as Hub;
    const index = new PositionIndex({ capacity: 10_000, maxAgeMs: 60_000 });
    const history = { index, log, topicOf: (type: string) => `rewarm.${type}`, warmCount: 10_000, warmAgeMs: 60_000 };
    await expect(startEventConsumer({ bus, hub, groupId: 'gateway-test', logger, history })).rejects.toThrow('broker gone');
    const subscription = await startEventConsumer({ bus, hub, groupId: 'gateway-test', logger, history });
    try {
      expect(published).toEqual(records.map((r) => `w${r.offset}`));
      // Before, the second warm-up recorded the first 2,000 again, behind the 2,000th: a partition's
      // entries out of offset order, which the resume index's binary search reads as sorted.
      expect(index.size).toBe(2500);
      expect(index.firstNotSent(new Map([[partitionKey(topic, 0), 2]]))).toBe(3);
    } finally {
      await subscription.close();
      await bus.close();
    }
  });
});
