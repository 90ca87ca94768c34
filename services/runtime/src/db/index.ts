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
export { PostgresDatabase, type PostgresDatabaseOptions } from './database_postgres';
export { openDatabase } from './open_database';
export { runMigrations } from './migrate';
