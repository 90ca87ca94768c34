import { Pool, type PoolClient } from 'pg';
import { checkWithTimeout, type ComponentHealth } from '../health/component_health';
import type { Logger } from '../log/logger';
import { dbQueryMetrics, type QueryObserver } from '../metrics/db_metrics';
import { DatabaseError, schemaNameFor, type Database, type Migration, type Queryable, type QueryResult } from './database';
import { runMigrations, SCHEMA_LOCK_ID } from './migrate';
import { isStalePlan, StatementNames } from './statement_names';

export interface PostgresDatabaseOptions {
  service: string;
  url: string;
  logger?: Logger;
  poolSize?: number;
  healthTimeoutMs?: number;
  /** Run repeated parameterized queries as named prepared statements (StatementNames); default true. */
  prepare?: boolean;
}

type Run = (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;

function queryable(run: Run, observe: QueryObserver): Queryable {
  return {
    query: <T>(sql: string, params?: unknown[]) => observe(sql, async () => ({ rows: (await run(sql, params)).rows as T[] })),
    exec: (sql: string) =>
      observe(sql, async () => {
        await run(sql);
      }),
  };
}

/** Where the URL points, without credentials, for messages a person reads. */
function safeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  private readonly pool: Pool;
  private readonly base: Queryable;
  // Spans come from the pg instrumentation; timings from here.
  private readonly observe: QueryObserver;
  private readonly names: StatementNames | undefined;

  private constructor(private readonly options: PostgresDatabaseOptions) {
    this.schema = schemaNameFor(options.service);
    this.pool = new Pool({
      connectionString: options.url,
      // Every pooled connection resolves names in the service's schema first.
      options: `-c search_path=${this.schema},public`,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: options.service,
    });
    // An idle client whose server went away emits 'error'; the pool drops it and opens a new one on
    // demand. Without a listener the error would crash the process.
    this.pool.on('error', (err) => options.logger?.warn({ err: err.message }, 'postgres connection lost; the pool will reconnect'));
    this.observe = dbQueryMetrics('postgres', this.schema);
    this.names = options.prepare === false ? undefined : new StatementNames();
    this.base = queryable(
      this.prepared((sql, params) => this.pool.query(sql, params), true),
      this.observe,
    );
  }

  static async open(options: PostgresDatabaseOptions): Promise<PostgresDatabase> {
    const db = new PostgresDatabase(options);
    try {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
      });
    } catch (err) {
      await db.pool.end().catch(() => undefined);
      throw new DatabaseError(
        'DB_UNAVAILABLE',
        `cannot prepare schema ${db.schema} on PostgreSQL at ${safeTarget(options.url)}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return db;
  }

  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.base.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.base.exec(sql);
  }

  /**
   * Sends `sql` under its StatementNames name when it has one. A statement whose plan went stale is
   * retired for the whole pool and, outside a transaction, sent again unnamed; inside one the
   * transaction is aborted, so transaction() runs it again instead.
   */
  private prepared(
    send: (sql: string | { name: string; text: string; values?: unknown[] }, params?: unknown[]) => Promise<{ rows: unknown[] }>,
    retry: boolean,
  ): Run {
    return async (sql, params) => {
      const name = this.names && params && params.length > 0 ? this.names.nameFor(sql) : undefined;
      if (!name) return send(sql, params);
      try {
        return await send({ name, text: sql, values: params });
      } catch (err) {
        if (!isStalePlan(err)) throw err;
        this.names?.retire(sql);
        this.options.logger?.warn(
          { statement: name },
          'prepared statement went stale after a schema change; sending it unnamed from now on',
        );
        if (!retry) throw err;
        return send(sql, params);
      }
    };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.transactionOnce(fn);
    } catch (err) {
      // The failing statement is retired now, so the second run sends it unnamed.
      if (!isStalePlan(err)) throw err;
      return this.transactionOnce(fn);
    }
  }

  private async transactionOnce<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(
        queryable(
          this.prepared((sql, params) => client.query(sql, params), false),
          this.observe,
        ),
      );
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      throw err;
    } finally {
      // A connection that could not even roll back is not handed to the next caller.
      client.release(broken);
    }
  }

  migrate(migrations: Migration[]): Promise<void> {
    return runMigrations((fn) => this.transaction(fn), migrations);
  }

  health(): Promise<ComponentHealth> {
    return checkWithTimeout(async () => {
      await this.pool.query('SELECT 1');
      return { ok: true, detail: `postgres ${safeTarget(this.options.url)} schema ${this.schema}` };
    }, this.options.healthTimeoutMs ?? 2000);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
