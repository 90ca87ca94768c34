import { createLogger, openDatabase, type Database } from '@marketpulse/runtime';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, waitFor, type TestDatabase } from '../harness';

const logger = createLogger('runtime-postgres-test', {}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const migrations = [
  {
    id: '001_rules',
    sql: 'CREATE TABLE rules (id text PRIMARY KEY, threshold numeric NOT NULL, hits bigint NOT NULL DEFAULT 0); CREATE INDEX rules_threshold ON rules (threshold);',
  },
  { id: '002_rules_owner', sql: "ALTER TABLE rules ADD COLUMN owner text NOT NULL DEFAULT 'nobody';" },
];

describe('PostgreSQL database (real server)', () => {
  let testDb: TestDatabase;
  let alerting: Database;
  let webhooks: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase('runtime-db');
    alerting = await openDatabase({ service: 'alerting', url: testDb.url, logger });
    webhooks = await openDatabase({ service: 'webhook-delivery', url: testDb.url, logger });
  }, 30_000);

  afterAll(async () => {
    await alerting?.close();
    await webhooks?.close();
    await testDb?.drop();
  });

  it('applies migrations once each, concurrently started instances included, in the service schema', async () => {
    const second = await openDatabase({ service: 'alerting', url: testDb.url, logger });
    await Promise.all([alerting.migrate(migrations), second.migrate(migrations)]);
    await second.close();
    const { rows } = await alerting.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(['001_rules', '002_rules_owner']);
    const where = await alerting.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'rules'");
    expect(where.rows).toEqual([{ table_schema: 'alerting' }]);
  });

  it('keeps services apart: the same table name in two schemas', async () => {
    await webhooks.migrate([{ id: '001_rules', sql: 'CREATE TABLE rules (url text);' }]);
    await webhooks.query('INSERT INTO rules (url) VALUES ($1)', ['https://example.test/hook']);
    await alerting.query('INSERT INTO rules (id, threshold) VALUES ($1, $2)', ['r1', '101.25']);
    expect((await webhooks.query('SELECT * FROM rules')).rows).toEqual([{ url: 'https://example.test/hook' }]);
    expect((await alerting.query('SELECT id, threshold, hits FROM rules')).rows).toEqual([{ id: 'r1', threshold: '101.25', hits: '0' }]);
  });

  it('keeps at most poolSize (DATABASE_POOL_SIZE) connections open: further queries wait for one', async () => {
    const pooled = await openDatabase({ service: 'pooled', url: testDb.url, logger, poolSize: 2 });
    const admin = new Client({ connectionString: testDb.url });
    await admin.connect();
    try {
      const running = Promise.all(Array.from({ length: 6 }, () => pooled.query('SELECT pg_sleep(0.3)')));
      let most = 0;
      for (let i = 0; i < 8; i++) {
        const { rows } = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pooled'",
        );
        most = Math.max(most, rows[0].n);
        await new Promise((r) => setTimeout(r, 50));
      }
      await running;
      expect(most).toBe(2);
    } finally {
      await admin.end();
      await pooled.close();
    }
  });

  it('rolls back a failed transaction and commits a successful one', async () => {
    await expect(
      alerting.transaction(async (tx) => {
        await tx.query('INSERT INTO rules (id, threshold) VALUES ($1, $2)', ['r2', 1]);
        await tx.query('INSERT INTO rules (id, threshold) VALUES ($1, $2)', ['r1', 1]);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect((await alerting.query('SELECT id FROM rules WHERE id = $1', ['r2'])).rows).toEqual([]);
    await alerting.transaction((tx) => tx.query('UPDATE rules SET hits = hits + 1 WHERE id = $1', ['r1']));
    expect((await alerting.query<{ hits: string }>('SELECT hits FROM rules WHERE id = $1', ['r1'])).rows[0].hits).toBe('1');
  });

  it('recovers when the server drops every connection (as in a restart)', async () => {
    expect(await alerting.health()).toMatchObject({ ok: true });
    const admin = new Client({ connectionString: testDb.url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
        testDb.name,
      ]);
    } finally {
      await admin.end();
    }
    await waitFor(async () => (await alerting.health()).ok, { what: 'health() after the connections were dropped', timeoutMs: 10_000 });
    expect((await alerting.query('SELECT count(*)::int AS n FROM rules')).rows).toEqual([{ n: 1 }]);
  });

  it('fails to open with an actionable message when the server is unreachable', async () => {
    await expect(openDatabase({ service: 'alerting', url: 'postgres://postgres@127.0.0.1:1/none', logger })).rejects.toMatchObject({
      code: 'DB_UNAVAILABLE',
      message: expect.stringContaining('127.0.0.1:1/none'),
    });
  });
});
