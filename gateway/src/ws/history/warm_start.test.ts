import { events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { partitionKey, type KafkaLog, type LogRecord, type ReadRange } from './kafka_log';
import { PositionIndex } from './positions';
import { warmFromKafka } from './warm_start';

const TOPIC = 'w.market_data_update';

/** Partitions with the timestamps given, offset by offset; read as KafkaLog reads a broker, two records per fetch. */
function logOf(timestamps: readonly (readonly number[])[]): KafkaLog {
  const partitions = timestamps.map((times, partition) =>
    times.map((timestamp, offset): LogRecord => ({
      topic: TOPIC,
      partition,
      offset,
      timestamp,
      value: Buffer.from(
        events.Event.encode(
          events.Event.fromPartial({ id: `p${partition}-${offset}`, type: 'market_data_update', source: 't', subject: 'AAPL' }),
        ).finish(),
      ),
      headers: {},
    })),
  );
  const log = {
    clusterId: async () => 'cluster',
    bounds: async () => new Map(partitions.map((records, p) => [partitionKey(TOPIC, p), { low: 0, high: records.length }])),
    offsetsAt: async () => new Map(partitions.map((_, p) => [partitionKey(TOPIC, p), 0])),
    fetch: async (ranges: readonly ReadRange[]) => {
      const out = new Map<string, LogRecord[]>();
      for (const range of ranges) {
        const p = Number(range.key.slice(range.key.lastIndexOf('/') + 1));
        const records = partitions[p]!.filter((r) => r.offset >= range.from && r.offset < range.to).slice(0, 2);
        if (records.length > 0) range.from = records.at(-1)!.offset + 1;
        out.set(range.key, records);
      }
      return out;
    },
  };
  return log as unknown as KafkaLog;
}

describe('warm start', () => {
  it('hands over each partition in offset order, merged across partitions by time, when a partition’s timestamps do not rise', async () => {
    // Partition 0 was written by two producers: its second record is stamped before its first.
    const log = logOf([
      [5, 3, 7],
      [4, 6],
    ]);
    const handled: string[] = [];
    const index = new PositionIndex({ capacity: 100, maxAgeMs: 60_000 });
    const ends = await warmFromKafka({
      log,
      index,
      topics: [TOPIC],
      count: 100,
      ageMs: 60_000,
      handle: (record) => void handled.push(`p${record.partition}-${record.offset}`),
      logger: createLogger('test', {}, { level: 'silent' }),
    });
    // Sorted by time alone, p0-1 (stamped 3) came before p0-0: the resume index takes a partition's
    // records in offset order, and a client's position past p0-0 would have skipped p0-1.
    expect(handled).toEqual(['p1-0', 'p0-0', 'p0-1', 'p1-1', 'p0-2']);
    expect(Object.fromEntries(ends)).toEqual({ [partitionKey(TOPIC, 0)]: 3, [partitionKey(TOPIC, 1)]: 2 });
  });
});
