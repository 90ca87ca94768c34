/**
 * At most `limit` items, newest first. A live feed keeps only what it can show: holding every item
 * that ever arrived grows a page left open without bound, and re-sorting all of them on each arrival
 * costs more with every item. Adding is one pass over at most `limit` items.
 */
export class NewestFirst<T extends { id: string }> {
  private items: T[] = [];

  constructor(
    private readonly limit: number,
    private readonly timeOf: (item: T) => string | null | undefined,
  ) {}

  /** Newest first; items with the same time in the order they arrived. */
  values(): readonly T[] {
    return this.items;
  }

  has(id: string): boolean {
    return this.items.some((i) => i.id === id);
  }

  clear(): void {
    this.items = [];
  }

  /**
   * Adds `item`, or replaces the one with its id. False when it is not kept: the list is full and
   * it is older than everything in it (an item that arrives late, or one pushed out meanwhile).
   */
  put(item: T): boolean {
    const rest = this.items.filter((i) => i.id !== item.id);
    const t = this.ms(item);
    let at = rest.findIndex((i) => this.ms(i) < t);
    if (at === -1) at = rest.length;
    if (at >= this.limit) return false;
    rest.splice(at, 0, item);
    if (rest.length > this.limit) rest.length = this.limit;
    this.items = rest;
    return true;
  }

  /** Compared as instants: ISO strings of different fractional precision do not order as text. No time: oldest. */
  private ms(item: T): number {
    const t = Date.parse(this.timeOf(item) ?? '');
    return Number.isNaN(t) ? -Infinity : t;
  }
}
