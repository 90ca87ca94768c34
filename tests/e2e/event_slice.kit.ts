// A suite's own slice of the run's Kafka and PostgreSQL for a service started in-process: a topic
// prefix, a database, and a bus client that publishes test events and records what the service emits.
import type { events } from '@marketpulse/proto';
import { createBus, createLogger, type Bus } from '@marketpulse/runtime';
import { createTestDatabase, kafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '../harness';

export interface EventSlice {
  prefix: string;
  db: TestDatabase;
  /** Publishes test events and reads the types the slice observes. */
  bus: Bus;
  /** Events of the observed types, with the time they were read. */
  emitted: { event: events.Event; at: number }[];
}

export async function newEventSlice(label: string, observedTypes: string[]): Promise<EventSlice> {
  const prefix = uniqueTopicPrefix(label);
  const db = await createTestDatabase(label);
  const bus = createBus(
    { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: 3, SERVICE_NAME: `${label}-test` },
    createLogger(`${label}-test`, {}, { level: 'warn' }),
  );
  const emitted: EventSlice['emitted'] = [];
  await bus.subscribe({
    groupId: `${prefix}observer`,
    types: observedTypes,
    handler: async (d) => void emitted.push({ event: d.event, at: Date.now() }),
  });
  return { prefix, db, bus, emitted };
}
