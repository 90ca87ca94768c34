import { z } from 'zod';
import { envPort } from '../config/env_values';

/**
 * METRICS_PORT and METRICS_HOST, to spread into a service's config schema:
 * `serviceConfigSchema('alerting', { ...metricsConfigShape(9467), ... })`. By convention a
 * service's default port is 9464 (the OpenTelemetry Prometheus port) plus the last digit of its
 * gRPC port (alerting: 50053, so 9467; the gateway's publish API: 50050, so 9464).
 */
export function metricsConfigShape(defaultPort: number) {
  return {
    METRICS_PORT: envPort().default(defaultPort).describe('Port of the Prometheus endpoint (GET /metrics); 0 turns it off.'),
    METRICS_HOST: z
      .string()
      .min(1, { error: 'expected a host or IP address' })
      .default('127.0.0.1')
      .describe('Address the metrics endpoint binds; 0.0.0.0 lets a Prometheus on another host scrape it.'),
  };
}
