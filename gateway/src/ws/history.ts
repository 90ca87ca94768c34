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
  /** The user it belongs to ('' for a system event): the Event envelope's owner. */
  readonly owner: string;
  /** ISO-8601 time of the event. */
  readonly time: string;
  /** W3C trace id (32 hex digits) of the event, '' when it carried none. */
  readonly traceId: string;
  /** The event payload as JSON-ready data (snake_case fields, as in the proto). */
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * Its Kafka partition and the offset after it, as one position-token entry (history/position_token.ts):
   * what a client resumes from on any instance. Absent on the in-memory bus.
   */
  readonly pos?: string;
}

/**
 * The last `capacity` publications of one channel, at most `maxAgeMs` old, oldest first, with an
 * index by id for resume and for dropping Kafka redeliveries. `evictedSeq` remembers the newest
 * seq that fell out, so a resume can tell "nothing missed" from "missed messages are gone" (then
 * it reads them back from Kafka: history/resume.ts).
 */
export class ChannelHistory {
  /** Grows to `capacity` as publications arrive (a quiet channel costs little), then wraps. */
  private readonly ring: Publication[] = [];
  private start = 0;
  private size = 0;
  private readonly byId = new Map<string, Publication>();
  private evicted = 0;
  /** Arrival time of each publication, by ring slot (for the age bound). */
  private readonly arrivals: number[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxAgeMs = Infinity,
    private readonly now: () => number = Date.now,
    /** A channel made again after the hub dropped it: the newest seq its earlier history may have held. */
    evictedSeq = 0,
  ) {
    this.evicted = evictedSeq;
  }

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

  /** The newest publication `accept` takes (the newest of all without it). */
  newest(accept?: (pub: Publication) => boolean): Publication | undefined {
    for (let i = this.size - 1; i >= 0; i--) {
      const pub = this.ring[(this.start + i) % this.capacity]!;
      if (!accept || accept(pub)) return pub;
    }
    return undefined;
  }

  /** `now`: the caller's clock reading, when it appends one publication to several histories. */
  append(pub: Publication, now = this.now()): void {
    if (this.capacity === 0) {
      this.evicted = pub.seq;
      return;
    }
    this.expire(now);
    if (this.size === this.capacity) {
      const oldest = this.ring[this.start]!;
      this.byId.delete(oldest.id);
      this.evicted = oldest.seq;
      this.ring[this.start] = pub;
      this.arrivals[this.start] = now;
      this.start = (this.start + 1) % this.capacity;
    } else {
      const slot = (this.start + this.size) % this.capacity;
      // Until the ring first fills, start is 0 and the next slot is the end of the array.
      if (slot === this.ring.length) {
        this.ring.push(pub);
        this.arrivals.push(now);
      } else {
        this.ring[slot] = pub;
        this.arrivals[slot] = now;
      }
      this.size++;
    }
    this.byId.set(pub.id, pub);
  }

  /** Drops the publications older than maxAgeMs (at append, and before a resume reads the history). */
  expire(now = this.now()): void {
    const oldest = now - this.maxAgeMs;
    while (this.size > 0 && this.arrivals[this.start]! < oldest) {
      const pub = this.ring[this.start]!;
      this.byId.delete(pub.id);
      this.evicted = pub.seq;
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
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
