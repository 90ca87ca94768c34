import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbPublishedIds } from './published_ids_db';
import { MemoryPublishedIds } from './published_ids_memory';

const HOUR = 3_600_000;

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

  it('answers every claim and release as the database store does, within the retention and the bound (fast-check, seeded)', async () => {
    const stored = await DbPublishedIds.open(db);
    let run = 0;
    const letter = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
    const step = fc.oneof(
      fc.record({ op: fc.constant('claim' as const), ids: fc.array(letter, { minLength: 1, maxLength: 4 }) }),
      fc.record({ op: fc.constant('release' as const), ids: fc.array(letter, { maxLength: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
        run++;
        const at = (id: string) => `memory${run}/${id}`;
        const memory = new MemoryPublishedIds();
        for (const s of steps) {
          const ids = s.ids.map(at);
          if (s.op === 'release') {
            await Promise.all([stored.release(ids), memory.release(ids)]);
            continue;
          }
          expect(await memory.claim(ids)).toEqual(await stored.claim(ids));
        }
      }),
      { seed: 19, numRuns: 80 },
    );
  }, 60_000);

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
});
