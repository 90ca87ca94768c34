import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderedMap } from './ordered_map';

/** The oracle: a Map whose `set` moves the key to the back, and whose oldest key is its first. */
class MapModel {
  readonly map = new Map<number, number>();
  set(key: number, value: number): void {
    this.map.delete(key);
    this.map.set(key, value);
  }
  oldestKey(): number | undefined {
    for (const key of this.map.keys()) return key;
    return undefined;
  }
}

const placesOf = (m: OrderedMap<number, number>) => (m as unknown as { order: unknown[]; front: number }).order.length;

describe('OrderedMap', () => {
  it('answers as a Map re-inserting on set, over long runs of sets, deletes and evictions (fast-check, seeded)', () => {
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.constant('set' as const), fc.nat(300), fc.integer()) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('delete' as const), fc.nat(300), fc.constant(0)) },
      { weight: 3, arbitrary: fc.tuple(fc.constant('evict' as const), fc.constant(0), fc.constant(0)) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1_000, maxLength: 5_000 }), (ops) => {
        const ordered = new OrderedMap<number, number>();
        const model = new MapModel();
        for (const [kind, key, value] of ops) {
          if (kind === 'set') {
            ordered.set(key, value);
            model.set(key, value);
          } else if (kind === 'delete') {
            expect(ordered.delete(key)).toBe(model.map.delete(key));
          } else {
            const oldest = model.oldestKey();
            expect(ordered.oldestKey()).toBe(oldest);
            if (oldest !== undefined) expect(ordered.delete(oldest)).toBe(model.map.delete(oldest));
          }
          expect(ordered.size).toBe(model.map.size);
          expect(ordered.get(key)).toBe(model.map.get(key));
          expect(ordered.has(key)).toBe(model.map.has(key));
        }
        expect(ordered.oldestKey()).toBe(model.oldestKey());
      }),
      { seed: 17, numRuns: 40 },
    );
  });

  it('keeps its order no longer than about twice what it holds, whether keys are deleted, set again or evicted', () => {
    const churned = new OrderedMap<number, number>();
    for (let i = 0; i < 20_000; i++) {
      churned.set(i, i);
      churned.delete(i);
    }
    churned.set(-1, 0);
    for (let i = 0; i < 20_000; i++) churned.set(i % 10, i);
    expect(placesOf(churned)).toBeLessThan(2 * 11 + 1_100);

    const bounded = new OrderedMap<number, number>();
    for (let i = 0; i < 50_000; i++) {
      bounded.set(i, i);
      if (bounded.size > 1_000) bounded.delete(bounded.oldestKey()!);
    }
    expect(bounded.oldestKey()).toBe(49_000);
    expect(placesOf(bounded)).toBeLessThan(3 * 1_000 + 1_100);
  });
});
