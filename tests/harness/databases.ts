import { Client } from 'pg';
import { pgAdminUrl, runId } from './context';
import { ownerPid, processAlive, randomSuffix, sanitizeLabel, TEST_NAME_PREFIX } from './names';

export interface TestDatabase {
  /** The database's name, unique per call. */
  name: string;
  /** Connection URL for it (same role and server as the admin URL). */
  url: string;
  /** Drops it now; otherwise the run's global teardown (or the next run) drops it. */
  drop(): Promise<void>;
}

const MAX_IDENTIFIER = 63;

async function withAdmin<T>(adminUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, empty PostgreSQL database on the run's server, e.g. createTestDatabase('webhooks'). */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const adminUrl = pgAdminUrl();
  const head = `${TEST_NAME_PREFIX}_${runId()}_`;
  const tail = `_${randomSuffix()}`;
  const name = `${head}${sanitizeLabel(label, MAX_IDENTIFIER - head.length - tail.length)}${tail}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: () => dropDatabases(adminUrl, [name]),
  };
}

async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await withAdmin(adminUrl, async (c) => {
    // FORCE: a service a test left running may still hold connections.
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

async function testDatabaseNames(adminUrl: string): Promise<string[]> {
  return withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `${TEST_NAME_PREFIX}\\_%`,
    ]);
    return rows.map((r) => r.datname);
  });
}

/** Drops the databases of run `id` (global teardown). */
export async function dropRunDatabases(adminUrl: string, id: string): Promise<number> {
  const names = (await testDatabaseNames(adminUrl)).filter((n) => n.startsWith(`${TEST_NAME_PREFIX}_${id}_`));
  await dropDatabases(adminUrl, names);
  return names.length;
}

/** Drops databases left by runs whose process is gone (a crashed or interrupted run). */
export async function dropStaleDatabases(adminUrl: string): Promise<number> {
  const names = (await testDatabaseNames(adminUrl)).filter((n) => {
    const pid = ownerPid(n);
    return pid !== undefined && !processAlive(pid);
  });
  await dropDatabases(adminUrl, names);
  return names.length;
}
