import { DatabaseError, type Migration, type Queryable } from './database';

// Serializes schema changes across processes started together (pg_advisory_xact_lock): PostgreSQL's
// IF NOT EXISTS is not safe against a concurrent CREATE of the same name.
export const SCHEMA_LOCK_ID = 7_142_001;

/**
 * Applies each migration not yet recorded in schema_migrations, in the given order, each in its own
 * transaction together with its record, so a failed migration leaves neither changes nor a record.
 */
export async function runMigrations(
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>,
  migrations: Migration[],
): Promise<void> {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new DatabaseError('DB_MIGRATION_FAILED', `migration id '${m.id}' is listed twice`);
    ids.add(m.id);
  }
  await transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  for (const m of migrations) {
    await transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [m.id]);
      if (done.rows.length > 0) return;
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new DatabaseError('DB_MIGRATION_FAILED', `migration ${m.id} failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
    });
  }
}
