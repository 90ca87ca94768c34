/**
 * The slice of the runtime's Database the store uses; a transaction's handle has the same query.
 * Declared here so the store can run against any implementation (PostgreSQL, PGlite, a test double).
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface TransactionalDb extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}
