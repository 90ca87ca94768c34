import { inject } from 'vitest';
import { HarnessError } from './errors';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Broker list for kafkajs, e.g. "127.0.0.1:9092". */
    mpKafkaBrokers: string;
    /** URL of a PostgreSQL role that may create databases (database `postgres`). */
    mpPgAdminUrl: string;
    /** Unique per test run; names of the run's databases and topics start with it. */
    mpRunId: string;
  }
}

export const KAFKA_BROKERS_ENV = 'KAFKA_BROKERS';
export const PG_ADMIN_URL_ENV = 'MP_TEST_PG_ADMIN_URL';

export function newRunId(): string {
  return `${process.pid}_${Date.now().toString(36)}`;
}

// Outside a vitest worker (a script importing the harness) inject() has no runner to ask.
function provided<K extends 'mpKafkaBrokers' | 'mpPgAdminUrl' | 'mpRunId'>(key: K): string | undefined {
  try {
    return inject(key) || undefined;
  } catch {
    return undefined;
  }
}

function required(key: 'mpKafkaBrokers' | 'mpPgAdminUrl', env: string, what: string): string {
  const value = provided(key) ?? process.env[env];
  if (!value) {
    throw new HarnessError(
      'INFRA_UNREACHABLE',
      `no ${what} for this test: run it with \`--config tests/vitest.config.ts\` (its global setup starts one) or set ${env}`,
    );
  }
  return value;
}

/** The Kafka broker list of this test run (comma-separated host:port). */
export function kafkaBrokers(): string {
  return required('mpKafkaBrokers', KAFKA_BROKERS_ENV, 'Kafka broker');
}

/** The admin URL of this run's PostgreSQL server (database `postgres`, may CREATE DATABASE). */
export function pgAdminUrl(): string {
  return required('mpPgAdminUrl', PG_ADMIN_URL_ENV, 'PostgreSQL server');
}

let fallbackRunId: string | undefined;

export function runId(): string {
  return provided('mpRunId') ?? (fallbackRunId ??= newRunId());
}
