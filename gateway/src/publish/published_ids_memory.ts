import { OrderedMap } from '@marketpulse/runtime';
import { DEFAULT_PUBLISH_ID_RETENTION_HOURS, type PublishedIds, type UnfinishedClaim } from './published_ids';

/** PUBLISH_ID_MEMORY_MAX's default: at ~120 bytes an id, at most ~60 MB; five minutes of ids at 1,600 events/s. */
export const DEFAULT_PUBLISH_ID_MEMORY_MAX = 500_000;

/**
 * Published ids in this process's memory, for the in-memory bus: one gateway process takes every
 * publish and its events end with it, so its ids need be neither shared nor durable. Kept for the
 * retention or until `max` newer ids came, whichever is first (the oldest forgotten first); the
 * answers are otherwise those of the database's store, claim by claim.
 */
export class MemoryPublishedIds implements PublishedIds {
  /** Id → when it was claimed (epoch ms), oldest first (OrderedMap: forgetting the oldest does not scan a Map). */
  private readonly claimedAt = new OrderedMap<string, number>();
  /**
   * Claimed ids whose publish has not been confirmed: a publish in flight, since a publish that can
   * no longer finish is one whose process ended, and these ids with it. Never taken over.
   */
  private readonly inFlight = new Set<string>();
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
    for (
      let oldest = this.claimedAt.oldestKey();
      oldest !== undefined && this.claimedAt.get(oldest)! < cutoff;
      oldest = this.claimedAt.oldestKey()
    ) {
      this.forget(oldest);
    }
    const known = ids.filter((id) => this.claimedAt.has(id));
    if (known.length === 0) {
      for (const id of ids) {
        this.claimedAt.set(id, now);
        this.inFlight.add(id);
      }
      while (this.claimedAt.size > this.max) this.forget(this.claimedAt.oldestKey()!);
    }
    return Promise.resolve(known);
  }

  confirm(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.inFlight.delete(id);
    return Promise.resolve();
  }

  release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.forget(id);
    return Promise.resolve();
  }

  private forget(id: string): void {
    this.claimedAt.delete(id);
    this.inFlight.delete(id);
  }

  unfinished(ids: readonly string[]): Promise<UnfinishedClaim[]> {
    return Promise.resolve(ids.filter((id) => this.inFlight.has(id)).map((id) => ({ id, retryAfterSeconds: 1 })));
  }
}
