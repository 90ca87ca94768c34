import type { LogRecord, PartitionKey, ReadRange } from './kafka_log';

/** What a merged read fetches from: KafkaLog, or a test's log held in memory. */
export interface RangeFetcher {
  fetch(ranges: readonly ReadRange[]): Promise<Map<PartitionKey, LogRecord[]>>;
  /** Connects and learns where `topics` live, so a first fetch need not (KafkaLog). */
  prepare?(topics: readonly string[]): Promise<void>;
}

/** Records buffered ahead of the merge before the next fetch is asked for. */
const PREFETCH_RECORDS = 2000;

/**
 * Ranges of several partitions read as one sequence in Kafka time order (timestamp, then topic,
 * partition, offset), so a client catching up gets events in the order they happened across
 * partitions. One fetch stays in flight ahead of the merge, so the broker's round trip overlaps
 * the decoding and sending of what came before.
 */
export class MergedRead {
  /** Per range (same index as `ranges`), its records fetched and the next one to merge. */
  private readonly buffers: { records: LogRecord[]; next: number }[];
  private readonly byKey = new Map<PartitionKey, { records: LogRecord[]; next: number }>();
  private buffered = 0;
  private inFlight: Promise<void> | undefined;
  /**
   * The partitions the fetch in flight reads. A fetch moves a range's `from` on as its broker
   * answers, before it hands the records over (with several brokers, once the last one answered):
   * until then an empty buffer of such a range is waiting, not done.
   */
  private fetching: ReadonlySet<PartitionKey> = new Set();
  private failure: unknown;

  /** `ranges` are read from (their `from` advances as records arrive). */
  constructor(
    private readonly log: RangeFetcher,
    private readonly ranges: ReadRange[],
  ) {
    this.buffers = ranges.map((range) => this.buffer(range.key));
  }

  /** Reads further: a known partition's range to the larger `to`, a new partition's range added. */
  extend(ranges: readonly ReadRange[]): void {
    for (const { key, from, to } of ranges) {
      const known = this.ranges.find((r) => r.key === key);
      if (known) known.to = Math.max(known.to, to);
      else if (from < to) {
        this.ranges.push({ key, from, to });
        this.buffers.push(this.buffer(key));
      }
    }
  }

  /** Up to `max` records in time order; fewer only once every range is read to its end. */
  async next(max: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const { ranges, buffers } = this;
    while (out.length < max) {
      if (this.failure !== undefined) throw this.failure instanceof Error ? this.failure : new Error(String(this.failure));
      if (this.buffered < PREFETCH_RECORDS && !this.inFlight) void this.refill();
      let head: LogRecord | undefined;
      let headAt = -1;
      let blocked = false;
      for (let i = 0; i < ranges.length; i++) {
        const buffer = buffers[i]!;
        const record = buffer.records[buffer.next];
        if (record === undefined) {
          if (ranges[i]!.from < ranges[i]!.to || this.fetching.has(ranges[i]!.key)) blocked = true;
          continue;
        }
        if (!head || before(record, head)) {
          head = record;
          headAt = i;
        }
      }
      // The merge needs every unfinished range's head: wait for the fetch that brings it.
      if (blocked) {
        await (this.inFlight ?? this.refill());
        continue;
      }
      if (!head) break;
      buffers[headAt]!.next++;
      this.buffered--;
      out.push(head);
    }
    return out;
  }

  private buffer(key: PartitionKey): { records: LogRecord[]; next: number } {
    const buffer = { records: [], next: 0 };
    this.byKey.set(key, buffer);
    return buffer;
  }

  private refill(): Promise<void> | undefined {
    if (this.inFlight || this.failure !== undefined) return this.inFlight;
    const open = this.ranges.filter((r) => r.from < r.to);
    if (open.length === 0) return undefined;
    this.fetching = new Set(open.map((r) => r.key));
    const fetching = this.log.fetch(open).then(
      (fetched) => {
        for (const [key, records] of fetched) {
          const buffer = this.byKey.get(key)!;
          buffer.records = buffer.next >= buffer.records.length ? records : buffer.records.slice(buffer.next).concat(records);
          buffer.next = 0;
          this.buffered += records.length;
        }
      },
      (err: unknown) => {
        this.failure = err;
      },
    );
    this.inFlight = fetching.finally(() => {
      this.inFlight = undefined;
      this.fetching = new Set();
    });
    return this.inFlight;
  }
}

function before(a: LogRecord, b: LogRecord): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  if (a.topic !== b.topic) return a.topic < b.topic;
  if (a.partition !== b.partition) return a.partition < b.partition;
  return a.offset < b.offset;
}
