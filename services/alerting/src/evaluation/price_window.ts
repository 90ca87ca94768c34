/**
 * Recent prices of one symbol, kept long enough to answer "how far has the price moved within the
 * last N seconds" for the longest window any rule asks about.
 */
export class PriceWindow {
  private points: { at: number; price: number }[] = [];

  add(at: number, price: number, keepMs: number): void {
    this.points.push({ at, price });
    const cutoff = at - keepMs;
    let drop = 0;
    while (drop < this.points.length - 1 && this.points[drop].at < cutoff) drop++;
    if (drop > 0) this.points = this.points.slice(drop);
  }

  /** Lowest and highest price seen in [now - windowMs, now]. */
  range(now: number, windowMs: number): { min: number; max: number } | undefined {
    let min = Infinity;
    let max = -Infinity;
    for (const p of this.points) {
      if (p.at < now - windowMs || p.at > now) continue;
      if (p.price < min) min = p.price;
      if (p.price > max) max = p.price;
    }
    return min === Infinity ? undefined : { min, max };
  }
}
