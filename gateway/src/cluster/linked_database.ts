import { DatabaseError, type ComponentHealth, type Database, type Migration, type QueryResult, type Queryable } from '@marketpulse/runtime';
import type { DatabaseInfo } from './messages';
import type { PrimaryLink } from './primary_link';

/**
 * A worker's database when the gateway's database is embedded PGlite, which one process alone may
 * open: the primary holds it and runs each call for the worker. The gateway asks its database single
 * statements and migrations only (API keys, published event ids), so those cross; a transaction
 * would hold PGlite's one connection across IPC round trips and a worker's crash, so it is refused.
 */
export class LinkedDatabase implements Database {
  readonly kind: DatabaseInfo['kind'];
  readonly schema: string;

  constructor(
    private readonly primary: PrimaryLink,
    info: DatabaseInfo,
  ) {
    this.kind = info.kind;
    this.schema = info.schema;
  }

  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.primary.call<QueryResult<T>>({ op: 'query', sql, params });
  }

  async exec(sql: string): Promise<void> {
    await this.primary.call({ op: 'exec', sql });
  }

  async migrate(migrations: Migration[]): Promise<void> {
    await this.primary.call({ op: 'migrate', migrations });
  }

  transaction<T>(_fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return Promise.reject(
      new DatabaseError(
        'DB_UNAVAILABLE',
        "a gateway worker cannot hold a transaction on the primary's embedded database; set DATABASE_URL",
      ),
    );
  }

  async health(): Promise<ComponentHealth> {
    if (!this.primary.connected) return { ok: false, detail: 'the gateway primary (which holds the database) is gone' };
    return this.primary.call<ComponentHealth>({ op: 'health' });
  }

  /** The primary closes the database once every worker has stopped. */
  async close(): Promise<void> {}
}
