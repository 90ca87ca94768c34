import { describe, expect, it } from 'vitest';
import { partitionKey, type LogRecord, type ReadRange } from './kafka_log';
import { MergedRead } from './merged_read';

/**
 * A log on two brokers, one partition each, answering a fetch as KafkaLog does: each range's `from`
 * moves on as its broker answers, and the records come back once both have.
 */
class TwoBrokerLog {
  constructor(private readonly partitions: readonly (readonly number[])[]) {}

  async fetch(ranges: readonly ReadRange[]): Promise<Map<string, LogRecord[]>> {
    const out = new Map<string, LogRecord[]>();
    await Promise.all(
      ranges.map(async (range, i) => {
        // The second broker answers a little later than the first.
        await new Promise((r) => setTimeout(r, i * 20));
        const p = Number(range.key.slice(range.key.lastIndexOf('/') + 1));
        const records = this.partitions[p]!.map((timestamp, offset): LogRecord => ({
          topic: 't',
          partition: p,
          offset,
          timestamp,
          value: Buffer.alloc(0),
          headers: {},
        }))
          .filter((r) => r.offset >= range.from && r.offset < range.to)
          .slice(0, 2);
        if (records.length > 0) range.from = records.at(-1)!.offset + 1;
        out.set(range.key, records);
      }),
    );
    return out;
  }
}

describe('merged read', () => {
  it('waits for the records of a range whose broker answered while another broker had not: the merge keeps time order', async () => {
    const log = new TwoBrokerLog([
      [1, 2, 3],
      [10, 11, 12, 13, 14],
    ]);
    const ranges: ReadRange[] = [3, 5].map((to, p) => ({ key: partitionKey('t', p), from: 0, to }));
    const read = new MergedRead(log, ranges);
    const merged: number[] = [];
    // One record at a time, as a paced read-back takes them: the next fetch is in flight meanwhile.
    for (;;) {
      const records = await read.next(1);
      if (records.length === 0) break;
      merged.push(records[0]!.timestamp);
      await new Promise((r) => setTimeout(r, 2));
    }
    // Before, partition 0's last record waited in the fetch while its range looked done: 10 and 11 went first.
    expect(merged).toEqual([1, 2, 3, 10, 11, 12, 13, 14]);
  });
});
