import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AccessLog } from '../observability/access_log';
import type { HttpRouter } from './router';

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
}): Promise<HttpServerHandle> {
  const server = createServer((req, res) => {
    options.accessLog?.http(req, res);
    if (options.router) return options.router.handle(req, res);
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('WebSocket only\n');
  });
  server.on('upgrade', options.upgrade);
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
