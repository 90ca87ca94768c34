import {
  envBoolean,
  envPort,
  envPositiveInt,
  loadConfig as loadEnv,
  grpcStreamConfigShape,
  metricsConfigShape,
  serviceConfigSchema,
  type EnvSource,
} from '@marketpulse/runtime';
import { z } from 'zod';

export const alertingConfigSchema = serviceConfigSchema('alerting', {
  GRPC_PORT: envPort().default(50053).describe('Port of the AlertingService gRPC server.'),
  ...metricsConfigShape(9467),
  ...grpcStreamConfigShape(),
  ALERT_DEFAULT_COOLDOWN_SECONDS: envPositiveInt('a positive number of seconds')
    .default(300)
    .describe('Cooldown of rules whose cooldown_seconds is 0: the least time between two alerts of one rule and subject.'),
  MARKET_DATA_GRPC_ADDR: z
    .string()
    .default('127.0.0.1:50051')
    .describe('market-data gRPC address, asked which symbols exist when a rule is created; empty to ask no one.'),
  ALERT_KNOWN_SYMBOLS: z
    .string()
    .default('')
    .describe('Comma-separated symbols accepted in rules besides those market data lists or has ticked.'),
  ALERT_CONSUMER_GROUP: z.string().optional().describe('Kafka consumer group of the evaluator; defaults to SERVICE_NAME.'),
  ALERT_STREAM_CONSUMER_GROUP: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Kafka consumer group in which this instance reads every instance's alert_triggered events for StreamAlerts; must differ per instance. Defaults to SERVICE_NAME-stream-host-pid-random.",
    ),
  ALERT_CONSUME_FROM_BEGINNING: envBoolean
    .default(false)
    .describe('When the consumer group is new, evaluate the retained events instead of starting at the end.'),
  ALERT_SYSTEM_RULES: envBoolean
    .default(true)
    .describe('Create the built-in system rules (rate limit >= 80 %, provider status change, data quality, system error) when none exist.'),
  ALERT_MAX_RULES_PER_USER: envPositiveInt('a positive integer')
    .default(100)
    .describe(
      "Alert rules one user may have; creating one more is refused (TOO_MANY_RULES). Every rule is held in memory, re-read when another instance changed the set (checked every ALERT_RULE_REFRESH_MS) and tried on every event of its symbol or subject, so one user's rules cost every user's alerts time.",
    ),
  ALERT_RULE_REFRESH_MS: envPositiveInt('a positive number of milliseconds')
    .default(5000)
    .describe('How often an instance asks whether the stored rules changed (through other instances) and, only then, reads them again.'),
  ALERT_OUTBOX_RETRY_MS: envPositiveInt('a positive number of milliseconds')
    .default(2000)
    .describe('How often unpublished alert events are retried while the bus is away.'),
});

export type AlertingConfig = z.output<typeof alertingConfigSchema>;

export function loadConfig(env: EnvSource = process.env): AlertingConfig {
  return loadEnv(alertingConfigSchema, env);
}
