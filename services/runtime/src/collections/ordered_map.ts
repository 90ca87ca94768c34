/**
 * A Map that also knows its oldest key in O(1) amortized, however many keys were deleted: for
 * bounded caches that forget their oldest entry to make room. A plain Map cannot: V8 leaves a
 * deleted entry's slot in its table until the table is rebuilt, and `keys().next()` or `for … of`
 * starts at the first slot. A cache deleting its oldest entry on every insert therefore walked past
 * every entry deleted since the last rebuild, tens of thousands at a 100,000-entry bound (the
 * rate limiter's new clients 0.6 → 8 → 47 µs each, the publish API's id claims 2 → 217 µs;
 * bench/fanout/README.md "Session 17"). Here the order lives in an array read from a moving front;
 * a key set again moves to the back (its earlier place goes stale and is skipped), and the array is
 * compacted once stale places outnumber the keys held, or the consumed front its live part.
 */
export class OrderedMap<K, V> {
  private readonly values = new Map<K, V>();
  /** Each key's place in `order`; any other place holding the key is stale. */
  private readonly places = new Map<K, number>();
  private order: K[] = [];
  private front = 0;

  get size(): number {
    return this.values.size;
  }

  get(key: K): V | undefined {
    return this.values.get(key);
  }

  has(key: K): boolean {
    return this.values.has(key);
  }

  /** Sets `key` as the newest entry: a key already held moves behind every other. */
  set(key: K, value: V): this {
    this.values.set(key, value);
    this.places.set(key, this.order.length);
    this.order.push(key);
    this.compact();
    return this;
  }

  delete(key: K): boolean {
    if (!this.values.delete(key)) return false;
    this.places.delete(key);
    this.compact();
    return true;
  }

  /** The key set longest ago (and not set again since), or undefined when empty. */
  oldestKey(): K | undefined {
    while (this.front < this.order.length) {
      const key = this.order[this.front]!;
      if (this.places.get(key) === this.front) return key;
      this.front++;
    }
    return undefined;
  }

  /** Amortized O(1): a rebuild copies at most the live keys, and only after as many stale places. */
  private compact(): void {
    const places = this.order.length - this.front;
    const stale = places - this.values.size;
    if (stale <= this.values.size + 1024 && (this.front <= 1024 || this.front * 2 <= this.order.length)) return;
    const order: K[] = [];
    for (let i = this.front; i < this.order.length; i++) {
      const key = this.order[i]!;
      if (this.places.get(key) !== i) continue;
      this.places.set(key, order.length);
      order.push(key);
    }
    this.order = order;
    this.front = 0;
  }
}
