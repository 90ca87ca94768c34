import type { Logger } from '../log/logger';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseError, schemaNameFor, type Database, type OpenDatabaseOptions } from './database';
import { DatabaseOnFirstUse } from './database_on_first_use';
import { PgliteDatabase } from './database_pglite';
import { PostgresDatabase } from './database_postgres';

/** PostgreSQL when `url` (DATABASE_URL) is set, embedded PGlite in `${dataDir}/${service}` otherwise. */
export async function openDatabase(options: OpenDatabaseOptions & { logger?: Logger }): Promise<Database> {
  if (options.url)
    return PostgresDatabase.open({
      service: options.service,
      url: options.url,
      logger: options.logger,
      poolSize: options.poolSize,
      prepare: options.prepare,
    });
  return PgliteDatabase.open({ service: options.service, dataDir: options.dataDir ?? '.data' });
}

/**
 * Embedded PGlite in `${dataDir}/${service}` that starts on its first statement (DatabaseOnFirstUse).
 * The folder is created now, so an unusable PGLITE_DIR still stops the process at start.
 */
export function pgliteOnFirstUse(options: { service: string; dataDir?: string }): DatabaseOnFirstUse {
  const dataDir = options.dataDir ?? '.data';
  const schema = schemaNameFor(options.service);
  const dataPath = resolve(join(dataDir, options.service));
  try {
    mkdirSync(dataPath, { recursive: true });
  } catch (err) {
    throw new DatabaseError('DB_UNAVAILABLE', `cannot create the embedded database's folder ${dataPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return new DatabaseOnFirstUse('pglite', schema, () => PgliteDatabase.open({ service: options.service, dataDir }));
}
