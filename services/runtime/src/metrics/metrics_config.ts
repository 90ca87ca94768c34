import { z } from 'zod';

/**
 * Default METRICS_PORT of each process: 9464 (the OpenTelemetry Prometheus port) plus the last
 * digit of its gRPC port. The gateway serves /metrics on its HTTP port (8000) instead.
 */
export const DEFAULT_METRICS_PORTS = {
  'market-data': 9465,
  prediction: 9466,
  alerting: 9467,
  'webhook-delivery': 9468,
  'provider-monitor': 9469,
} as const;

/**
 * METRICS_PORT and METRICS_HOST, to spread into a service's config schema:
 * `serviceConfigSchema('alerting', { ...metricsConfigShape(DEFAULT_METRICS_PORTS.alerting), ... })`.
 */
export function metricsConfigShape(defaultPort: number) {
  return {
    METRICS_PORT: z.coerce
      .number({ error: 'expected a TCP port' })
      .int({ error: 'expected a TCP port' })
      .min(0, { error: 'expected a TCP port' })
      .max(65535, { error: 'expected a TCP port' })
      .default(defaultPort)
      .describe('Port of the Prometheus endpoint (GET /metrics); 0 turns it off.'),
    METRICS_HOST: z
      .string()
      .min(1, { error: 'expected a host or IP address' })
      .default('127.0.0.1')
      .describe('Address the metrics endpoint binds; 0.0.0.0 lets a Prometheus on another host scrape it.'),
  };
}
