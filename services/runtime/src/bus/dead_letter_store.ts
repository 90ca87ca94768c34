import { randomUUID } from 'node:crypto';
import { events } from '@marketpulse/proto';
import { Kafka, logLevel as KafkaLogLevel, type IHeaders } from 'kafkajs';
import type { Logger } from '../log/logger';
import { deadLetterTopic, parseDeadLetter, type DeadLetter, type HeaderValue } from './dead_letter';
import { topicFor } from './bus';
import './kafkajs_timeout_fix';

export interface DeadLetterStoreOptions {
  brokers: string[];
  topicPrefix: string;
  logger: Logger;
  /** Longest a read may take (a broker that stops answering midway); default 60 s. */
  timeoutMs?: number;
}

export interface DeadLetterFilter {
  /** Only dead letters from this source: an event type (`system_error`) or a full topic name. */
  topic?: string;
  /** Only dead letters written at or after this time. */
  since?: Date;
  /** Only these dead letters, by `partition:offset` in the dead-letter topic. */
  positions?: string[];
  /** At most this many (the oldest first, per partition). */
  limit?: number;
}

/** A dead letter with its own position in the dead-letter topic and, when it decodes, its event's identity. */
export interface DeadLetterEntry extends DeadLetter {
  /** `partition:offset` in the dead-letter topic. */
  position: string;
  event?: { id: string; type: string; subject: string };
}

function headerValues(headers: IHeaders | undefined): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first;
  }
  return out;
}

function identity(value: Buffer | null): DeadLetterEntry['event'] {
  try {
    const e = events.Event.decode(value ?? new Uint8Array());
    return { id: e.id, type: e.type, subject: e.subject };
  } catch {
    return undefined;
  }
}

function kafkaOf(o: DeadLetterStoreOptions): Kafka {
  return new Kafka({
    clientId: 'marketpulse-dead-letters',
    brokers: o.brokers,
    logLevel: KafkaLogLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3 },
  });
}

function matches(entry: DeadLetterEntry, filter: DeadLetterFilter, topicPrefix: string): boolean {
  if (filter.topic && entry.source.topic !== filter.topic && entry.source.topic !== topicFor(topicPrefix, filter.topic)) return false;
  if (filter.since && !(Date.parse(entry.at) >= filter.since.getTime())) return false;
  if (filter.positions && !filter.positions.includes(entry.position)) return false;
  return true;
}

/**
 * Reads the dead-letter topic from its start to its end as of the call (a throwaway consumer group,
 * deleted afterwards; the topic itself is never changed).
 */
export async function readDeadLetters(o: DeadLetterStoreOptions, filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
  const topic = deadLetterTopic(o.topicPrefix);
  const kafka = kafkaOf(o);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${o.topicPrefix}dead-letters-reader-${randomUUID()}`;
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    const ends = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(p.partition, BigInt(p.high));
    if (ends.size === 0) return [];
    const found: DeadLetterEntry[] = [];
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
    await consumer.connect();
    try {
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          const letter = parseDeadLetter({ key: message.key, value: message.value, headers: headerValues(message.headers) });
          if (letter) {
            const entry: DeadLetterEntry = { ...letter, position: `${partition}:${message.offset}`, event: identity(message.value) };
            if (matches(entry, filter, o.topicPrefix)) found.push(entry);
          }
          if (BigInt(message.offset) + 1n >= end) ends.delete(partition);
          if (ends.size === 0) finish();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic} took over ${o.timeoutMs ?? 60_000} ms; is Kafka at ${o.brokers.join(',')} answering?`)),
          o.timeoutMs ?? 60_000,
        );
      });
      try {
        await Promise.race([done, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    found.sort((a, b) => a.at.localeCompare(b.at));
    return filter.limit === undefined ? found : found.slice(0, filter.limit);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Sends each dead letter's original record (key, value, headers, without the dead-letter headers)
 * back to its source topic, acks=all. Every consumer group of that topic receives it again; they
 * deduplicate by event id. Returns how many were sent.
 */
export async function republishDeadLetters(o: DeadLetterStoreOptions, letters: DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  const producer = kafkaOf(o).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const l of letters) {
      await producer.send({
        topic: l.source.topic,
        acks: -1,
        messages: [{ key: l.source.key, value: l.source.value, headers: l.source.headers }],
      });
      o.logger.info(
        { topic: l.source.topic, partition: l.source.partition, offset: l.source.offset, reason: l.failure.reason },
        'dead letter re-published to its source topic',
      );
    }
    return letters.length;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
