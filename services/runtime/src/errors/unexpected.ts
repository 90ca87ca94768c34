import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import type { Logger } from '../log/logger';
import { AppError } from './app_error';
import { commonError } from './error_domain';
import { isMetadata, readGrpcError } from '../grpc/errors';

/** Error codes of a database, broker or peer that is away (node, PostgreSQL SQLSTATE class 08/57, runtime). */
const DEPENDENCY_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  'DB_UNAVAILABLE',
  'BUS_PUBLISH_FAILED',
  'BUS_CLOSED',
]);

export interface UnexpectedContext {
  logger: Logger;
  /** What was being served, e.g. the gRPC method path; logged, never sent. */
  operation: string;
  /** Trace of the request, when the caller captured it before any await. */
  traceId?: string;
}

const traceIdNow = () => trace.getActiveSpan()?.spanContext().traceId;

/**
 * Any thrown value as an AppError a caller may see. AppErrors pass through; an error a gRPC peer
 * sent keeps its status details; a dependency that is away is DEPENDENCY_UNAVAILABLE; anything else
 * is INTERNAL with a generic message and an error id that the log line (with its trace id) carries.
 * Exception text, SQL, stacks and addresses go to the log only.
 */
export function toAppError(err: unknown, ctx: UnexpectedContext): AppError {
  if (err instanceof AppError) return err;
  const errorId = randomUUID();
  const traceId = ctx.traceId ?? traceIdNow();
  const logFields = { err, error_id: errorId, operation: ctx.operation, ...(traceId ? { trace_id: traceId } : {}) };

  const peer = peerError(err);
  if (peer) {
    ctx.logger.warn(logFields, 'request failed: a service this one called answered with an error');
    return peer;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && DEPENDENCY_DOWN.has(code)) {
    ctx.logger.warn(logFields, 'request failed: dependency unavailable');
    return commonError('DEPENDENCY_UNAVAILABLE', `a dependency of this service is unavailable; retry shortly (error id ${errorId})`, {
      metadata: { error_id: errorId },
    });
  }
  ctx.logger.error(logFields, 'request failed: unexpected error');
  return commonError('INTERNAL', `internal error; it has been logged with error id ${errorId}`, { metadata: { error_id: errorId } });
}

/** A ServiceError received from another service: its own AppError if it sent details, else a generic one for its status. */
function peerError(err: unknown): AppError | undefined {
  if (
    !(err instanceof Error) ||
    typeof (err as Partial<grpc.ServiceError>).code !== 'number' ||
    !isMetadata((err as grpc.ServiceError).metadata)
  ) {
    return undefined;
  }
  const e = readGrpcError(err);
  if (e.domain !== '')
    return new AppError(e.code, e.reason, e.message, { domain: e.domain, violations: e.violations, metadata: e.metadata });
  // No details: a transport failure whose text names addresses; say only what kind it was.
  if (e.code === grpc.status.DEADLINE_EXCEEDED)
    return commonError('DEPENDENCY_TIMEOUT', 'a service this one depends on did not answer in time; retry shortly');
  if (e.code === grpc.status.UNAVAILABLE)
    return commonError('DEPENDENCY_UNAVAILABLE', 'a service this one depends on is unavailable; retry shortly');
  return undefined;
}
