import type { ComponentHealth } from '../health/component_health';

export interface QueryResult<T> {
  rows: T[];
}

export interface Queryable {
  /** One statement, `$1`-style parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Several statements separated by `;`, no parameters (migrations, scripts). */
  exec(sql: string): Promise<void>;
}

export interface Migration {
  /** Stable, ordered id such as `001_create_rules`; applied once per database. */
  id: string;
  sql: string;
}

/**
 * A service's database: its own schema on PostgreSQL (DATABASE_URL) or on embedded PGlite.
 * Inside transaction(), use only the `tx` handle: on PGlite the single connection is held by the
 * transaction, so a query on the Database itself would wait for the transaction to end.
 */
export interface Database extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  migrate(migrations: Migration[]): Promise<void>;
  health(): Promise<ComponentHealth>;
  close(): Promise<void>;
  /** `postgres` or `pglite`, for logs and /health. */
  readonly kind: 'postgres' | 'pglite';
  /** The schema every unqualified name resolves to. */
  readonly schema: string;
}

export interface OpenDatabaseOptions {
  /** Service name; its schema is the name with non-alphanumerics replaced by `_`. */
  service: string;
  /** PostgreSQL URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite's parent directory (PGLITE_DIR); the data lives in `${dataDir}/${service}`. */
  dataDir?: string;
  /** Most PostgreSQL connections (DATABASE_POOL_SIZE); PGlite has one. */
  poolSize?: number;
  /** Repeated parameterized queries as named prepared statements (DATABASE_PREPARED_STATEMENTS, default true); PostgreSQL only. */
  prepare?: boolean;
}

export class DatabaseError extends Error {
  constructor(
    readonly code: 'DB_MIGRATION_FAILED' | 'DB_UNAVAILABLE' | 'DB_INVALID_NAME',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export function schemaNameFor(service: string): string {
  const schema = service.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema) || schema.startsWith('pg_')) {
    throw new DatabaseError(
      'DB_INVALID_NAME',
      `service name '${service}' cannot name a schema; use up to 63 letters, digits, - or _, not starting with a digit or pg_`,
    );
  }
  return schema;
}
