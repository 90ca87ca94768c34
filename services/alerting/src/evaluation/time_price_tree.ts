/** Prices per block: a block a window's edge cuts through is read price by price. */
const BLOCK = 32;
const BLOCK_BITS = 5;

/**
 * Lowest and highest price among kept prices timed within [lo, hi], over a ring of prices kept in
 * arrival order (`at[slot]`, `price[slot]`; the kept ones are `count` slots from `start`).
 *
 * A binary tree over the ring's blocks holds each subtree's earliest and latest time and lowest and
 * highest price. A query takes a subtree timed wholly inside its window at once, skips one wholly
 * outside it and descends only where an edge of the window falls, so with ticks in order it reads
 * O(log n) nodes and at most two blocks. A late tick widens the time span of its block, which makes
 * a query descend there too while an edge is near its time; at worst (a feed wholly out of order)
 * a query reads every block, as the scan this replaced always did.
 * Memory: four numbers per block and per inner node, 2 bytes a slot beside the ring's 16.
 */
export class TimePriceTree {
  private readonly blocks: number;
  private readonly minAt: Float64Array;
  private readonly maxAt: Float64Array;
  private readonly minPrice: Float64Array;
  private readonly maxPrice: Float64Array;
  private lo = 0;
  private hi = 0;
  private low = Infinity;
  private high = -Infinity;

  /** The ring's arrays: their length a power of two of at least one block. */
  constructor(
    private readonly at: Float64Array,
    private readonly price: Float64Array,
  ) {
    this.blocks = Math.max(1, at.length >> BLOCK_BITS);
    // Node 1 is the root, node i's children are 2i and 2i + 1, block b is node blocks + b.
    this.minAt = new Float64Array(2 * this.blocks).fill(Infinity);
    this.maxAt = new Float64Array(2 * this.blocks).fill(-Infinity);
    this.minPrice = new Float64Array(2 * this.blocks).fill(Infinity);
    this.maxPrice = new Float64Array(2 * this.blocks).fill(-Infinity);
  }

  /** A price just written at `slot`. */
  include(slot: number): void {
    const at = this.at[slot];
    const price = this.price[slot];
    for (let node = this.blocks + (slot >> BLOCK_BITS); node >= 1; node >>= 1) {
      // What a subtree already spans, its ancestors span too.
      if (at >= this.minAt[node] && at <= this.maxAt[node] && price >= this.minPrice[node] && price <= this.maxPrice[node]) return;
      if (at < this.minAt[node]) this.minAt[node] = at;
      if (at > this.maxAt[node]) this.maxAt[node] = at;
      if (price < this.minPrice[node]) this.minPrice[node] = price;
      if (price > this.maxPrice[node]) this.maxPrice[node] = price;
    }
  }

  /** `dropped` prices from slot `first` on are no longer kept; the kept ones now start at `start`. */
  forget(first: number, dropped: number, start: number, count: number): void {
    const spanned = Math.min(this.blocks, Math.floor(((first & (BLOCK - 1)) + dropped - 1) / BLOCK) + 1);
    for (let i = 0, b = first >> BLOCK_BITS; i < spanned; i++, b = (b + 1) % this.blocks) this.refresh(b, start, count);
  }

  /** Every block anew, after the ring was laid out again. */
  rebuild(start: number, count: number): void {
    for (let b = 0; b < this.blocks; b++) this.summarise(b, start, count);
    for (let node = this.blocks - 1; node >= 1; node--) this.join(node);
  }

  range(lo: number, hi: number, start: number, count: number): { min: number; max: number } | undefined {
    this.lo = lo;
    this.hi = hi;
    this.low = Infinity;
    this.high = -Infinity;
    this.visit(1, start, count);
    return this.low === Infinity ? undefined : { min: this.low, max: this.high };
  }

  private visit(node: number, start: number, count: number): void {
    const { lo, hi } = this;
    if (this.maxAt[node] < lo || this.minAt[node] > hi) return;
    if (this.minPrice[node] >= this.low && this.maxPrice[node] <= this.high) return;
    if (this.minAt[node] >= lo && this.maxAt[node] <= hi) {
      if (this.minPrice[node] < this.low) this.low = this.minPrice[node];
      if (this.maxPrice[node] > this.high) this.high = this.maxPrice[node];
      return;
    }
    if (node < this.blocks) {
      this.visit(2 * node, start, count);
      this.visit(2 * node + 1, start, count);
      return;
    }
    const mask = this.at.length - 1;
    const first = (node - this.blocks) << BLOCK_BITS;
    for (let slot = first; slot < first + BLOCK; slot++) {
      if (((slot - start) & mask) >= count) continue;
      const at = this.at[slot];
      if (at < lo || at > hi) continue;
      const price = this.price[slot];
      if (price < this.low) this.low = price;
      if (price > this.high) this.high = price;
    }
  }

  private refresh(block: number, start: number, count: number): void {
    this.summarise(block, start, count);
    for (let node = (this.blocks + block) >> 1; node >= 1; node >>= 1) this.join(node);
  }

  /** A block's figures from its kept prices. */
  private summarise(block: number, start: number, count: number): void {
    const mask = this.at.length - 1;
    let minAt = Infinity;
    let maxAt = -Infinity;
    let minPrice = Infinity;
    let maxPrice = -Infinity;
    const first = block << BLOCK_BITS;
    for (let slot = first; slot < first + BLOCK; slot++) {
      if (((slot - start) & mask) >= count) continue;
      const at = this.at[slot];
      const price = this.price[slot];
      if (at < minAt) minAt = at;
      if (at > maxAt) maxAt = at;
      if (price < minPrice) minPrice = price;
      if (price > maxPrice) maxPrice = price;
    }
    const node = this.blocks + block;
    this.minAt[node] = minAt;
    this.maxAt[node] = maxAt;
    this.minPrice[node] = minPrice;
    this.maxPrice[node] = maxPrice;
  }

  private join(node: number): void {
    const l = 2 * node;
    const r = l + 1;
    this.minAt[node] = Math.min(this.minAt[l], this.minAt[r]);
    this.maxAt[node] = Math.max(this.maxAt[l], this.maxAt[r]);
    this.minPrice[node] = Math.min(this.minPrice[l], this.minPrice[r]);
    this.maxPrice[node] = Math.max(this.maxPrice[l], this.maxPrice[r]);
  }
}
