import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from '@marketpulse/runtime';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { ApiContext } from './context';
import { errorIdOf, toApiError } from '../errors';
import { appRouter } from './router';

export const TRPC_PREFIX = '/trpc';

/** Credentials a tRPC SSE subscription may send as connection params (EventSource cannot set headers). */
export interface ConnectionParamsCredentials {
  token?: string;
  apiKey?: string;
}

export type TrpcHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TrpcLimits {
  /** HTTP_MAX_BODY_BYTES: bodies sent without Content-Length (chunked) are cut off here. */
  maxBodyBytes: number;
  /** TRPC_MAX_BATCH_SIZE; the API handler refuses larger batches first, with BATCH_TOO_LARGE. */
  maxBatchSize: number;
}

/**
 * The number of calls a /trpc request makes: `/trpc/a,b,c?batch=1` is three, and so is
 * `/trpc/a%2Cb%2Cc?batch=1`, since tRPC splits the percent-decoded path.
 */
export function trpcCallCount(url: URL): number {
  if (url.searchParams.get('batch') !== '1') return 1;
  const raw = url.pathname.slice(TRPC_PREFIX.length + 1);
  let path = raw;
  try {
    path = decodeURIComponent(raw);
  } catch {
    // tRPC refuses a path with malformed percent-encoding itself, before any call runs.
  }
  return path.split(',').length;
}

/** tRPC (queries, mutations, batching, SSE subscriptions) under /trpc. */
export function createTrpcHandler(
  createContext: (req: IncomingMessage, connectionParams: ConnectionParamsCredentials | null) => Promise<ApiContext>,
  logger: Logger,
  limits: TrpcLimits,
): TrpcHandler {
  return createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    maxBodySize: limits.maxBodyBytes,
    maxBatchSize: limits.maxBatchSize,
    createContext: ({ req, info }) => createContext(req, info.connectionParams as ConnectionParamsCredentials | null),
    onError: ({ error, path }) => {
      // The same classification as the answer's (errors.ts); the error id is the one the client got.
      const api = toApiError(error);
      if (api.grpcStatus === GrpcStatus.INTERNAL) {
        const cause = error.cause ?? error;
        logger.error({ err: cause, error_id: api.details?.error_id ?? errorIdOf(cause), path }, 'tRPC procedure failed');
      }
    },
  });
}
