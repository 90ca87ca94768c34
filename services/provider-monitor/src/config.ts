import {
  envPort,
  envPositiveInt,
  loadConfig as loadEnv,
  metricsConfigShape,
  serviceConfigSchema,
  type EnvSource,
} from '@marketpulse/runtime';
import { z } from 'zod';
import { parseProviders, type ProviderDefaults } from './registry/provider_definition';

/** Defaults for checking MONITOR_PROVIDERS' entries alone; the service applies the configured ones. */
const ENTRY_CHECK_DEFAULTS: ProviderDefaults = { interval_seconds: 1, timeout_ms: 1, degraded_latency_ms: 1, failures_before_offline: 1 };

export const providerMonitorConfigSchema = serviceConfigSchema('provider-monitor', {
  GRPC_PORT: envPort().default(50055).describe('Port of the ProviderMonitorService gRPC server.'),
  ...metricsConfigShape(9469),
  MONITOR_PROVIDERS: z
    .string()
    .default('')
    // Checked with the rest of the configuration (--check-config too), not only when the service starts.
    .superRefine((json, ctx) => {
      try {
        parseProviders(json, ENTRY_CHECK_DEFAULTS);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .describe(
      'JSON array of HTTP providers to check: [{"name","url","category"?,"method"?,"expect_status"?,"headers"?,"interval_seconds"?,"timeout_ms"?,"degraded_latency_ms"?,"failures_before_offline"?,"rate_limit"?:{"limit","per":"second|minute|hour|day"},"api_key_env"?}].',
    ),
  MARKET_DATA_GRPC_ADDR: z
    .string()
    .default('127.0.0.1:50051')
    .describe('market-data gRPC address; its feeds are monitored through GetProviderStats. Empty to monitor configured providers only.'),
  ALERTING_GRPC_ADDR: z
    .string()
    .default('127.0.0.1:50053')
    .describe('alerting gRPC address, asked for the unacknowledged-alert count of status updates. Empty to report 0.'),
  MONITOR_CHECK_INTERVAL_SECONDS: z.coerce
    .number()
    .positive()
    .default(30)
    .describe('Default seconds between health checks of one provider.'),
  MONITOR_CHECK_TIMEOUT_MS: envPositiveInt('a positive number of milliseconds')
    .default(5000)
    .describe('Default health-check timeout; a slower answer is a failure (timeout).'),
  MONITOR_DEGRADED_LATENCY_MS: envPositiveInt('a positive number of milliseconds')
    .default(1000)
    .describe('Default response time above which a provider is degraded.'),
  MONITOR_FAILURES_BEFORE_OFFLINE: envPositiveInt('a positive integer')
    .default(2)
    .describe('Consecutive failed checks after which a provider is offline (fewer: degraded).'),
  MONITOR_STATUS_INTERVAL_MS: envPositiveInt('a positive number of milliseconds')
    .default(10_000)
    .describe('Interval of the status snapshot: status_update events and the metrics history.'),
  MONITOR_RATE_LIMIT_INTERVAL_MS: envPositiveInt('a positive number of milliseconds')
    .default(60_000)
    .describe('Interval of the rate-limit snapshot (usage logs and alarms).'),
  MONITOR_CLEANUP_INTERVAL_MS: envPositiveInt('a positive number of milliseconds')
    .default(3_600_000)
    .describe('Interval of the data cleanup job.'),
  MONITOR_RETENTION_HOURS: z.coerce
    .number()
    .positive()
    .default(168)
    .describe('Logs, status changes and metrics older than this are deleted by the cleanup job.'),
  MONITOR_RATE_LIMIT_ALERT_PERCENTAGE: z.coerce
    .number()
    .positive()
    .max(100)
    .default(80)
    .describe('Usage percentage at which rate_limit_alert is raised.'),
  MONITOR_TRIGGER_WAIT_MS: envPositiveInt('a positive number of milliseconds')
    .default(3000)
    .describe('How long TriggerJob waits for the job to finish before answering "still running".'),
});

export type ProviderMonitorConfig = z.output<typeof providerMonitorConfigSchema>;

export function loadConfig(env: EnvSource = process.env): ProviderMonitorConfig {
  return loadEnv(providerMonitorConfigSchema, env);
}
