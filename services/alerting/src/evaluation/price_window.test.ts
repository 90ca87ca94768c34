import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PriceWindow } from './price_window';

/** The window as it was: every kept price scanned per query, the array copied when the old end moves. */
class ReferenceWindow {
  private points: { at: number; price: number }[] = [];

  add(at: number, price: number, keepMs: number): void {
    this.points.push({ at, price });
    const cutoff = at - keepMs;
    let drop = 0;
    while (drop < this.points.length - 1 && this.points[drop].at < cutoff) drop++;
    if (drop > 0) this.points = this.points.slice(drop);
  }

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

const T0 = Date.parse('2026-12-07T00:00:00Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('PriceWindow', () => {
  // Steps are mostly forward; some go back (a late tick) or stay (two ticks at one time). The kept
  // span changes in runs, as it does when rules come and go, so the ring grows past several blocks
  // and shrinks again.
  const step = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 1_500 }) },
    { weight: 2, arbitrary: fc.integer({ min: -6_000, max: -1 }) },
  );
  const tick = fc.record({ step, price: fc.integer({ min: 95, max: 105 }) });
  const run = fc.record({
    keepMs: fc.constantFrom(500, 5_000, 60_000, 600_000, HOUR_MS),
    ticks: fc.array(tick, { maxLength: 160 }),
  });
  const windowsMs = fc.uniqueArray(fc.constantFrom(1, 1_000, 5_000, 30_000, 60_000, 300_000, HOUR_MS, 7 * DAY_MS), {
    minLength: 1,
    maxLength: 4,
  });
  // Besides the newest tick's time (how the evaluator asks), a little before and after it.
  const askedAt = fc.constantFrom(0, 0, 0, -2_500, 800);

  it('answers every window exactly as scanning every kept price did, in and out of order', () => {
    fc.assert(
      fc.property(fc.array(run, { maxLength: 6 }), windowsMs, askedAt, (runs, windows, offset) => {
        const window = new PriceWindow();
        const reference = new ReferenceWindow();
        let at = T0;
        for (const { keepMs, ticks } of runs) {
          for (const t of ticks) {
            at += t.step;
            window.add(at, t.price, keepMs);
            reference.add(at, t.price, keepMs);
            for (const w of windows) {
              expect(window.range(at, w)).toEqual(reference.range(at, w));
              expect(window.range(at + offset, w)).toEqual(reference.range(at + offset, w));
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps and answers a day of ticks, a late one among them, as the scan did', () => {
    const window = new PriceWindow();
    const reference = new ReferenceWindow();
    for (let k = 0; k < 3_000; k++) {
      // Every 37th tick is timed 50 s back, as a feed that delivers out of order does.
      const at = T0 + k * 30_000 - (k % 37 === 0 ? 50_000 : 0);
      const price = 100 + 5 * Math.sin(k / 40);
      window.add(at, price, DAY_MS);
      reference.add(at, price, DAY_MS);
      for (const w of [60_000, HOUR_MS, DAY_MS]) expect(window.range(at, w)).toEqual(reference.range(at, w));
    }
  });

  it('does not read the kept history on a tick: a tick costs as much after 8 h as after 1 h', () => {
    // The kept prices' times count each read of them, as a walk over the history (what made a
    // 24 h window cost 91 ms a tick at 2 ticks/s) would read each; the ticking one is a plain number.
    let reads = 0;
    let counting = false;
    const counted = (ms: number) =>
      ({
        valueOf: () => {
          if (counting) reads++;
          return ms;
        },
      }) as unknown as number;
    const readsOfOneTick = (hours: number) => {
      const window = new PriceWindow();
      const ticks = hours * 3600 * 2;
      for (let k = 0; k < ticks; k++) window.add(counted(T0 + k * 500), 100 + Math.sin(k / 1000), DAY_MS);
      reads = 0;
      counting = true;
      const now = T0 + ticks * 500;
      window.add(now, 100, DAY_MS);
      for (const w of [60_000, DAY_MS]) window.range(now, w);
      counting = false;
      return reads;
    };
    const afterOneHour = readsOfOneTick(1);
    const afterEightHours = readsOfOneTick(8);
    expect(afterEightHours).toBe(afterOneHour);
    expect(afterEightHours).toBeLessThanOrEqual(2);
  });
});
