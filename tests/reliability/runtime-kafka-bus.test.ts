import { events } from '@marketpulse/proto';
import { createLogger, KafkaBus, type Bus, type DeliveredEvent, type Subscription } from '@marketpulse/runtime';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaBus, uniqueTopicPrefix, waitFor } from '../harness';

// The Kafka implementation of the runtime Bus against the run's real broker.
const logger = createLogger('runtime-kafka-bus-test', {}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let seq = 0;
function tick(symbol: string, price: number): events.Event {
  seq += 1;
  return events.Event.fromPartial({
    id: `evt-${process.pid}-${seq}`,
    type: 'market_data_update',
    source: 'reliability-test',
    subject: symbol,
    time: new Date().toISOString(),
    payload: { $case: 'market_data_update', market_data_update: { symbol, price } },
  });
}

const priceOf = (d: DeliveredEvent) => (d.event.payload?.$case === 'market_data_update' ? d.event.payload.market_data_update.price : NaN);

describe('KafkaBus (real broker)', () => {
  const opened: Bus[] = [];
  function openBus(prefix: string): KafkaBus {
    const bus = testKafkaBus(prefix, { clientId: 'runtime-reliability', logger });
    opened.push(bus);
    return bus;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  it('reports health, publishes protobuf records keyed by subject and delivers them decoded', async () => {
    const prefix = uniqueTopicPrefix('runtime-bus');
    const producer = openBus(prefix);
    const consumer = openBus(prefix);
    expect(await producer.health()).toMatchObject({ ok: true });
    const got: DeliveredEvent[] = [];
    await consumer.subscribe({ groupId: 'g', types: ['market_data_update'], handler: async (d) => void got.push(d) });
    const sent = tick('AAPL', 187.25);
    await producer.publish(sent);
    await waitFor(() => got.length === 1, { what: 'the published event to be consumed', timeoutMs: 20_000 });
    expect(got[0].event).toEqual(sent);
    expect(got[0].topic).toBe(`${prefix}market_data_update`);
  });

  it('keeps per-subject order across partitions', async () => {
    const prefix = uniqueTopicPrefix('runtime-order');
    const bus = openBus(prefix);
    const seen = new Map<string, number[]>();
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async (d) => void seen.set(d.event.subject, [...(seen.get(d.event.subject) ?? []), priceOf(d)]),
    });
    const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'TSLA'];
    for (let i = 0; i < 10; i++) await bus.publish(symbols.map((s) => tick(s, i)));
    await waitFor(() => symbols.every((s) => seen.get(s)?.length === 10), { what: 'all 50 events', timeoutMs: 20_000 });
    for (const s of symbols) expect(seen.get(s)).toEqual([...Array(10).keys()]);
  });

  it('retries a failing handler and never skips the event; a committed event is not redelivered', async () => {
    const prefix = uniqueTopicPrefix('runtime-retry');
    const bus = openBus(prefix);
    const attempts: number[] = [];
    let failures = 2;
    const handler = async (d: DeliveredEvent) => {
      attempts.push(priceOf(d));
      if (priceOf(d) === 1 && failures-- > 0) throw new Error('store unavailable');
    };
    const first = await bus.subscribe({ groupId: 'g', types: ['market_data_update'], handler });
    await bus.publish([tick('AAPL', 1), tick('AAPL', 2)]);
    await waitFor(() => attempts.includes(2), { what: 'the event after the failing one', timeoutMs: 20_000 });
    expect(attempts).toEqual([1, 1, 1, 2]);

    // Same group again: both offsets were committed, so only the new event arrives.
    await first.close();
    const again: number[] = [];
    await bus.subscribe({ groupId: 'g', types: ['market_data_update'], handler: async (d) => void again.push(priceOf(d)) });
    await bus.publish(tick('AAPL', 3));
    await waitFor(() => again.includes(3), { what: 'the new event', timeoutMs: 30_000 });
    expect(again).toEqual([3]);
  });

  it('hands an event that was never processed to the next member of the group', async () => {
    const prefix = uniqueTopicPrefix('runtime-handover');
    const bus = openBus(prefix);
    let stuckAttempts = 0;
    const stuck: Subscription = await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async () => {
        stuckAttempts += 1;
        throw new Error('always failing');
      },
    });
    const sent = tick('AAPL', 42);
    await bus.publish(sent);
    await waitFor(() => stuckAttempts >= 1, { what: 'the first (failing) delivery', timeoutMs: 20_000 });
    await stuck.close();
    const got: DeliveredEvent[] = [];
    await bus.subscribe({ groupId: 'g', types: ['market_data_update'], fromBeginning: true, handler: async (d) => void got.push(d) });
    await waitFor(() => got.length > 0, { what: 'redelivery to the new member', timeoutMs: 30_000 });
    expect(got[0].event.id).toBe(sent.id);
  });

  it("namespaces groups by topic prefix: two runs using one group id never take each other's partitions", async () => {
    const prefixes = [uniqueTopicPrefix('runtime-ns-a'), uniqueTopicPrefix('runtime-ns-b')];
    const got = prefixes.map(() => [] as string[]);
    const buses = prefixes.map((p) => openBus(p));
    for (const [i, bus] of buses.entries()) {
      await bus.subscribe({ groupId: 'prediction', types: ['market_data_update'], handler: async (d) => void got[i].push(d.event.id) });
    }
    const sent = buses.map(() => ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((s) => tick(s, 1)));
    await Promise.all(buses.map((bus, i) => bus.publish(sent[i])));
    await waitFor(() => sent.every((events, i) => events.every((e) => got[i].includes(e.id))), {
      what: 'each run to get all of its events',
      timeoutMs: 20_000,
    });
    const admin = new Kafka({ brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(prefixes.map((p) => `${p}prediction`));
      expect(groups.map((g) => g.members.length)).toEqual([1, 1]);
    } finally {
      await admin.disconnect();
    }
  });

  it('handles partitions side by side, each in order, and keeps the order of concurrent publishes', async () => {
    const prefix = uniqueTopicPrefix('runtime-concurrent');
    const bus = openBus(prefix);
    const seen = new Map<string, number[]>();
    let inHandler = 0;
    let mostAtOnce = 0;
    await bus.subscribe({
      groupId: 'g',
      types: ['market_data_update'],
      handler: async (d) => {
        mostAtOnce = Math.max(mostAtOnce, ++inHandler);
        await new Promise((r) => setTimeout(r, 20));
        inHandler -= 1;
        seen.set(d.event.subject, [...(seen.get(d.event.subject) ?? []), priceOf(d)]);
      },
    });
    const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'TSLA', 'NVDA', 'META', 'NFLX', 'ORCL'];
    // Not awaited one by one: the bus gathers them into few requests and must keep their order.
    await Promise.all(Array.from({ length: 10 }, (_, i) => symbols.map((s) => bus.publish(tick(s, i)))).flat());
    await waitFor(() => symbols.every((s) => seen.get(s)?.length === 10), { what: 'all 90 events', timeoutMs: 30_000 });
    for (const s of symbols) expect(seen.get(s)).toEqual([...Array(10).keys()]);
    expect(mostAtOnce).toBeGreaterThan(1);
  });

  it('gives each group every event and splits a group between its members', async () => {
    const prefix = uniqueTopicPrefix('runtime-groups');
    const bus = openBus(prefix);
    const a: string[] = [];
    const b: string[] = [];
    const audit: string[] = [];
    await bus.subscribe({ groupId: 'workers', types: ['market_data_update'], handler: async (d) => void a.push(d.event.id) });
    await bus.subscribe({ groupId: 'workers', types: ['market_data_update'], handler: async (d) => void b.push(d.event.id) });
    await bus.subscribe({ groupId: 'audit', types: ['market_data_update'], handler: async (d) => void audit.push(d.event.id) });
    const sent = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'].map((s) => tick(s, 1));
    // The second member's join rebalances the group; wait until both members own partitions.
    let warmups = 0;
    await waitFor(
      async () => {
        await bus.publish(['W1', 'W2', 'W3', 'W4', 'W5', 'W6'].map((s) => tick(`${s}-${warmups++}`, 0)));
        return a.length > 0 && b.length > 0;
      },
      { what: 'both group members to receive events', timeoutMs: 30_000, intervalMs: 300 },
    );
    await bus.publish(sent);
    const ids = sent.map((e) => e.id);
    await waitFor(() => ids.every((id) => a.includes(id) || b.includes(id)) && ids.every((id) => audit.includes(id)), {
      what: 'every event in both groups',
      timeoutMs: 20_000,
    });
    expect(ids.filter((id) => a.includes(id) && b.includes(id))).toEqual([]);
  }, 90_000);
});
