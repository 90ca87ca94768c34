import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@marketpulse/runtime';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { ApiContext } from './context';
import { appRouter } from './router';

export const TRPC_PREFIX = '/trpc';

/** Credentials a tRPC SSE subscription may send as connection params (EventSource cannot set headers). */
export interface ConnectionParamsCredentials {
  token?: string;
  apiKey?: string;
}

export type TrpcHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** tRPC (queries, mutations, batching, SSE subscriptions) under /trpc. */
export function createTrpcHandler(
  createContext: (req: IncomingMessage, connectionParams: ConnectionParamsCredentials | null) => Promise<ApiContext>,
  logger: Logger,
): TrpcHandler {
  return createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_PREFIX}/`,
    createContext: ({ req, info }) => createContext(req, info.connectionParams as ConnectionParamsCredentials | null),
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
    },
  });
}
