import { z } from 'zod';
import { envBoolean, envPositiveInt } from './env_values';

const hostPortList = /^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/;

/** Variables every Marketpulse process reads; services extend this with their own (see serviceConfigSchema). */
export const commonConfigSchema = z.object({
  SERVICE_NAME: z
    .string()
    .min(1, { error: 'expected a non-empty service name' })
    .default('marketpulse')
    .describe('Name of this process in logs, traces, Kafka client ids and its database schema.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected one of fatal|error|warn|info|debug|trace|silent',
    })
    .default('info')
    .describe('Minimum level of the JSON log lines written to stdout.'),
  BUS: z
    .enum(['memory', 'kafka'], { error: 'expected memory or kafka' })
    .default('memory')
    .describe('Event bus: `kafka` for Apache Kafka, `memory` for the in-process bus of the single-process quick start.'),
  KAFKA_BROKERS: z
    .string()
    .regex(hostPortList, { error: 'expected host:port list' })
    .default('127.0.0.1:9092')
    .describe('Comma-separated Kafka bootstrap brokers (host:port,host:port).'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .default('marketpulse.')
    .describe(
      'Prefix of every topic name and consumer group id: a topic is `${KAFKA_TOPIC_PREFIX}${event type}`, a group `${KAFKA_TOPIC_PREFIX}${group}`.',
    ),
  KAFKA_CLIENT_ID: z
    .string()
    .min(1, { error: 'expected a non-empty client id' })
    .optional()
    .describe('Kafka client id; defaults to SERVICE_NAME.'),
  KAFKA_PARTITIONS: envPositiveInt('a positive integer').default(3).describe('Partition count of topics the bus creates on demand.'),
  BUS_HANDLER_MAX_ATTEMPTS: envPositiveInt('a positive integer')
    .max(1000, { error: 'expected at most 1000 attempts' })
    .default(5)
    .describe(
      'Times a consumer runs its handler on a record that keeps failing for a reason of its own (a value the database refuses, a bug it hits) before the record goes to the dead-letter topic `${KAFKA_TOPIC_PREFIX}dead_letter` and the consumer moves on. Failures from an outage (database or broker away) are retried for as long as it lasts and never dead-letter a record. See services/runtime/DEAD_LETTERS.md.',
    ),
  BUS_RETRY_BACKOFF_MAX_MS: envPositiveInt('a positive number of milliseconds')
    .min(10, { error: 'expected at least 10 ms' })
    .max(60_000, { error: 'expected at most 60000 ms' })
    .default(5000)
    .describe(
      'Longest wait between two handler runs on a failing record (exponential backoff from 200 ms, with jitter). Kept well below the Kafka session timeout (15 s), since the consumer heartbeats between attempts.',
    ),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// URL' })
    .optional()
    .describe('PostgreSQL connection URL; when unset the service uses embedded PGlite in PGLITE_DIR.'),
  DATABASE_POOL_SIZE: envPositiveInt('a positive integer')
    .max(1000, { error: 'expected at most 1000 connections' })
    .default(10)
    .describe(
      "Most connections the process keeps open to PostgreSQL (with DATABASE_URL); a query waits for a free one. Every instance of every service has its own pool, so the server's max_connections must cover their sum.",
    ),
  DATABASE_PREPARED_STATEMENTS: envBoolean
    .default(true)
    .describe(
      'Send a parameterized query the process repeats as a named prepared statement (from its second use, at most 100 per process; with DATABASE_URL). false for a connection pooler in transaction mode that does not keep prepared statements (PgBouncer before 1.21).',
    ),
  PGLITE_DIR: z
    .string()
    .min(1, { error: 'expected a directory path' })
    .default('.data')
    .describe('Directory holding the embedded PGlite databases, one sub-directory per service.'),
  GRPC_HOST: z
    .string()
    .min(1, { error: 'expected a host or IP address' })
    .default('127.0.0.1')
    .describe('Address the gRPC server binds; set 0.0.0.0 to accept connections from other hosts.'),
  HEALTH_CHECK_INTERVAL_MS: envPositiveInt('a positive number of milliseconds')
    .default(5000)
    .describe('How often component health (bus, database, ...) is checked.'),
});

export type CommonConfig = z.output<typeof commonConfigSchema>;

/**
 * The common schema with SERVICE_NAME defaulting to `service`, extended with the service's own
 * variables (each with a `.describe()` text, so renderEnvDocs can document them).
 */
export function serviceConfigSchema<T extends z.ZodRawShape>(service: string, shape: T) {
  return commonConfigSchema.extend({
    SERVICE_NAME: commonConfigSchema.shape.SERVICE_NAME.unwrap()
      .default(service)
      .describe(commonConfigSchema.shape.SERVICE_NAME.description ?? ''),
    ...shape,
  });
}
