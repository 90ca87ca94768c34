import { metricsRegistry, type DeliveredEvent } from '@marketpulse/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { testKafkaBus, tickEvent, uniqueTopicPrefix, waitFor } from '../harness';

// The Kafka figures an SRE watches, from the runtime's bus over the run's real broker: produce and
// consume rates by topic, handler retries, and the consumer lag of a group that caught up.

const prefix = uniqueTopicPrefix('kafka-metrics');
const bus = testKafkaBus(prefix, { clientId: 'kafka-metrics-test', partitions: 1 });

afterAll(() => bus.close());

/** The value of the sample of `name` whose labels include all of `labels`. */
async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = (await metricsRegistry().metrics()).split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

const tick = (n: number) => tickEvent({ id: `metrics-${n}`, price: 100 + n });

describe('Kafka metrics', () => {
  it('counts records produced and consumed by topic, retries by group, and reports the lag of a group that caught up', async () => {
    const topic = `${prefix}market_data_update`;
    // The bus namespaces the group by the topic prefix; metrics carry the group Kafka knows.
    const group = `${prefix}metrics-group`;
    const seen: DeliveredEvent[] = [];
    let failedOnce = false;
    await bus.subscribe({
      groupId: 'metrics-group',
      types: ['market_data_update'],
      handler: async (d) => {
        // The first delivery of the first event fails: the bus retries it and counts a retry.
        if (!failedOnce) {
          failedOnce = true;
          throw new Error('not yet');
        }
        seen.push(d);
      },
    });
    await bus.publish([tick(1), tick(2), tick(3)]);
    await bus.publish([tick(4), tick(5)]);
    await waitFor(() => seen.length === 5, { timeoutMs: 20_000, what: 'the 5 events to be consumed' });

    expect(await sample('marketpulse_kafka_messages_produced_total', { topic, outcome: 'ok' })).toBe(5);
    expect(await sample('marketpulse_kafka_messages_consumed_total', { topic, group, outcome: 'ok' })).toBe(5);
    expect(await sample('marketpulse_kafka_messages_consumed_total', { topic, group, outcome: 'retry' })).toBe(1);
    expect(await sample('marketpulse_kafka_consume_duration_seconds_count', { topic, group })).toBe(6);
    expect(await metricsRegistry().metrics()).toMatch(/^marketpulse_kafka_publish_duration_seconds_count 2$/m);
    await waitFor(async () => (await sample('marketpulse_kafka_consumer_lag', { topic, group, partition: '0' })) === 0, {
      timeoutMs: 10_000,
      what: 'the consumer lag of the caught-up group to read 0',
    });
  }, 60_000);
});
