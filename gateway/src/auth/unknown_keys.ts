import { OrderedMap } from '@marketpulse/runtime';

/**
 * API keys recently found unknown (or revoked, or expired), remembered for `ttlMs` so that a client
 * repeating a bad key costs no database look-up. Keys are random and only ever made by the gateway,
 * so one that was unknown stays unknown; a key revoked since stays refused anyway. Bounded: the
 * oldest entries make room first.
 */
export class UnknownKeys {
  private readonly until = new OrderedMap<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  add(key: string): void {
    if (this.ttlMs <= 0) return;
    if (!this.until.has(key) && this.until.size >= this.maxEntries) this.until.delete(this.until.oldestKey()!);
    this.until.set(key, this.now() + this.ttlMs);
  }
}
