export {
  DatabaseError,
  schemaNameFor,
  type Database,
  type Migration,
  type OpenDatabaseOptions,
  type Queryable,
  type QueryResult,
} from './database';
export { PgliteDatabase, type PgliteDatabaseOptions } from './database_pglite';
export { PGLITE_MEMORY_SETTINGS } from './pglite_memory';
export { PostgresDatabase, type PostgresDatabaseOptions } from './database_postgres';
export { DatabaseOnFirstUse } from './database_on_first_use';
export { openDatabase, pgliteOnFirstUse } from './open_database';
export { runMigrations } from './migrate';
export { takeKeyTurn } from './key_turn';
