import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbPublishedIds } from './published_ids_db';

/** The gateway's embedded database, with a count of the claim statements it ran. */
function counted(db: Database): { db: Database; claims: () => number } {
  let claims = 0;
  const wrapped = Object.create(db) as Database;
  wrapped.query = (sql, params) => {
    if (sql.startsWith('INSERT INTO published_event_ids')) claims++;
    return db.query(sql, params);
  };
  return { db: wrapped, claims: () => claims };
}

describe('DbPublishedIds on PGlite', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-published-ids-'));
    db = await openDatabase({ service: 'gateway', dataDir: dir });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims what publish requests ask while a statement runs in one statement, each request answered as on its own', async () => {
    const { db: countedDb, claims } = counted(db);
    const ids = await DbPublishedIds.open(countedDb);
    await ids.claim(['burst/known']);
    const before = claims();
    // Ten requests at once, as a gateway that is behind reads them: the first goes alone, the rest wait for it.
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => ids.claim([`burst/${i}`])),
      ids.claim(['burst/known', 'burst/8']),
      ids.claim(['burst/8']),
    ]);
    expect(claims() - before).toBe(2);
    expect(answers).toEqual([...Array.from({ length: 8 }, () => []), ['burst/known'], []]);
    // The refused request recorded nothing of its own, so the later one took burst/8; a retry is a duplicate.
    expect(await ids.claim(['burst/8'])).toEqual(['burst/8']);
  });

  it('takes over an id whose publish was never confirmed once its lease is up, and answers it as unfinished until then', async () => {
    // A gateway claims the id, then stops before the bus answers: no confirmation, no release.
    const stopped = await DbPublishedIds.open(db, 168, 1);
    expect(await stopped.claim(['lease/a', 'lease/b'])).toEqual([]);
    await stopped.confirm(['lease/b']);
    const next = await DbPublishedIds.open(db, 168, 1);
    expect(await next.claim(['lease/a'])).toEqual(['lease/a']);
    expect(await next.unfinished(['lease/a', 'lease/b'])).toEqual([{ id: 'lease/a', retryAfterSeconds: 1 }]);
    const deadline = Date.now() + 10_000;
    let known = ['lease/a'];
    while (known.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      known = await next.claim(['lease/a']);
    }
    expect(known, 'claimed anew once the lease ran out').toEqual([]);
    // Taken over, it is the new publish's: unfinished again, until that one is confirmed.
    expect(await next.claim(['lease/a'])).toEqual(['lease/a']);
    await next.confirm(['lease/a']);
    expect(await next.unfinished(['lease/a'])).toEqual([]);
    // A confirmed id stays a duplicate however long ago its lease ended.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await next.claim(['lease/a', 'lease/b'])).toEqual(['lease/a', 'lease/b']);
  });

  it('answers concurrent claims exactly as the same claims made one after another (fast-check, seeded)', async () => {
    const ids = await DbPublishedIds.open(db);
    let run = 0;
    const letter = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const request = fc.uniqueArray(letter, { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(letter, { maxLength: 3 }),
        fc.array(request, { minLength: 1, maxLength: 8 }),
        async (known, requests) => {
          run++;
          const at = (prefix: string) => (id: string) => `${prefix}${run}/${id}`;
          const answer = (prefix: string, known: string[]) => known.map((id) => id.slice(`${prefix}${run}/`.length));
          await ids.claim(known.map(at('together')));
          await ids.claim(known.map(at('alone')));
          const together = await Promise.all(requests.map((r) => ids.claim(r.map(at('together')))));
          const alone: string[][] = [];
          for (const r of requests) alone.push(await ids.claim(r.map(at('alone'))));
          expect(together.map((k) => answer('together', k))).toEqual(alone.map((k) => answer('alone', k)));
          const stored = async (prefix: string) =>
            (
              await db.query<{ id: string }>('SELECT id FROM published_event_ids WHERE id LIKE $1 ORDER BY id', [`${prefix}${run}/%`])
            ).rows.map((r) => r.id.slice(`${prefix}${run}/`.length));
          expect(await stored('together')).toEqual(await stored('alone'));
        },
      ),
      { seed: 19, numRuns: 60 },
    );
  }, 60_000);
});
