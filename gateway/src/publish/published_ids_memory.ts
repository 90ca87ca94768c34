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
  /** Id → when it was claimed (epoch ms); a Map iterates in insertion order, so the oldest comes first. */
  private readonly claimedAt = new Map<string, number>();
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
    this.forgetOlderThan(now - this.retentionMs);
    const known = ids.filter((id) => this.claimedAt.has(id));
    if (known.length === 0) {
      for (const id of ids) this.claimedAt.set(id, now);
      for (const id of this.claimedAt.keys()) {
        if (this.claimedAt.size <= this.max) break;
        this.claimedAt.delete(id);
      }
    }
    return Promise.resolve(known);
  }

  release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.claimedAt.delete(id);
    return Promise.resolve();
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [id, at] of this.claimedAt) {
      if (at >= cutoff) return;
      this.claimedAt.delete(id);
    }
  }
}
