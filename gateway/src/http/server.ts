import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../errors';
import type { AccessLog } from '../observability/access_log';
import { answerClientError } from './client_error';
import { endWithError, sendJson } from './respond';
import type { HttpRouter } from './router';

/** HTTP_REQUEST_TIMEOUT_MS's default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpServerHandle {
  server: Server;
  /** The bound port (useful when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/** An HTTP server whose requests go to `router` (when given) and whose upgrades go to `upgrade`. */
export async function startHttpServer(options: {
  host: string;
  port: number;
  router?: HttpRouter;
  upgrade: UpgradeHandler;
  accessLog?: AccessLog;
  /** HTTP_REQUEST_TIMEOUT_MS: the whole request (headers and body) must arrive within it. */
  requestTimeoutMs?: number;
  /** Checked before any route or door (GATEWAY_ALLOWED_HOSTS): an error refuses the request or upgrade with it. */
  refuse?: (req: IncomingMessage) => ApiError | undefined;
}): Promise<HttpServerHandle> {
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const timeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    // Node looks for late requests this often (30 s by default): a quarter of the limit, so one is
    // cut at most 25 % after its time.
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor(requestTimeoutMs / 4))),
  };
  const server = createServer(timeouts, (req, res) => {
    options.accessLog?.http(req, res);
    const refusal = options.refuse?.(req);
    if (refusal) return sendJson(res, refusal.httpStatus, refusal.body());
    if (options.router) return options.router.handle(req, res);
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('WebSocket only\n');
  });
  const refuse = options.refuse;
  server.on(
    'upgrade',
    refuse
      ? (req: IncomingMessage, socket: Duplex, head: Buffer) => {
          const refusal = refuse(req);
          if (!refusal) return options.upgrade(req, socket, head);
          options.accessLog?.upgradeRefused(req, refusal.httpStatus, refusal.appCode);
          endWithError(socket, refusal);
        }
      : options.upgrade,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, requestTimeoutMs));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`gateway cannot listen on ${options.host}:${options.port}: ${err.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
