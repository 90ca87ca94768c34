import { DEFAULT_PUBLISH_ID_RETENTION_HOURS, type PublishedIds } from './published_ids';

/** PUBLISH_ID_MEMORY_MAX's default: at ~120 bytes an id, at most ~60 MB; five minutes of ids at 1,600 events/s. */
export const DEFAULT_PUBLISH_ID_MEMORY_MAX = 500_000;

/**
 * Published ids in this process's memory, for the in-memory bus: one gateway process takes every
 * publish and its events end with it, so its ids need be neither shared nor durable. Kept for the
 * retention or until `max` newer ids came, whichever is first (the oldest forgotten first); the
 * answers are otherwise those of the database's store, claim by claim.
 */
export class MemoryPublishedIds implements PublishedIds {
  /** Id → the number of the claim that holds it (a released id claimed again holds a newer one). */
  private readonly claims = new Map<string, number>();
  /**
   * Every claim oldest first (its id, number and time), forgotten from the front. Iterating the Map
   * from its start instead passed every entry deleted since V8 last rebuilt its table: at the bound,
   * a claim of one id took 15 µs, then 226 µs as deletions piled up, against 2 µs below the bound.
   * Entries of released ids stay until they reach the front (or a compaction), and are skipped there.
   */
  private ids: string[] = [];
  private numbers: number[] = [];
  private times: number[] = [];
  private head = 0;
  private nextNumber = 0;
  private readonly retentionMs: number;

  constructor(
    retentionHours = DEFAULT_PUBLISH_ID_RETENTION_HOURS,
    private readonly max = DEFAULT_PUBLISH_ID_MEMORY_MAX,
    private readonly now: () => number = Date.now,
  ) {
    this.retentionMs = retentionHours * 3_600_000;
  }

  claim(ids: readonly string[]): Promise<string[]> {
    const now = this.now();
    const cutoff = now - this.retentionMs;
    while (this.head < this.ids.length && this.times[this.head]! < cutoff) this.forgetFront();
    const known = ids.filter((id) => this.claims.has(id));
    if (known.length === 0) {
      for (const id of ids) {
        const number = this.nextNumber++;
        this.claims.set(id, number);
        this.ids.push(id);
        this.numbers.push(number);
        this.times.push(now);
      }
      while (this.claims.size > this.max) this.forgetFront();
      this.compact();
    }
    return Promise.resolve(known);
  }

  release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.claims.delete(id);
    return Promise.resolve();
  }

  /** Forgets the oldest claim, if its id still holds it. */
  private forgetFront(): void {
    const id = this.ids[this.head]!;
    if (this.claims.get(id) === this.numbers[this.head]) this.claims.delete(id);
    this.head++;
  }

  /** Drops forgotten entries from the front, and released ones once they outnumber the held ids: amortized O(1) per claim. */
  private compact(): void {
    const dropReleased = this.ids.length - this.head > 2 * this.claims.size + 1024;
    if (!dropReleased && (this.head <= 1024 || this.head * 2 <= this.ids.length)) return;
    const held = this.ids.map((id, i) => i >= this.head && (!dropReleased || this.claims.get(id) === this.numbers[i]));
    this.ids = this.ids.filter((_, i) => held[i]);
    this.numbers = this.numbers.filter((_, i) => held[i]);
    this.times = this.times.filter((_, i) => held[i]);
    this.head = 0;
  }
}
