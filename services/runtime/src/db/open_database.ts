import type { Logger } from '../log/logger';
import type { Database, OpenDatabaseOptions } from './database';
import { PgliteDatabase } from './database_pglite';
import { PostgresDatabase } from './database_postgres';

/** PostgreSQL when `url` (DATABASE_URL) is set, embedded PGlite in `${dataDir}/${service}` otherwise. */
export async function openDatabase(options: OpenDatabaseOptions & { logger?: Logger }): Promise<Database> {
  if (options.url)
    return PostgresDatabase.open({ service: options.service, url: options.url, logger: options.logger, poolSize: options.poolSize });
  return PgliteDatabase.open({ service: options.service, dataDir: options.dataDir ?? '.data' });
}
