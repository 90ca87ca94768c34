import { z } from 'zod';
import { envPositiveInt, envPort } from '../config/env_values';
import { DEFAULT_EVENT_LOOP_SAMPLE_MS } from './event_loop_delay';

/**
 * METRICS_PORT, METRICS_HOST and METRICS_EVENT_LOOP_SAMPLE_MS, to spread into a service's config schema:
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
    METRICS_EVENT_LOOP_SAMPLE_MS: envPositiveInt('a number of milliseconds from 1 to 60000')
      .max(60_000, { error: 'expected a number of milliseconds from 1 to 60000' })
      .default(DEFAULT_EVENT_LOOP_SAMPLE_MS)
      .describe(
        "How often the event-loop delay (nodejs_eventloop_lag_*_seconds) is sampled, in ms. Each sample wakes the process, even an idle one: at 10 ms (prom-client's default) the gateway spent ~10 % more CPU per published event at 1,000 events/s.",
      ),
  };
}
