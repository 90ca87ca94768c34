import { randomUUID } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTopicsWithLeaders } from '@marketpulse/runtime';
import { KafkaLog, partitionKey, PastRetentionError, type LogRecord, type ReadRange } from './kafka_log';

// The read-back's own Fetch decoding (fetch_response.ts, record_batches.ts) on batches a real broker
// wrote: plain and gzip batches with headers, and transactions, one aborted and one committed.
// The suite's global setup provides the broker (tests/vitest.config.ts).
const brokers = ((inject as (key: string) => string | undefined)('mpKafkaBrokers') ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(
  ',',
);
const topic = `test.kafka-log.${randomUUID().slice(0, 8)}`;
const kafka = new Kafka({ clientId: 'kafka-log-test', brokers, logLevel: logLevel.NOTHING });
const log = new KafkaLog(brokers, 'kafka-log-test');

// Keyed as the runtime's bus keys events (by subject); the gzip batch's second record has none.
const message = (value: string) => ({
  key: value === 'gzip-2' ? null : `key-${value}`,
  value,
  headers: { traceparent: `tp-${value}`, other: ['a', 'b'] },
});

/** Every record of the partition from `from` to its end, fetch after fetch, as the read-back reads them. */
async function readAll(from: number): Promise<LogRecord[]> {
  const high = Number((await log.bounds([topic])).get(partitionKey(topic, 0))!.high);
  const range: ReadRange = { key: partitionKey(topic, 0), from, to: high };
  const out: LogRecord[] = [];
  for (let fetches = 0; range.from < range.to; fetches++) {
    if (fetches > 100) throw new Error('the read does not advance');
    out.push(...((await log.fetch([range])).get(range.key) ?? []));
  }
  return out;
}

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: 1 }]);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, messages: [message('plain-1'), message('plain-2')] });
  await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [message('gzip-1'), message('gzip-2')] });
  await producer.disconnect();
  const transactional = kafka.producer({ transactionalId: `${topic}-tx`, idempotent: true, maxInFlightRequests: 1 });
  await transactional.connect();
  const aborted = await transactional.transaction();
  await aborted.send({ topic, messages: [message('aborted-1'), message('aborted-2')] });
  await aborted.abort();
  const committed = await transactional.transaction();
  await committed.send({ topic, messages: [message('committed-1')] });
  await committed.commit();
  await transactional.disconnect();
}, 60_000);

afterAll(async () => {
  await log.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('KafkaLog on a real broker', () => {
  it('reads plain and gzip batches with their headers, skips the aborted transaction and the markers, and keeps the committed one', async () => {
    const records = await readAll(0);
    expect(records.map((r) => String(r.value))).toEqual(['plain-1', 'plain-2', 'gzip-1', 'gzip-2', 'committed-1']);
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 7]); // 4-5 aborted, 6 its marker, 8 the commit marker
    expect(records[2]!.headers.traceparent?.toString()).toBe('tp-gzip-1');
    expect((records[2]!.headers.other as Buffer[]).map(String)).toEqual(['a', 'b']);
    expect(records.map((r) => r.key?.toString() ?? null)).toEqual(['key-plain-1', 'key-plain-2', 'key-gzip-1', null, 'key-committed-1']);
    expect(records.every((r) => r.timestamp > Date.now() - 600_000 && r.timestamp <= Date.now())).toBe(true);
  });

  it('starts inside a batch at the offset asked for', async () => {
    expect((await readAll(3)).map((r) => String(r.value))).toEqual(['gzip-2', 'committed-1']);
  });

  it('a range starting before the log start is past retention', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicOffsets(topic); // loads the topic's metadata, which deleteTopicRecords needs
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] });
    await admin.disconnect();
    await expect(log.fetch([{ key: partitionKey(topic, 0), from: 0, to: 9 }])).rejects.toBeInstanceOf(PastRetentionError);
  });
});
