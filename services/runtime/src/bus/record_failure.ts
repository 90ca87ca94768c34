import * as grpc from '@grpc/grpc-js';
import { AppError } from '../errors/app_error';
import { BusError } from './bus';
import { isRetriableKafkaError } from './kafka_retry';

/**
 * Why a consumer's handler failed on a record, which decides what the bus does with it:
 * - `unprocessable`: the record can never be handled (undecodable, or the handler said so by
 *   throwing unprocessableRecord): dead-lettered at once;
 * - `poison`: a dependency that answered refused something in this record (PostgreSQL data or
 *   constraint errors, an invalid-argument status): retried a bounded number of times, then
 *   dead-lettered;
 * - `outage`: a dependency is away or overloaded (connection errors, PostgreSQL shutting down or
 *   out of resources, Kafka not answering): retried for as long as it lasts, never dead-lettered,
 *   so an outage loses no event;
 * - `unknown`: anything else (a bug a record's shape hit, a foreign error): bounded retries, then
 *   dead-lettered only while the subscription's dependencies report healthy.
 */
export type FailureKind = 'unprocessable' | 'poison' | 'outage' | 'unknown';

/** A handler's verdict that retrying cannot help this record. The bus dead-letters it without retrying. */
export class UnprocessableRecordError extends AppError {
  constructor(reason: string, message: string, cause?: unknown) {
    super(grpc.status.INVALID_ARGUMENT, reason, message, { cause });
    this.name = 'UnprocessableRecordError';
  }
}

export const unprocessableRecord = (reason: string, message: string, cause?: unknown) =>
  new UnprocessableRecordError(reason, message, cause);

/** PostgreSQL SQLSTATE classes (first two characters) that name a fault of the statement's data. */
const PG_POISON_CLASSES = new Set([
  '22' /* data exception */,
  '23' /* integrity constraint */,
  '54' /* program limit, e.g. a row too big */,
]);
/** Classes that name the server's or the connection's state, not the data. */
const PG_OUTAGE_CLASSES = new Set([
  '08' /* connection */,
  '40' /* rollback: serialization, deadlock */,
  '53' /* resources */,
  '57' /* operator: shutdown, starting up */,
  '58' /* system */,
]);
const PG_OUTAGE_CODES = new Set(['55P03' /* lock not available */, '25006' /* read-only transaction: a failover */]);
const NODE_OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres reports a lost or refused connection in errors without a code. */
const CONNECTION_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|cannot use a pool after calling end|terminating connection|connect ECONNREFUSED/i;

const GRPC_OUTAGE = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.CANCELLED,
]);
const GRPC_POISON = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.OUT_OF_RANGE,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
]);

interface ErrorShape {
  code?: unknown;
  status?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The kind of one error, ignoring what it wraps. */
function ownKind(err: unknown): FailureKind {
  if (typeof err !== 'object' || err === null) return 'unknown';
  if (err instanceof UnprocessableRecordError) return 'unprocessable';
  if (err instanceof BusError) return err.code === 'BUS_INVALID_EVENT' ? 'poison' : 'outage';
  if (err instanceof AppError) return GRPC_OUTAGE.has(err.status) ? 'outage' : GRPC_POISON.has(err.status) ? 'poison' : 'unknown';
  const e = err as ErrorShape;
  if (isRetriableKafkaError(err) || (typeof e.name === 'string' && e.name.startsWith('KafkaJS'))) return 'outage';
  if (typeof e.code === 'string') {
    if (e.code === 'DB_UNAVAILABLE' || NODE_OUTAGE_CODES.has(e.code)) return 'outage';
    if (/^[0-9A-Z]{5}$/.test(e.code)) {
      if (PG_OUTAGE_CODES.has(e.code) || PG_OUTAGE_CLASSES.has(e.code.slice(0, 2))) return 'outage';
      if (PG_POISON_CLASSES.has(e.code.slice(0, 2))) return 'poison';
    }
  }
  // A gRPC ServiceError from a call to another service.
  if (typeof e.code === 'number' && 'metadata' in e) {
    if (GRPC_OUTAGE.has(e.code)) return 'outage';
    if (GRPC_POISON.has(e.code)) return 'poison';
  }
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return 'outage';
  return 'unknown';
}

/**
 * The kind of a handler's failure. An outage anywhere in the chain of causes wins over everything
 * but an explicit unprocessable verdict: when in doubt, an event waits rather than is set aside.
 */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof UnprocessableRecordError) return 'unprocessable';
  const kinds = new Set<FailureKind>();
  const visit = (e: unknown, depth: number) => {
    if (depth > 5 || typeof e !== 'object' || e === null) return;
    kinds.add(ownKind(e));
    const shape = e as ErrorShape;
    visit(shape.cause, depth + 1);
    if (Array.isArray(shape.errors)) for (const inner of shape.errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  if (kinds.has('outage')) return 'outage';
  if (kinds.has('poison')) return 'poison';
  return 'unknown';
}

/** What a dead letter says about its failure: a stable reason and a message without internals (no SQL, values, stacks). */
export interface FailureSummary {
  reason: string;
  message: string;
}

function sqlState(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const e = err as ErrorShape;
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return sqlState(e.cause, depth + 1);
}

function appErrorIn(err: unknown, depth = 0): AppError | undefined {
  if (err instanceof AppError) return err;
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  return appErrorIn((err as ErrorShape).cause, depth + 1);
}

export function summarizeFailure(err: unknown): FailureSummary {
  const app = appErrorIn(err);
  if (app) return { reason: app.reason, message: app.message };
  const state = sqlState(err);
  if (state && PG_POISON_CLASSES.has(state.slice(0, 2))) {
    return { reason: 'DATABASE_REFUSED_RECORD', message: `the database refused a value this event carries (SQLSTATE ${state})` };
  }
  if (err instanceof BusError) return { reason: err.code, message: 'the handler could not publish an event derived from this one' };
  const name = err instanceof Error ? err.name : typeof err;
  return { reason: 'HANDLER_FAILED', message: `the handler failed with ${name}; see the consumer's log line for this offset` };
}
