import type { ServiceError } from '@grpc/grpc-js';
import { kafkaBrokers } from './context';

/**
 * The environment of a service on a suite's own slice: the run's Kafka under the slice's topic
 * prefix, the slice's database, a free gRPC port and warn-level logs. `env` adds to it or overrides.
 */
export function sliceServiceEnv(slice: { prefix: string; db: { url: string } }, env: Record<string, string> = {}): Record<string, string> {
  return {
    BUS: 'kafka',
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: slice.prefix,
    DATABASE_URL: slice.db.url,
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/** A unary gRPC call as a promise: `await unary<market.GetQuoteResponse>((cb) => client.getQuote(req, cb))`. */
export function unary<Res>(start: (callback: (err: ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => start((err, res) => (err ? reject(err) : resolve(res))));
}
