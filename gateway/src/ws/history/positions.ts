import type { PartitionKey } from './kafka_log';
import type { PositionCodec } from './position_token';

/** Where a handled record sits in Kafka, and the event id it carried. */
interface Entry {
  readonly id: string;
  readonly key: PartitionKey;
  readonly offset: number;
  /** The hub's seq of the publication it became (the seq it would have had, when the hub dropped it as a redelivery). */
  readonly seq: number;
  readonly at: number;
}

/** Next offset to read, per partition. */
export type Frontier = Map<PartitionKey, number>;

export interface PositionIndexOptions {
  /** Entries kept (WS_RESUME_INDEX_SIZE). */
  capacity: number;
  /** Entries older than this are dropped (WS_RESUME_INDEX_MAX_AGE_MS). */
  maxAgeMs: number;
  now?: () => number;
}

/**
 * Maps the event ids clients resume from to Kafka positions: for each record the gateway handled,
 * in the order it handled them, its partition and offset. The position of an id is a frontier (the
 * next offset of every partition as it was right after that record was handled), so a resume reads
 * exactly the records the client had not been sent, on this instance or any other: offsets are
 * Kafka's, not the instance's. Bounded by count and age; `base` holds the frontier just before the
 * oldest entry kept.
 */
export class PositionIndex {
  private readonly entries: Entry[] = [];
  private head = 0;
  /** The same entries by partition, each in offset order (firstNotSent's binary search). */
  private readonly byPartition = new Map<PartitionKey, EntryQueue>();
  private readonly byId = new Map<string, Entry>();
  private readonly base: Frontier = new Map();
  private readonly current: Frontier = new Map();
  private readonly now: () => number;
  /** Writes and reads position tokens; set once the Kafka cluster is known (at warm-up), never on the in-memory bus. */
  codec: PositionCodec | undefined = undefined;

  constructor(private readonly options: PositionIndexOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Where reading starts before any record was handled: the warm-up's first offsets. */
  seed(starts: ReadonlyMap<PartitionKey, number>): void {
    for (const [key, offset] of starts) {
      if (!this.base.has(key)) this.base.set(key, offset);
      if (!this.current.has(key)) this.current.set(key, offset);
    }
  }

  /** The next offset of a partition, as far as this instance has handled it; undefined when unknown. */
  next(key: PartitionKey): number | undefined {
    return this.current.get(key);
  }

  /** Whether the record at `offset` of a partition was handled already (a redelivery, or an earlier start's warm-up). */
  handled(key: PartitionKey, offset: number): boolean {
    return offset < (this.current.get(key) ?? 0);
  }

  /**
   * A record was handled (published to the hub as `seq`, or dropped as a redelivery of an id it
   * holds). Records of one partition are handled in offset order.
   */
  record(id: string, key: PartitionKey, offset: number, seq: number): void {
    if (offset + 1 > (this.current.get(key) ?? 0)) this.current.set(key, offset + 1);
    const entry: Entry = { id, key, offset, seq, at: this.now() };
    this.entries.push(entry);
    let partition = this.byPartition.get(key);
    if (!partition) this.byPartition.set(key, (partition = new EntryQueue()));
    partition.push(entry);
    if (!this.byId.has(id)) this.byId.set(id, entry);
    this.evict();
  }

  /** The `pos` of a record: its partition and the offset after it; undefined without a codec. */
  entryAfter(topic: string, partition: number, offset: number): string | undefined {
    return this.codec?.entryAfter(topic, partition, offset);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The frontier right after `id` was handled, over partitions of `topics`; undefined when the id is not held. */
  frontierAfter(id: string, topics: ReadonlySet<string>): Frontier | undefined {
    const target = this.byId.get(id);
    if (!target) return undefined;
    const wanted = (key: PartitionKey) => topics.has(key.slice(0, key.lastIndexOf('/')));
    const out: Frontier = new Map();
    for (const [key, offset] of this.base) if (wanted(key)) out.set(key, offset);
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (wanted(e.key) && e.offset + 1 > (out.get(e.key) ?? 0)) out.set(e.key, e.offset + 1);
      if (e === target) break;
    }
    return out;
  }

  /**
   * The hub seq of the first record this instance handled that a client standing at `frontier` was
   * not sent (its offset at or past the frontier's on its partition); null when it was sent
   * everything handled so far; undefined when the index no longer reaches back to the frontier on
   * some partition (only Kafka has what it missed there).
   *
   * The order an instance handles records in is its own: another instance, or this one before a
   * restart, interleaved the partitions differently, so the last id a client saw does not tell
   * what it missed, the frontier does. One binary search per partition: a partition's records are
   * handled in offset order.
   */
  firstNotSent(frontier: Frontier): number | null | undefined {
    let first: number | null = null;
    for (const [key, offset] of frontier) {
      if ((this.current.get(key) ?? 0) <= offset) continue;
      const found = this.byPartition.get(key)?.firstAtOrPast(offset);
      // The oldest entry kept was not sent either: was the one before it (evicted)?
      if (found === undefined || found.oldest) {
        const base = this.base.get(key);
        if (base === undefined || base > offset) return undefined;
      }
      if (found !== undefined && (first === null || found.entry.seq < first)) first = found.entry.seq;
    }
    return first;
  }

  /** The frontier now, over partitions of `topics`. */
  frontierNow(topics: ReadonlySet<string>): Frontier {
    const out: Frontier = new Map();
    for (const [key, offset] of this.current) if (topics.has(key.slice(0, key.lastIndexOf('/')))) out.set(key, offset);
    return out;
  }

  private evict(): void {
    const oldestKept = this.now() - this.options.maxAgeMs;
    while (this.size > 0 && (this.size > this.options.capacity || this.entries[this.head]!.at < oldestKept)) {
      const e = this.entries[this.head++]!;
      if (this.byId.get(e.id) === e) this.byId.delete(e.id);
      // The oldest entry of all is the oldest of its partition.
      this.byPartition.get(e.key)!.shift();
      if (e.offset + 1 > (this.base.get(e.key) ?? 0)) this.base.set(e.key, e.offset + 1);
    }
    // Compact now and then, so the array does not keep every entry ever handled.
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** One partition's entries, oldest first, in offset order. */
class EntryQueue {
  private list: Entry[] = [];
  private head = 0;

  push(entry: Entry): void {
    this.list.push(entry);
  }

  shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest entry at or past `offset` (and whether it is the oldest kept); undefined when none is. */
  firstAtOrPast(offset: number): { entry: Entry; oldest: boolean } | undefined {
    let low = this.head;
    let high = this.list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.list[mid]!.offset < offset) low = mid + 1;
      else high = mid;
    }
    return low < this.list.length ? { entry: this.list[low]!, oldest: low === this.head } : undefined;
  }
}
