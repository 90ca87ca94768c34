import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { checkWithTimeout, type ComponentHealth } from '../health/component_health';
import { dbQueryMetrics, type QueryObserver } from '../metrics/db_metrics';
import { inDbSpan, inTransactionSpan } from '../telemetry/db_span';
import { DatabaseError, schemaNameFor, type Database, type Migration, type Queryable, type QueryResult } from './database';
import { runMigrations } from './migrate';
import { initializeDataFolder, pgliteStartParams } from './pglite_memory';

export interface PgliteDatabaseOptions {
  service: string;
  /** Parent directory; the database lives in `${dataDir}/${service}`. */
  dataDir: string;
  healthTimeoutMs?: number;
}

// node-pg returns int8 and numeric as strings (no precision loss); PGlite is told to do the same so
// that code behaves identically on both.
const asText = (value: string) => value;
const PG_COMPATIBLE_PARSERS = { [types.INT8]: asText, [types.NUMERIC]: asText };

interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
}

function queryable(target: PgliteLike, observe: QueryObserver): Queryable {
  return {
    query: <T>(sql: string, params?: unknown[]) => observe(sql, async () => ({ rows: (await target.query<T>(sql, params)).rows })),
    exec: (sql: string) =>
      observe(sql, async () => {
        await target.exec(sql);
      }),
  };
}

/**
 * Embedded PostgreSQL (WebAssembly) with its data on disk. It has a single connection: PGlite
 * itself queues queries and transactions, so a transaction never interleaves with other queries.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly schema: string;
  private readonly base: Queryable;
  private readonly observe: QueryObserver;

  private constructor(
    private readonly pg: PGlite,
    readonly dataPath: string,
    private readonly options: PgliteDatabaseOptions,
  ) {
    this.schema = schemaNameFor(options.service);
    // No instrumentation knows PGlite: its statements get their spans and timings here.
    const timed = dbQueryMetrics('pglite', this.schema);
    const target = { namespace: this.schema };
    this.observe = (sql, run) => timed(sql, () => inDbSpan(target, sql, run));
    this.base = queryable(pg, this.observe);
  }

  static async open(options: PgliteDatabaseOptions): Promise<PgliteDatabase> {
    const schema = schemaNameFor(options.service);
    const dataPath = resolve(join(options.dataDir, options.service));
    let pg: PGlite;
    try {
      mkdirSync(dataPath, { recursive: true });
      const startParams = pgliteStartParams();
      await initializeDataFolder(dataPath, startParams);
      pg = await PGlite.create(dataPath, { parsers: PG_COMPATIBLE_PARSERS, startParams });
      await pg.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}", public;`);
    } catch (err) {
      throw new DatabaseError(
        'DB_UNAVAILABLE',
        `cannot open the embedded database in ${dataPath} (is another process using it?): ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return new PgliteDatabase(pg, dataPath, options);
  }

  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.base.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.base.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return inTransactionSpan({ namespace: this.schema }, () => this.pg.transaction((tx) => fn(queryable(tx, this.observe))));
  }

  migrate(migrations: Migration[]): Promise<void> {
    return runMigrations((fn) => this.transaction(fn), migrations);
  }

  health(): Promise<ComponentHealth> {
    return checkWithTimeout(async () => {
      await this.pg.query('SELECT 1');
      return { ok: true, detail: `pglite ${this.dataPath} schema ${this.schema}` };
    }, this.options.healthTimeoutMs ?? 2000);
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
  }
}
