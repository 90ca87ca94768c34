/** One event as the hub sees it: door-neutral, encoded by each door into its own message shape. */
export interface Publication {
  /** Order of arrival at this gateway instance, across all channels; used to merge and resume. */
  readonly seq: number;
  /** The Event id: stable across Kafka redeliveries and identical on every gateway instance. */
  readonly id: string;
  /** Every channel this publication went to (e.g. `market-data:AAPL` and `events`). */
  readonly channels: readonly string[];
  /** Event type (`market_data_update`, `alert_triggered`, ...). */
  readonly type: string;
  readonly source: string;
  readonly subject: string;
  /** ISO-8601 time of the event. */
  readonly time: string;
  /** W3C trace id (32 hex digits) of the event, '' when it carried none. */
  readonly traceId: string;
  /** The event payload as JSON-ready data (snake_case fields, as in the proto). */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The last `capacity` publications of one channel, oldest first, with an index by id for resume
 * and for dropping Kafka redeliveries. `evictedSeq` remembers the newest seq that fell out, so a
 * resume can tell "nothing missed" from "missed messages are gone".
 */
export class ChannelHistory {
  /** Grows to `capacity` as publications arrive (a quiet channel costs little), then wraps. */
  private readonly ring: Publication[] = [];
  private start = 0;
  private size = 0;
  private readonly byId = new Map<string, Publication>();
  private evicted = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.size;
  }

  /** Seq of the newest publication no longer held; 0 when none was dropped. */
  get evictedSeq(): number {
    return this.evicted;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Publication | undefined {
    return this.byId.get(id);
  }

  newest(): Publication | undefined {
    return this.size === 0 ? undefined : this.ring[(this.start + this.size - 1) % this.capacity];
  }

  append(pub: Publication): void {
    if (this.capacity === 0) {
      this.evicted = pub.seq;
      return;
    }
    if (this.size === this.capacity) {
      const oldest = this.ring[this.start]!;
      this.byId.delete(oldest.id);
      this.evicted = oldest.seq;
      this.ring[this.start] = pub;
      this.start = (this.start + 1) % this.capacity;
    } else {
      // Until the ring is full, start is 0 and the next slot is the end of the array.
      this.ring.push(pub);
      this.size++;
    }
    this.byId.set(pub.id, pub);
  }

  /** Publications with seq > `seq`, oldest first. */
  after(seq: number): Publication[] {
    const out: Publication[] = [];
    for (let i = 0; i < this.size; i++) {
      const pub = this.ring[(this.start + i) % this.capacity]!;
      if (pub.seq > seq) out.push(pub);
    }
    return out;
  }
}
