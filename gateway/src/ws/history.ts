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

/** A publication as the hub's history holds it: once, however many channel windows hold it. */
export interface HeldPublication {
  readonly pub: Publication;
  /** How many channel windows hold it: its id leaves the index when the last one lets it go. */
  windows: number;
  /**
   * An earlier publication with the same id that windows still hold: one sent to channels that no
   * longer held the first (almost always undefined; a Kafka redelivery goes to the same channels).
   */
  earlier: HeldPublication | undefined;
}

/**
 * The hub's history: each publication held once, with ONE index by id for resume and for dropping
 * Kafka redeliveries, and a window per channel over it (issue 19: a publication on three channels
 * used to cost three Map.set and, when it fell out, three Map.delete by id).
 */
export class HubHistory {
  private readonly byId = new Map<string, HeldPublication>();
  private held = 0;

  constructor(
    /** How many publications each channel's window keeps (WS_HISTORY_SIZE). */
    readonly capacity: number,
    /** How old a publication a window keeps at most (WS_HISTORY_MAX_AGE_MS). */
    readonly maxAgeMs = Infinity,
    readonly now: () => number = Date.now,
  ) {}

  /** Publications held by at least one window, each counted once. */
  get size(): number {
    return this.held;
  }

  /** A publication about to enter its channels' windows. */
  entry(pub: Publication): HeldPublication {
    return { pub, windows: 0, earlier: undefined };
  }

  /** The newest held publication with this id, whichever windows hold it (`earlier` leads to the others). */
  find(id: string): HeldPublication | undefined {
    return this.byId.get(id);
  }

  /** A new channel's window; `evictedSeq`: the newest seq an earlier window of that channel may have held. */
  window(evictedSeq = 0): ChannelWindow {
    return new ChannelWindow(this, evictedSeq);
  }

  /** @internal A window took it. */
  enter(held: HeldPublication): void {
    if (held.windows++ > 0) return;
    this.held++;
    held.earlier = this.byId.get(held.pub.id);
    this.byId.set(held.pub.id, held);
  }

  /** @internal A window let it go. */
  leave(held: HeldPublication): void {
    if (--held.windows > 0) return;
    this.held--;
    const id = held.pub.id;
    let later = this.byId.get(id);
    if (later === held) {
      if (held.earlier) this.byId.set(id, held.earlier);
      else this.byId.delete(id);
      return;
    }
    while (later && later.earlier !== held) later = later.earlier;
    if (later) later.earlier = held.earlier;
  }
}

/**
 * The last `capacity` publications of one channel, at most `maxAgeMs` old, oldest first: references
 * into the hub's history. `evictedSeq` remembers the newest seq that fell out, so a resume can tell
 * "nothing missed" from "missed messages are gone" (then it reads them back from Kafka:
 * history/kafka_resume.ts).
 */
export class ChannelWindow {
  /** Grows to `capacity` as publications arrive (a quiet channel costs little), then wraps. */
  private ring: HeldPublication[] = [];
  /**
   * Arrival time of each, by ring slot (for the age bound): unboxed in a number array, where a
   * Date.now() in the shared entry would be a heap number of its own (16 more bytes per publication).
   */
  private arrivals: number[] = [];
  private start = 0;
  private size = 0;
  private evicted: number;
  private readonly capacity: number;

  constructor(
    private readonly history: HubHistory,
    evictedSeq: number,
  ) {
    this.capacity = history.capacity;
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
    return this.get(id) !== undefined;
  }

  /** The publication with this id while this window holds it. */
  get(id: string): Publication | undefined {
    for (let held = this.history.find(id); held; held = held.earlier) if (this.holds(held)) return held.pub;
    return undefined;
  }

  /** A binary search by seq: appends come in seq order. */
  private holds(held: HeldPublication): boolean {
    const seq = held.pub.seq;
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const candidate = this.ring[(this.start + mid) % this.capacity]!;
      if (candidate === held) return true;
      if (candidate.pub.seq < seq) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }

  /** The newest publication `accept` takes (the newest of all without it). */
  newest(accept?: (pub: Publication) => boolean): Publication | undefined {
    for (let i = this.size - 1; i >= 0; i--) {
      const pub = this.ring[(this.start + i) % this.capacity]!.pub;
      if (!accept || accept(pub)) return pub;
    }
    return undefined;
  }

  /** `now`: the caller's clock reading, when it appends one publication to several windows. */
  append(held: HeldPublication, now = this.history.now()): void {
    if (this.capacity === 0) {
      this.evicted = held.pub.seq;
      return;
    }
    this.expire(now);
    if (this.size === this.capacity) this.evict();
    const slot = (this.start + this.size) % this.capacity;
    // Until the ring first fills, start is 0 and the next slot is the end of the array.
    if (slot === this.ring.length) {
      this.ring.push(held);
      this.arrivals.push(now);
    } else {
      this.ring[slot] = held;
      this.arrivals[slot] = now;
    }
    this.size++;
    this.history.enter(held);
  }

  /** Drops the publications older than maxAgeMs (at append, and before a resume reads the window). */
  expire(now = this.history.now()): void {
    const oldest = now - this.history.maxAgeMs;
    while (this.size > 0 && this.arrivals[this.start]! < oldest) this.evict();
  }

  /** Publications with seq > `seq`, oldest first. */
  after(seq: number): Publication[] {
    const out: Publication[] = [];
    for (let i = 0; i < this.size; i++) {
      const pub = this.ring[(this.start + i) % this.capacity]!.pub;
      if (pub.seq > seq) out.push(pub);
    }
    return out;
  }

  /** Lets go of everything it holds: the hub forgets the channel (its evictedSeq is kept by the hub). */
  release(): void {
    while (this.size > 0) this.evict();
    this.ring = [];
    this.arrivals = [];
    this.start = 0;
  }

  private evict(): void {
    const held = this.ring[this.start]!;
    this.history.leave(held);
    this.evicted = held.pub.seq;
    this.start = (this.start + 1) % this.capacity;
    this.size--;
  }
}
