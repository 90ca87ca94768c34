import { metricsRegistry } from '@marketpulse/runtime';
import type { RouteHandler } from './router';

/** Where /metrics gets its page (prom-client's Registry is one). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** GET /metrics in the Prometheus text format, from `source` (default: the process registry). */
export function metricsRoute(source: MetricsSource = metricsRegistry()): RouteHandler {
  return async (_req, res) => {
    const text = await source.metrics();
    res.writeHead(200, { 'content-type': source.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}
