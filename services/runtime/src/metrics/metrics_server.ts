import { createServer } from 'node:http';
import { HEALTH_PATHS, serveHealth, type HealthRoutesOptions } from '../health/health_routes';
import type { Logger } from '../log/logger';
import { metricsRegistry } from './registry';

export interface MetricsServerOptions {
  /** METRICS_PORT; 0 serves nothing. */
  port: number;
  /** Defaults to METRICS_HOST, then 127.0.0.1. */
  host?: string;
  /** What GET /metrics answers: the process registry by default (a gateway worker: every worker's, summed by its primary). */
  registry?: { metrics(): Promise<string>; readonly contentType: string };
  logger?: Logger;
}

export interface MetricsServerHandle {
  /** The bound port, or undefined when the server is off (port 0). */
  port: number | undefined;
  /** Serves /livez, /readyz and /health from this monitor; until then /readyz and /health say starting (503). */
  setHealth(options: HealthRoutesOptions): void;
  close(): Promise<void>;
}

/**
 * Answers GET /metrics in the Prometheus text format, and the health probes (/livez, /readyz,
 * /health), for a process without an HTTP server of its own.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServerHandle> {
  if (options.port === 0) return { port: undefined, setHealth: () => undefined, close: async () => undefined };
  const host = options.host ?? process.env.METRICS_HOST ?? '127.0.0.1';
  const registry = options.registry ?? metricsRegistry();
  let health: HealthRoutesOptions | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (HEALTH_PATHS as readonly string[]).includes(path)) {
      if (health) serveHealth(req, res, health);
      else {
        const status = path === '/livez' ? 200 : 503;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: status === 200 ? 'ok' : 'starting' }));
      }
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'NOT_FOUND', message: 'this port serves GET /metrics, /livez, /readyz and /health' }));
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'METRICS_FAILED', message: err instanceof Error ? err.message : String(err) }));
      },
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new Error(
          `metrics server cannot listen on ${host}:${options.port}: ${err.message}; set METRICS_PORT to a free port or 0 to turn it off`,
        ),
      ),
    );
    server.listen(options.port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
  options.logger?.info({ host, port, path: '/metrics' }, 'metrics server listening');
  return {
    port,
    setHealth: (options) => {
      health = options;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
