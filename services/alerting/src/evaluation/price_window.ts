import { TimePriceTree } from './time_price_tree';

export interface PriceRange {
  readonly min: number;
  readonly max: number;
}

/** The fewest prices room is kept for: one block of the tree. */
const MIN_CAPACITY = 32;

/**
 * Recent prices of one symbol, kept long enough to answer "how far has the price moved within the
 * last N seconds" for the longest window any rule asks about.
 *
 * A tick used to cost every kept price (a scan per rule and a copy of the whole history), so one
 * rule with a 24 h window slowed every tick of its symbol for every user. Prices are now kept in
 * arrival order in a ring that grows and shrinks by doubling, and answered from a tree over its
 * blocks (`time_price_tree.ts`): a tick costs O(log n) in the prices kept, and each distinct window
 * is answered once per tick however many rules ask for it.
 *
 * What is kept, and what a window holds, is what the scan kept and found: a price leaves only from
 * the old end of the arrival order, once it is older than the newest tick's time minus `keepMs`, and
 * a late tick (timed before one already kept) is kept and counted in every window that covers its time.
 */
export class PriceWindow {
  private at = new Float64Array(MIN_CAPACITY);
  private price = new Float64Array(MIN_CAPACITY);
  /** Slot of the oldest kept price; the kept prices follow it around the ring. */
  private start = 0;
  private count = 0;
  private tree = new TimePriceTree(this.at, this.price);
  /** Windows already answered since the last tick, for the time they were asked at. */
  private readonly answered = new Map<number, PriceRange | undefined>();
  private answeredAt = NaN;

  add(at: number, price: number, keepMs: number): void {
    this.answered.clear();
    this.answeredAt = NaN;
    if (this.count === this.at.length) this.resize(this.at.length * 2);
    const mask = this.at.length - 1;
    const slot = (this.start + this.count) & mask;
    this.at[slot] = at;
    this.price[slot] = price;
    this.count++;
    this.tree.include(slot);

    const cutoff = at - keepMs;
    const first = this.start;
    let dropped = 0;
    while (this.count > 1 && this.at[this.start] < cutoff) {
      this.start = (this.start + 1) & mask;
      this.count--;
      dropped++;
    }
    if (dropped === 0) return;
    let capacity = this.at.length;
    while (capacity > MIN_CAPACITY && this.count * 4 <= capacity) capacity /= 2;
    if (capacity < this.at.length) this.resize(capacity);
    else this.tree.forget(first, dropped, this.start, this.count);
  }

  /** Lowest and highest price seen in [now - windowMs, now]. */
  range(now: number, windowMs: number): PriceRange | undefined {
    if (now !== this.answeredAt) {
      this.answered.clear();
      this.answeredAt = now;
    }
    if (this.answered.has(windowMs)) return this.answered.get(windowMs);
    const found = this.tree.range(now - windowMs, now, this.start, this.count);
    this.answered.set(windowMs, found);
    return found;
  }

  private resize(capacity: number): void {
    const at = new Float64Array(capacity);
    const price = new Float64Array(capacity);
    const mask = this.at.length - 1;
    for (let i = 0; i < this.count; i++) {
      at[i] = this.at[(this.start + i) & mask];
      price[i] = this.price[(this.start + i) & mask];
    }
    this.at = at;
    this.price = price;
    this.start = 0;
    this.tree = new TimePriceTree(at, price);
    this.tree.rebuild(0, this.count);
  }
}
