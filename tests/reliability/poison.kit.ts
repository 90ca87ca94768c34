// Shared by the poison-record suites (tests/reliability/poison-*.test.ts): records written with
// kafkajs directly, as a foreign or buggy producer would, onto one chosen partition so that a
// poison record sits between good ones; and a reader of the run's dead-letter topic.
import { events } from '@marketpulse/proto';
import { createLogger, readDeadLetters, type DeadLetterEntry } from '@marketpulse/runtime';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { kafkaBrokers, waitFor } from '../harness';

export interface RawRecord {
  key?: string | Buffer;
  value: Buffer;
  headers?: Record<string, string>;
}

/** Writes `records` in order onto one partition of `${prefix}${type}` (acks=all). */
export async function produceRaw(prefix: string, type: string, records: RawRecord[], partition = 0): Promise<void> {
  const kafka = new Kafka({ clientId: 'poison-tests-raw', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: `${prefix}${type}`,
      acks: -1,
      messages: records.map((r) => ({ partition, key: r.key ?? null, value: r.value, headers: r.headers })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** An Event as its producer encoded it, bypassing every check a publisher makes. */
export function encoded(event: events.Event): RawRecord {
  return {
    key: event.subject,
    value: Buffer.from(events.Event.encode(event).finish()),
    headers: { 'event-type': event.type, 'event-id': event.id },
  };
}

/** Bytes no Event decodes from (a truncated length-delimited field). */
export function undecodable(): RawRecord {
  return { key: 'garbage', value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) };
}

/** Every dead letter of the run's prefix so far (what `dead-letters list` prints). */
export function deadLetters(prefix: string): Promise<DeadLetterEntry[]> {
  return readDeadLetters({
    brokers: kafkaBrokers().split(','),
    topicPrefix: prefix,
    logger: createLogger('poison-tests', {}, { level: 'silent' }),
  });
}

/** Waits until the dead-letter topic holds at least `count` dead letters, and returns them. */
export async function awaitDeadLetters(prefix: string, count: number, timeoutMs = 90_000): Promise<DeadLetterEntry[]> {
  let found: DeadLetterEntry[] = [];
  await waitFor(async () => (found = await deadLetters(prefix)).length >= count, {
    timeoutMs,
    intervalMs: 1000,
    what: `${count} dead letter(s) under ${prefix}`,
  });
  return found;
}
