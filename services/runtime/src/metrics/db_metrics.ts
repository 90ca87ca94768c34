import { sqlOperation } from '../telemetry/db_span';
import { histogram } from './registry';

/** Runs one statement and returns its result; what a Database wraps around each query. */
export type QueryObserver = <T>(sql: string, run: () => Promise<T>) => Promise<T>;

/** Times every statement: marketpulse_db_query_duration_seconds{system, schema, operation, outcome}. */
export function dbQueryMetrics(system: 'postgres' | 'pglite', schema: string): QueryObserver {
  const seconds = histogram<'system' | 'schema' | 'operation' | 'outcome'>({
    name: 'marketpulse_db_query_duration_seconds',
    help: 'Time of one SQL statement, by database kind (postgres, pglite), schema, operation (SELECT, INSERT, ...) and outcome (ok, error).',
    labelNames: ['system', 'schema', 'operation', 'outcome'],
  });
  return async (sql, run) => {
    const started = performance.now();
    let outcome = 'error';
    try {
      const result = await run();
      outcome = 'ok';
      return result;
    } finally {
      seconds.observe({ system, schema, operation: sqlOperation(sql), outcome }, (performance.now() - started) / 1000);
    }
  };
}
