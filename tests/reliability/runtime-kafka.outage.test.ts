import { createLogger, KafkaBus, type DeliveredEvent } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeOwnServer, runInfraScript, spareKafkaPort, tickEvent, uniqueTopicPrefix, waitFor } from '../harness';

// A broker of its own (own port and data folder), so stopping it disturbs no other test.
const logger = createLogger('runtime-kafka-outage-test', {}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const tick = (id: string, price: number) => tickEvent({ id, price, source: 'reliability-test' });

// With MP_RUN_DIR set, every port shares one run folder, so this test's stop.sh could hit the
// shared broker: it only runs when each port gets its own folder.
describe.skipIf(Boolean(process.env.MP_RUN_DIR))('KafkaBus when the broker goes away and comes back', () => {
  let port: number;
  let bus: KafkaBus;
  const got: DeliveredEvent[] = [];

  beforeAll(async () => {
    port = await spareKafkaPort();
    await runInfraScript('kafka', 'start', port);
    bus = new KafkaBus({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'runtime-outage',
      topicPrefix: uniqueTopicPrefix('runtime-outage'),
      partitions: 1,
      logger,
      healthCacheMs: 0,
    });
  }, 120_000);

  afterAll(async () => {
    await bus?.close();
    await removeOwnServer('kafka', port);
  }, 60_000);

  it('reports unhealthy during the outage, recovers, and publishes and consumes again', async () => {
    expect(await bus.health()).toMatchObject({ ok: true });
    await bus.subscribe({ groupId: 'outage-group', types: ['market_data_update'], handler: async (d) => void got.push(d) });
    await bus.publish(tick('before', 1));
    await waitFor(() => got.some((d) => d.event.id === 'before'), { what: 'the event published before the outage', timeoutMs: 20_000 });

    await runInfraScript('kafka', 'stop', port);
    await waitFor(async () => !(await bus.health()).ok, { what: 'health() to report the broker down', timeoutMs: 15_000 });
    await expect(bus.publish(tick('during', 2))).rejects.toMatchObject({ code: 'BUS_PUBLISH_FAILED' });

    await runInfraScript('kafka', 'start', port);
    await waitFor(async () => (await bus.health()).ok, { what: 'health() to report the broker back', timeoutMs: 60_000, intervalMs: 500 });
    await waitFor(
      async () => {
        await bus.publish(tick('after', 3));
        return true;
      },
      { what: 'a publish to succeed after the restart', timeoutMs: 60_000, intervalMs: 1000 },
    );
    await waitFor(() => got.some((d) => d.event.id === 'after'), {
      what: 'the existing subscription to consume again',
      timeoutMs: 90_000,
      intervalMs: 500,
    });
  }, 300_000);
});
