import type { Relay } from './messages';

/**
 * The primary's copy of the newest publications on the in-memory bus (at most `maxEvents` events,
 * none older than `maxAgeMs`: what a worker's history could still hold), handed to a worker forked
 * to replace a dead one so its history is not empty: a client of the dead worker that resumes on it
 * with `?since=` finds its id.
 */
export class RecentPublications {
  private readonly batches: { at: number; relay: Relay }[] = [];
  private events = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(relay: Relay): void {
    if (this.maxEvents === 0) return;
    this.batches.push({ at: this.now(), relay });
    this.events += relay.events.length;
    this.trim();
  }

  /** The batches kept, oldest first. */
  snapshot(): Relay[] {
    this.trim();
    return this.batches.map((b) => b.relay);
  }

  private trim(): void {
    const oldest = this.now() - this.maxAgeMs;
    while (this.batches.length > 0 && (this.events > this.maxEvents || this.batches[0]!.at < oldest)) {
      this.events -= this.batches.shift()!.relay.events.length;
    }
  }
}
