import { metricsRegistry } from '@marketpulse/runtime';
import { Counter, Histogram, type Registry } from 'prom-client';

/** HTTP figures of the API, in prom-client's default registry (so other modules can add theirs). */
export interface ApiMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
  rateLimited(): void;
}

/** `registry` defaults to the process's one registry, which also carries the process_* and nodejs_* metrics once. */
export function createApiMetrics(registry: Registry = metricsRegistry()): ApiMetrics {
  const requests =
    (registry.getSingleMetric('marketpulse_http_requests_total') as Counter<'method' | 'route' | 'status'> | undefined) ??
    new Counter({
      name: 'marketpulse_http_requests_total',
      help: 'API requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('marketpulse_http_request_duration_seconds') as Histogram<'method' | 'route'> | undefined) ??
    new Histogram({
      name: 'marketpulse_http_request_duration_seconds',
      help: 'API request duration by method and route template.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  const limited =
    (registry.getSingleMetric('marketpulse_http_rate_limited_total') as Counter | undefined) ??
    new Counter({ name: 'marketpulse_http_rate_limited_total', help: 'API requests refused with 429.', registers: [registry] });
  return {
    observe(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
    rateLimited: () => limited.inc(),
  };
}
