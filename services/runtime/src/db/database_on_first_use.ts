import type { ComponentHealth } from '../health/component_health';
import type { Database, Migration, Queryable, QueryResult } from './database';

/**
 * A database that opens on its first statement. migrate() before that only records the migrations;
 * they run, in the order recorded, right after the open and before the first statement. For a
 * process that may never need its database (the gateway serving WebSocket clients with tokens, or
 * a worker whose primary holds the database), the embedded PGlite then costs nothing until a
 * request needs it. An open that fails fails that call (with the open's DatabaseError); the next
 * call tries again.
 */
export class DatabaseOnFirstUse implements Database {
  private opening: Promise<Database> | undefined;
  private current: Database | undefined;
  private readonly recorded: Migration[][] = [];
  private closed = false;

  constructor(
    readonly kind: Database['kind'],
    readonly schema: string,
    private readonly open: () => Promise<Database>,
  ) {}

  /** Whether a statement has opened the database. */
  get opened(): boolean {
    return this.current !== undefined;
  }

  private database(): Promise<Database> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    this.opening ??= this.openAndMigrate().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  private async openAndMigrate(): Promise<Database> {
    const db = await this.open();
    try {
      for (const migrations of this.recorded) await db.migrate(migrations);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    this.current = db;
    return db;
  }

  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.database().then((db) => db.query<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.database().then((db) => db.exec(sql));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.database().then((db) => db.transaction(fn));
  }

  async migrate(migrations: Migration[]): Promise<void> {
    if (!this.opening) {
      this.recorded.push(migrations);
      return;
    }
    await (await this.database()).migrate(migrations);
  }

  /** The open database's health; never waits for an open in progress (a first open may take seconds: initdb). */
  health(): Promise<ComponentHealth> {
    if (this.current) return this.current.health();
    const state = this.opening ? 'opening' : 'opens on first use';
    return Promise.resolve({ ok: true, detail: `${this.kind} schema ${this.schema}, ${state}` });
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    this.opening = undefined;
    this.current = undefined;
    const db = await opening?.catch(() => undefined);
    await db?.close();
  }
}
