import type { DeliveredEvent, Logger } from '@marketpulse/runtime';
import { partitionKey, type KafkaLog, type LogRecord, type PartitionKey, type ReadRange } from './kafka_log';
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
  // Partition by partition in Kafka time order, as a resume would, chunked by the log's fetch size.
  const pending: LogRecord[] = [];
  while (ranges.some((r) => r.from < r.to)) {
    for (const records of (await log.fetch(ranges)).values()) pending.push(...records);
  }
  pending.sort(
    (a, b) =>
      a.timestamp - b.timestamp || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset),
  );
  for (const record of pending) {
    options.handle(record);
    read++;
  }
  options.logger.info({ records: read, partitions: bounds.size, ms: Date.now() - began }, 'history warmed from Kafka');
  return new Map([...bounds].map(([key, b]) => [key, b.high]));
}

/** The partition key of a delivered event. */
export function deliveredKey(d: Pick<DeliveredEvent, 'topic' | 'partition'>): PartitionKey {
  return partitionKey(d.topic, d.partition);
}
