import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthMonitor } from './health_monitor';

/** The probes every process answers on HTTP (the gateway on its port, services on METRICS_PORT). */
export const HEALTH_PATHS = ['/livez', '/readyz', '/health'] as const;

export interface HealthRoutesOptions {
  monitor: HealthMonitor;
  /** Names this process in /health. */
  service: string;
  /** Extra fields of /health (the gateway adds its WebSocket figures). */
  extra?: () => Record<string, unknown>;
  /** Whether the answer includes what each check said (default true; the gateway's public port decides per caller). */
  details?: boolean;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * Kubernetes conventions: /livez answers 200 while the event loop runs (restart only a process that
 * cannot answer); /readyz answers 200 only when every dependency the process needs passed its last
 * check, 503 naming the failing ones otherwise (take it out of the load balancer, do not restart);
 * `?verbose` lists every check. /health is the detailed report: each component, its detail and
 * since when, with the same status code as /readyz.
 * Answers the request and returns true when the path is one of HEALTH_PATHS.
 */
export function serveHealth(req: IncomingMessage, res: ServerResponse, options: HealthRoutesOptions): boolean {
  const url = new URL(req.url ?? '/', 'http://process');
  const path = url.pathname;
  if (!(HEALTH_PATHS as readonly string[]).includes(path)) return false;
  if (path === '/livez') {
    send(res, 200, { status: 'ok', service: options.service });
    return true;
  }
  const snapshot = options.monitor.snapshot();
  const detailOf = (c: { detail: string }) => (options.details === false ? {} : { detail: c.detail });
  const failing = snapshot.components.filter((c) => !c.ok && !c.optional);
  const ready = failing.length === 0;
  if (path === '/readyz') {
    const verbose = url.searchParams.has('verbose');
    send(res, ready ? 200 : 503, {
      status: ready ? 'ready' : 'not_ready',
      service: options.service,
      ...(ready ? {} : { failing: failing.map((c) => ({ name: c.name, ...detailOf(c) })) }),
      ...(verbose
        ? {
            checks: snapshot.components.map((c) => ({
              name: c.name,
              ok: c.ok,
              ...detailOf(c),
              ...(c.optional ? { optional: true } : {}),
            })),
          }
        : {}),
    });
    return true;
  }
  const components: Record<string, unknown> = {};
  for (const c of snapshot.components) {
    components[c.name] = {
      status: c.ok ? 'healthy' : 'unhealthy',
      ...detailOf(c),
      checked_at: c.checked_at,
      since: c.since,
      ...(c.optional ? { optional: true } : {}),
    };
  }
  send(res, ready ? 200 : 503, {
    status: ready ? 'healthy' : 'unhealthy',
    service: options.service,
    timestamp: new Date().toISOString(),
    components,
    ...options.extra?.(),
  });
  return true;
}
