import type { DeliveredEvent, Logger } from '@marketpulse/runtime';
import { partitionKey, type KafkaLog, type LogRecord, type PartitionKey, type ReadRange } from './kafka_log';
import { MergedRead } from './merged_read';
import { PositionCodec, positionEpoch } from './position_token';
import type { PositionIndex } from './positions';

export interface WarmStartOptions {
  log: KafkaLog;
  index: PositionIndex;
  /** Every event topic, in the catalog's order: position tokens number topics by it. */
  topics: readonly string[];
  /** Records read back per partition at most (WS_HISTORY_WARM_COUNT). */
  count: number;
  /** Records older than this are not read back (WS_HISTORY_WARM_AGE_MS). */
  ageMs: number;
  /** Hands one read-back record to the hub, as the live consumer does. */
  handle: (record: LogRecord) => void;
  logger: Logger;
}

/** Records merged per turn of the warm-up. */
const WARM_CHUNK = 1000;

/**
 * Fills the history and the position index from Kafka before an instance serves anyone: for each
 * partition of the event topics, the last `count` records no older than `ageMs`, up to the end
 * offsets read once the live consumer is subscribed. The live consumer starts at or before those
 * ends (a new group starts at the ends it read earlier), so what it delivers below them is
 * dropped as already handled and nothing published during start-up is skipped. Sets the index's
 * position codec first (its epoch names the cluster), so every record handled carries a `pos`.
 * Returns the ends.
 */
export async function warmFromKafka(options: WarmStartOptions): Promise<Map<PartitionKey, number>> {
  const { log, index, topics } = options;
  index.codec = new PositionCodec(positionEpoch(await log.clusterId(), topics), topics);
  const bounds = await log.bounds(topics);
  const byAge = await log.offsetsAt(topics, Date.now() - options.ageMs);
  const starts = new Map<PartitionKey, number>();
  const ranges: ReadRange[] = [];
  for (const [key, { low, high }] of bounds) {
    const from = Math.max(low, high - options.count, byAge.get(key) ?? low);
    starts.set(key, from);
    if (from < high) ranges.push({ key, from, to: high });
  }
  index.seed(starts);
  let read = 0;
  const began = Date.now();
  // Partitions merged in Kafka time order, as a resume reads them, each in offset order: a partition
  // written by several producers need not have rising timestamps, and the resume index takes each
  // partition's records in offset order (PositionIndex.firstNotSent).
  const merged = new MergedRead(log, ranges);
  for (;;) {
    const records = await merged.next(WARM_CHUNK);
    for (const record of records) options.handle(record);
    read += records.length;
    if (records.length < WARM_CHUNK) break;
  }
  options.logger.info({ records: read, partitions: bounds.size, ms: Date.now() - began }, 'history warmed from Kafka');
  return new Map([...bounds].map(([key, b]) => [key, b.high]));
}

/** The partition key of a delivered event. */
export function deliveredKey(d: Pick<DeliveredEvent, 'topic' | 'partition'>): PartitionKey {
  return partitionKey(d.topic, d.partition);
}
