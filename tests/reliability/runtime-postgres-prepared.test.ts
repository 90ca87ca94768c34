import { createLogger, loadConfig, PostgresDatabase, serviceConfigSchema, ServiceScope, type Queryable } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness';

const logger = createLogger('runtime-postgres-prepared-test', {}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// pg_prepared_statements lists the statements of the session that reads it, so each check runs on
// the connection it inspects: inside one transaction, or on a pool of one connection.
async function preparedOn(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'mp\\_%'");
  return rows.map((r) => r.statement);
}

describe('PostgreSQL prepared statements (real server)', () => {
  let testDb: TestDatabase;
  const opened: PostgresDatabase[] = [];
  const open = async (service: string, options: { poolSize?: number; prepare?: boolean } = {}) => {
    const db = await PostgresDatabase.open({ service, url: testDb.url, logger, ...options });
    opened.push(db);
    return db;
  };

  beforeAll(async () => {
    testDb = await createTestDatabase('runtime-prepared');
  }, 30_000);

  afterAll(async () => {
    for (const db of opened) await db.close();
    await testDb?.drop();
  });

  it('prepares a repeated parameterized query once on its connection, inside a transaction too', async () => {
    const db = await open('prep_repeat');
    const sql = 'SELECT $1::int + 1 AS n';
    const prepared = await db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) expect((await tx.query(sql, [i])).rows).toEqual([{ n: i + 1 }]);
      return preparedOn(tx);
    });
    expect(prepared).toEqual([sql]);
  });

  it('DATABASE_PREPARED_STATEMENTS=false reaches the pool through the service scope: every query unnamed', async () => {
    const schema = serviceConfigSchema('prep-env-test', {});
    const preparedWith = async (env: Record<string, string>) => {
      const config = loadConfig(schema, { BUS: 'memory', DATABASE_URL: testDb.url, DATABASE_POOL_SIZE: '1', ...env });
      const scope = await ServiceScope.open('prep-env-test', { ...config, GRPC_PORT: 0 }, { logger });
      try {
        const sql = 'SELECT $1::int * 2 AS n';
        return await scope.db.transaction(async (tx) => {
          for (let i = 0; i < 5; i++) expect((await tx.query(sql, [i])).rows).toEqual([{ n: i * 2 }]);
          return preparedOn(tx);
        });
      } finally {
        await scope.close();
      }
    };
    expect(await preparedWith({})).toEqual(['SELECT $1::int * 2 AS n']);
    expect(await preparedWith({ DATABASE_PREPARED_STATEMENTS: 'false' })).toEqual([]);
    expect(() => loadConfig(schema, { DATABASE_PREPARED_STATEMENTS: 'sometimes' })).toThrow(/DATABASE_PREPARED_STATEMENTS/);
  });

  it('returns the same rows and types prepared as unnamed', async () => {
    const [plain, prepared] = [await open('prep_same_a', { prepare: false }), await open('prep_same_b')];
    for (const db of [plain, prepared]) {
      await db.exec(
        "CREATE TABLE t (id int PRIMARY KEY, price numeric, at timestamptz, doc jsonb, note text); INSERT INTO t VALUES (1, 1.50, '2026-01-01T00:00:00Z', '{\"a\":[1]}', NULL), (2, NULL, NULL, NULL, 'x')",
      );
    }
    const sql = 'SELECT * FROM t WHERE id = ANY($1::int[]) OR note = $2 ORDER BY id';
    const cases: unknown[][] = [
      [[1], null],
      [[2], 'x'],
      [[], 'none'],
      [[1, 2], null],
    ];
    for (let round = 0; round < 3; round++) {
      for (const params of cases) expect((await prepared.query(sql, params)).rows).toEqual((await plain.query(sql, params)).rows);
    }
    expect((await prepared.query(sql, [[1], null])).rows).toEqual([
      { id: 1, price: '1.50', at: new Date('2026-01-01T00:00:00Z'), doc: { a: [1] }, note: null },
    ]);
  });

  it('keeps the prepared statements of a connection bounded under many distinct query texts', async () => {
    const db = await open('prep_bound', { poolSize: 1 });
    for (let i = 0; i < 300; i++) {
      const sql = `SELECT $1::int + ${i} AS n`;
      for (let use = 0; use < 3; use++) expect((await db.query(sql, [use])).rows).toEqual([{ n: use + i }]);
    }
    const prepared = await preparedOn(db);
    expect(prepared.length).toBeGreaterThan(0);
    expect(prepared.length).toBeLessThanOrEqual(100);
  });

  it('keeps working after a schema change alters a prepared query’s result columns, in and out of transactions', async () => {
    const db = await open('prep_stale', { poolSize: 1 });
    await db.migrate([{ id: '001', sql: 'CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1)' }]);
    const sql = 'SELECT * FROM items WHERE id = $1';
    for (let i = 0; i < 3; i++) expect((await db.query(sql, [1])).rows).toEqual([{ id: 1 }]);
    expect(await preparedOn(db)).toContain(sql);

    await db.migrate([{ id: '002', sql: "ALTER TABLE items ADD COLUMN label text NOT NULL DEFAULT 'a'" }]);
    expect((await db.query(sql, [1])).rows).toEqual([{ id: 1, label: 'a' }]);

    const tsql = 'SELECT * FROM items WHERE id = $1 FOR UPDATE';
    for (let i = 0; i < 3; i++) await db.transaction((tx) => tx.query(tsql, [1]));
    await db.migrate([{ id: '003', sql: 'ALTER TABLE items ADD COLUMN size int' }]);
    const rows = await db.transaction(async (tx) => {
      await tx.query("UPDATE items SET label = 'b' WHERE id = $1", [1]);
      return (await tx.query(tsql, [1])).rows;
    });
    expect(rows).toEqual([{ id: 1, label: 'b', size: null }]);
  });
});
