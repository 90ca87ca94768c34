import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbPublishedIds } from './published_ids_db';
import { MemoryPublishedIds } from './published_ids_memory';
import { mapIterationsDuring } from '../testing/map_iterations.testkit';

const HOUR = 3_600_000;

/** The store as it was until session 17, one insertion-ordered Map, iterated from its start to forget: the oracle. */
class MapModel {
  private readonly claimedAt = new Map<string, number>();
  constructor(
    private readonly retentionMs: number,
    private readonly max: number,
  ) {}
  claim(ids: readonly string[], now: number): string[] {
    for (const [id, at] of this.claimedAt) {
      if (at >= now - this.retentionMs) break;
      this.claimedAt.delete(id);
    }
    const known = ids.filter((id) => this.claimedAt.has(id));
    if (known.length > 0) return known;
    for (const id of ids) this.claimedAt.set(id, now);
    for (const id of this.claimedAt.keys()) {
      if (this.claimedAt.size <= this.max) break;
      this.claimedAt.delete(id);
    }
    return [];
  }
  release(ids: readonly string[]): void {
    for (const id of ids) this.claimedAt.delete(id);
  }
}

describe('MemoryPublishedIds (the in-memory bus)', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-published-ids-memory-'));
    db = await openDatabase({ service: 'gateway', dataDir: dir });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every claim, confirmation and release as the database store does, within the retention and the bound (fast-check, seeded)', async () => {
    const stored = await DbPublishedIds.open(db);
    let run = 0;
    const letter = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
    const step = fc.oneof(
      fc.record({ op: fc.constant('claim' as const), ids: fc.array(letter, { minLength: 1, maxLength: 4 }) }),
      fc.record({ op: fc.constant('release' as const), ids: fc.array(letter, { maxLength: 3 }) }),
      fc.record({ op: fc.constant('confirm' as const), ids: fc.array(letter, { maxLength: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
        run++;
        const at = (id: string) => `memory${run}/${id}`;
        const memory = new MemoryPublishedIds();
        for (const s of steps) {
          const ids = s.ids.map(at);
          if (s.op !== 'claim') {
            await Promise.all([stored[s.op](ids), memory[s.op](ids)]);
            continue;
          }
          const known = await stored.claim(ids);
          expect(await memory.claim(ids)).toEqual(known);
          // Refused ids still unfinished (claimed, neither confirmed nor released) are the same in both.
          const unfinished = async (store: DbPublishedIds | MemoryPublishedIds) =>
            [...new Set((await store.unfinished(known)).map((u) => u.id))].sort();
          expect(await unfinished(memory)).toEqual(await unfinished(stored));
        }
      }),
      { seed: 19, numRuns: 80 },
    );
  }, 60_000);

  it('refuses an id whose publish is in flight as unfinished, and as published once it is confirmed', async () => {
    const ids = new MemoryPublishedIds();
    expect(await ids.claim(['a', 'b'])).toEqual([]);
    expect(await ids.claim(['a'])).toEqual(['a']);
    expect(await ids.unfinished(['a'])).toEqual([{ id: 'a', retryAfterSeconds: 1 }]);
    await ids.confirm(['a', 'b']);
    expect(await ids.claim(['b'])).toEqual(['b']);
    expect(await ids.unfinished(['a', 'b'])).toEqual([]);
  });

  it('forgets an id once the retention has passed, not before', async () => {
    let now = Date.UTC(2026, 11, 6);
    const ids = new MemoryPublishedIds(2, 1_000, () => now);
    expect(await ids.claim(['old'])).toEqual([]);
    now += HOUR;
    expect(await ids.claim(['newer'])).toEqual([]);
    now += HOUR;
    // Exactly the retention after it: still known (as the database store, which forgets what is older).
    expect(await ids.claim(['old'])).toEqual(['old']);
    now += 1;
    expect(await ids.claim(['old'])).toEqual([]);
    expect(await ids.claim(['newer'])).toEqual(['newer']);
  });

  it('keeps at most its bound, forgetting the oldest first', async () => {
    const ids = new MemoryPublishedIds(168, 3, () => 0);
    expect(await ids.claim(['a', 'b'])).toEqual([]);
    expect(await ids.claim(['c', 'd'])).toEqual([]);
    expect(await ids.claim(['a'])).toEqual([]);
    expect(await ids.claim(['c', 'd', 'a'])).toEqual(['c', 'd', 'a']);
    expect(await ids.claim(['b'])).toEqual([]);
  });

  it('answers as one insertion-ordered Map would, over long runs past the bound, the retention and its compactions (fast-check, seeded)', async () => {
    const step = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({ op: fc.constant('claim' as const), ids: fc.array(fc.nat(400), { minLength: 1, maxLength: 3 }) }),
      },
      { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), ids: fc.array(fc.nat(400), { maxLength: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.nat(HOUR) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2000, maxLength: 4000 }), fc.integer({ min: 1, max: 300 }), async (steps, max) => {
        let now = 0;
        const memory = new MemoryPublishedIds(2, max, () => now);
        const model = new MapModel(2 * HOUR, max);
        for (const s of steps) {
          if (s.op === 'wait') now += s.ms;
          else {
            const ids = [...new Set(s.ids.map((i) => `id${i}`))];
            if (s.op === 'release') {
              await memory.release(ids);
              model.release(ids);
            } else expect(await memory.claim(ids)).toEqual(model.claim(ids, now));
          }
        }
      }),
      { seed: 17, numRuns: 25 },
    );
  });

  it('forgets from the front without iterating its Map: a claim at the bound costs what one below it does', async () => {
    const ids = new MemoryPublishedIds(168, 1_000, () => 0);
    for (let i = 0; i < 5_000; i++) await ids.claim([`id${i}`]);
    let answers: Promise<string[]>[] = [];
    // A claim does its work before it returns its (settled) promise.
    const iterations = mapIterationsDuring(() => (answers = [ids.claim(['id4999', 'new']), ids.claim(['new'])]));
    expect(await Promise.all(answers)).toEqual([['id4999'], []]);
    // Until session 17 every claim iterated the Map from its start, past every id deleted since V8 last rebuilt it.
    expect(iterations).toBe(0);
  });
});
