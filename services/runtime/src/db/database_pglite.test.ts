import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './database';
import { openDatabase } from './open_database';

const migrations = [
  {
    id: '001_rules',
    sql: 'CREATE TABLE rules (id text PRIMARY KEY, threshold numeric NOT NULL, hits bigint NOT NULL DEFAULT 0); CREATE INDEX rules_threshold ON rules (threshold);',
  },
  { id: '002_rules_owner', sql: "ALTER TABLE rules ADD COLUMN owner text NOT NULL DEFAULT 'nobody';" },
];

describe('PGlite database', () => {
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-pglite-'));
    db = await openDatabase({ service: 'alert-test', dataDir: dir });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies migrations once, in order, in the service schema', async () => {
    expect(db.kind).toBe('pglite');
    expect(db.schema).toBe('alert_test');
    await db.migrate(migrations);
    await db.migrate(migrations);
    const applied = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(applied.rows.map((r) => r.id)).toEqual(['001_rules', '002_rules_owner']);
    const table = await db.query<{ table_schema: string }>("SELECT table_schema FROM information_schema.tables WHERE table_name = 'rules'");
    expect(table.rows).toEqual([{ table_schema: 'alert_test' }]);
  });

  it('queries with parameters and returns bigint and numeric as strings, like node-pg', async () => {
    await db.query('INSERT INTO rules (id, threshold, hits) VALUES ($1, $2, $3)', ['r1', '101.25', '9007199254740993']);
    const { rows } = await db.query<{ id: string; threshold: string; hits: string; owner: string }>('SELECT * FROM rules WHERE id = $1', [
      'r1',
    ]);
    expect(rows).toEqual([{ id: 'r1', threshold: '101.25', hits: '9007199254740993', owner: 'nobody' }]);
  });

  it('rolls a failed transaction back completely', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO rules (id, threshold) VALUES ($1, $2)', ['r2', 5]);
        await tx.query('INSERT INTO rules (id, threshold) VALUES ($1, $2)', ['r1', 6]);
      }),
    ).rejects.toThrow(/duplicate key/);
    const { rows } = await db.query('SELECT id FROM rules WHERE id = $1', ['r2']);
    expect(rows).toEqual([]);
  });

  it('commits a successful transaction and serializes concurrent ones', async () => {
    await Promise.all(
      [...Array(5).keys()].map(() =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ hits: string }>('SELECT hits FROM rules WHERE id = $1', ['r1']);
          await tx.query('UPDATE rules SET hits = $1 WHERE id = $2', [String(BigInt(rows[0].hits) + 1n), 'r1']);
        }),
      ),
    );
    const { rows } = await db.query<{ hits: string }>('SELECT hits FROM rules WHERE id = $1', ['r1']);
    expect(rows[0].hits).toBe('9007199254740998');
  });

  it('does not record a migration whose SQL fails', async () => {
    await expect(db.migrate([...migrations, { id: '003_broken', sql: 'ALTER TABLE nope ADD COLUMN x int;' }])).rejects.toMatchObject({
      code: 'DB_MIGRATION_FAILED',
    });
    const applied = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(applied.rows.map((r) => r.id)).toEqual(['001_rules', '002_rules_owner']);
  });

  it('reports itself healthy and keeps data across reopen', async () => {
    expect(await db.health()).toMatchObject({ ok: true });
    await db.close();
    db = await openDatabase({ service: 'alert-test', dataDir: dir });
    const { rows } = await db.query('SELECT id FROM rules');
    expect(rows).toEqual([{ id: 'r1' }]);
  }, 60_000);
});
