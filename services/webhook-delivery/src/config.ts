import {
  envBoolean,
  envPort,
  envPositiveInt,
  loadConfig as loadEnv,
  metricsConfigShape,
  serviceConfigSchema,
  type EnvSource,
} from '@marketpulse/runtime';
import { z } from 'zod';
import { parseSchedule } from './retry_schedule/retry_schedule';

export const webhookDeliveryConfigSchema = serviceConfigSchema('webhook-delivery', {
  GRPC_PORT: envPort().default(50054).describe('Port of the WebhookService gRPC server (0 picks a free one).'),
  ...metricsConfigShape(9468),
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default('5s,30s,5m')
    .refine(
      (v) => {
        try {
          parseSchedule(v);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'expected comma-separated durations such as 5s,30s,5m or 200ms,500ms' },
    )
    .describe(
      'Waits between attempts (ms, s, m, h, d; a bare number is ms). One attempt at once, then one retry per wait, then the delivery fails. Longer schedules such as 5s,5m,30m,2h,5h,10h,10h work too.',
    ),
  WEBHOOK_RETRY_JITTER: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('Each retry wait moves randomly by up to this fraction either way (0 disables jitter).'),
  WEBHOOK_RETRY_AFTER_MAX_MS: envPositiveInt('milliseconds')
    .default(3_600_000)
    .describe("Longest wait a receiver's Retry-After header can ask for; longer requests are cut to this."),
  WEBHOOK_TIMEOUT_MS: envPositiveInt('milliseconds')
    .default(15_000)
    .describe('An attempt succeeds only with a 2xx response within this time.'),
  WEBHOOK_WORKERS: envPositiveInt('a positive integer')
    .default(32)
    .describe('Deliveries this process sends at once, besides the slow ones waiting for their answers (WEBHOOK_SLOW_ATTEMPT_MS).'),
  WEBHOOK_SLOW_ATTEMPT_MS: envPositiveInt('milliseconds')
    .default(2_000)
    .describe(
      'An attempt still waiting for its answer after this gives its worker back and waits beside the workers until its answer or WEBHOOK_TIMEOUT_MS, so endpoints that never answer cannot hold every worker: before, a few users with such endpoints held all 32 for 15 s at a time and every other delivery waited. At or above WEBHOOK_TIMEOUT_MS attempts keep their workers to the end.',
    ),
  WEBHOOK_MAX_WAITING_ATTEMPTS: envPositiveInt('a positive integer')
    .default(128)
    .describe(
      'Slow attempts (WEBHOOK_SLOW_ATTEMPT_MS) waiting at once without a worker; each holds a socket until its answer or timeout. Past this, slow attempts keep their workers until one of the waiting ends (logged as webhook.waiting_attempts_full). Per endpoint and per user a waiting attempt still counts as in flight.',
    ),
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: envPositiveInt('a positive integer')
    .default(24)
    .describe(
      "The most deliveries to one endpoint this process sends at once; the endpoint's others wait. An endpoint starts at 2 and earns one more with each attempt that ends within WEBHOOK_TIMEOUT_MS, up to this; a timed-out attempt puts it back to 2. So an endpoint that never answers holds 2 workers, and a fast one reaches this in a few round trips. Lower shares the workers more evenly and costs one fast endpoint throughput (bench/webhooks: 24 of 32 about as fast as no cap, 16 about half).",
    ),
  WEBHOOK_MAX_IN_FLIGHT_PER_USER: envPositiveInt('a positive integer')
    .default(24)
    .describe(
      "The most deliveries to one user's endpoints this process sends at once, whichever endpoints they go to; that user's others wait. Each endpoint that never answers holds 2 workers, and a user may have WEBHOOK_MAX_ENDPOINTS_PER_USER endpoints: without this, sixteen of them held all 32. At 24 of 32 workers, one user's endpoints leave 8 for everyone else.",
    ),
  WEBHOOK_MAX_ENDPOINTS_PER_USER: envPositiveInt('a positive integer')
    .default(50)
    .describe(
      'Webhook endpoints one user may have; creating one more is refused (TOO_MANY_ENDPOINTS). Each endpoint is one more delivery of every event it takes.',
    ),
  WEBHOOK_POLL_MS: envPositiveInt('milliseconds').default(250).describe('How often an idle worker looks for due deliveries.'),
  WEBHOOK_LEASE_MS: envPositiveInt('milliseconds')
    .default(60_000)
    .describe(
      'How long a claimed delivery stays with its worker; after that (the worker died) another claims it. Keep it above WEBHOOK_TIMEOUT_MS.',
    ),
  WEBHOOK_DISABLE_AFTER_MS: envPositiveInt('milliseconds')
    .default(5 * 24 * 3_600_000)
    .describe('An endpoint whose every attempt has failed for this long is disabled, and a system_error event says so.'),
  WEBHOOK_MAX_RATE_QUEUE_MS: envPositiveInt('milliseconds')
    .default(3_600_000)
    .describe(
      "How far ahead a rate-limited endpoint's deliveries may be queued. An endpoint whose queue reaches past this (it takes more events than its rate_limit_per_second lets out) is disabled, and a system_error event says so; what it has queued is cancelled as it comes due, as for any disabled endpoint. Without it an endpoint limited to 1 a second that takes 145 events a second queued them for days.",
    ),
  WEBHOOK_MAX_PAYLOAD_BYTES: envPositiveInt('bytes')
    .default(256 * 1024)
    .describe('Largest JSON body sent; a larger event is recorded as a failed delivery instead.'),
  WEBHOOK_MAX_RESPONSE_BYTES: envPositiveInt('bytes')
    .default(1024)
    .describe('Bytes of a response body read and kept as the attempt excerpt; the rest is never downloaded.'),
  WEBHOOK_ALLOW_LOOPBACK: envBoolean
    .default(false)
    .describe('Allow endpoint URLs on loopback addresses (127.0.0.0/8, ::1), e.g. for local tests.'),
  WEBHOOK_ALLOW_PRIVATE: envBoolean.default(false).describe('Allow endpoint URLs on private, carrier-grade NAT and link-local addresses.'),
  WEBHOOK_SECRET_OVERLAP_S: envPositiveInt('seconds')
    .default(86_400)
    .describe('Default time a rotated-out secret keeps signing next to the new one.'),
  WEBHOOK_INTAKE_CONSUMERS: envPositiveInt('a positive integer')
    .default(1)
    .describe(
      'Kafka consumer-group members intake runs in this process. One member already consumes up to 16 partitions side by side; more help only when more partitions than that are busy at once.',
    ),
  WEBHOOK_CONSUMER_GROUP: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Kafka consumer group of intake, shared by every replica; defaults to SERVICE_NAME (the bus prefixes it with KAFKA_TOPIC_PREFIX, so deployments with different topic prefixes on one cluster never share a group).',
    ),
});

export type WebhookDeliveryConfig = z.output<typeof webhookDeliveryConfigSchema>;

export function loadConfig(env: EnvSource = process.env): WebhookDeliveryConfig {
  return loadEnv(webhookDeliveryConfigSchema, env);
}
