import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseError, type Database, type Migration } from './database';
import { DatabaseOnFirstUse } from './database_on_first_use';
import { pgliteOnFirstUse } from './open_database';

/** A database that records what reaches it. */
function recorder(log: string[]): Database {
  return {
    kind: 'pglite',
    schema: 's',
    query: async <T>(sql: string) => {
      log.push(`query ${sql}`);
      return { rows: [] as T[] };
    },
    exec: async (sql) => void log.push(`exec ${sql}`),
    transaction: async (fn) => fn({ query: async () => ({ rows: [] }), exec: async () => undefined }),
    migrate: async (migrations: Migration[]) => void log.push(`migrate ${migrations.map((m) => m.id).join(',')}`),
    health: async () => ({ ok: true, detail: 'open' }),
    close: async () => void log.push('close'),
  };
}

describe('DatabaseOnFirstUse', () => {
  it('opens on the first statement, after running the migrations recorded before it, in order', async () => {
    const log: string[] = [];
    let opens = 0;
    const db = new DatabaseOnFirstUse('pglite', 's', async () => {
      opens++;
      return recorder(log);
    });
    await db.migrate([{ id: '001', sql: '' }]);
    await db.migrate([{ id: '002', sql: '' }]);
    expect(await db.health()).toMatchObject({ ok: true, detail: expect.stringContaining('opens on first use') });
    expect([opens, db.opened]).toEqual([0, false]);

    await Promise.all([db.query('SELECT 1'), db.query('SELECT 2')]);
    await db.migrate([{ id: '003', sql: '' }]);
    expect(opens).toBe(1);
    expect(log).toEqual(['migrate 001', 'migrate 002', 'query SELECT 1', 'query SELECT 2', 'migrate 003']);
    expect(await db.health()).toEqual({ ok: true, detail: 'open' });
    await db.close();
    expect(log.at(-1)).toBe('close');
    await expect(db.query('SELECT 3')).rejects.toThrow(/closed/);
  });

  it('fails the call whose open fails and opens again on the next one', async () => {
    const log: string[] = [];
    let attempt = 0;
    const db = new DatabaseOnFirstUse('pglite', 's', async () => {
      if (++attempt === 1) throw new DatabaseError('DB_UNAVAILABLE', 'cannot open the embedded database');
      return recorder(log);
    });
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'DB_UNAVAILABLE' });
    expect(db.opened).toBe(false);
    await db.query('SELECT 2');
    expect([attempt, log]).toEqual([2, ['query SELECT 2']]);
  });

  it('answers health at once while a first open is still running (initdb may take seconds)', async () => {
    let finish: (db: Database) => void = () => undefined;
    const db = new DatabaseOnFirstUse('pglite', 's', () => new Promise<Database>((resolve) => (finish = resolve)));
    const first = db.query('SELECT 1');
    expect(await db.health()).toMatchObject({ ok: true, detail: expect.stringContaining('opening') });
    finish(recorder([]));
    await first;
    expect(await db.health()).toEqual({ ok: true, detail: 'open' });
  });

  it('closes without opening what was never used', async () => {
    let opens = 0;
    const db = new DatabaseOnFirstUse('pglite', 's', async () => {
      opens++;
      return recorder([]);
    });
    await db.migrate([{ id: '001', sql: '' }]);
    await db.close();
    expect(opens).toBe(0);
  });
});

describe('pgliteOnFirstUse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-pglite-first-use-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts PGlite with the first statement, not before', async () => {
    const db = pgliteOnFirstUse({ service: 'first-use', dataDir: dir });
    try {
      await db.migrate([{ id: '001_t', sql: 'CREATE TABLE t (id int PRIMARY KEY)' }]);
      expect(existsSync(join(dir, 'first-use', 'PG_VERSION'))).toBe(false);
      await db.query('INSERT INTO t VALUES (1)');
      expect(existsSync(join(dir, 'first-use', 'PG_VERSION'))).toBe(true);
      expect((await db.query('SELECT id FROM t')).rows).toEqual([{ id: 1 }]);
      expect((await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows).toEqual([{ schema: 'first_use' }]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('refuses a data folder it cannot create at once, not on first use', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => pgliteOnFirstUse({ service: 'x', dataDir: file })).toThrow(DatabaseError);
  });
});
