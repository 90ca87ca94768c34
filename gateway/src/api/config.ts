import { commonConfigSchema, envInt, envList, envPort, envPositiveInt } from '@marketpulse/runtime';
import { z } from 'zod';
import { authConfigShape } from '../auth';

const address = (port: number, service: string) =>
  z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, { error: 'expected host:port' })
    .default(`127.0.0.1:${port}`)
    .describe(`host:port of the ${service} service's gRPC API.`);

/**
 * The API's environment variables. The gateway's config schema spreads this shape into its own
 * (`serviceConfigSchema('gateway', { ...apiConfigShape, ...})`); apiConfigSchema is the standalone
 * version tests use.
 */
export const apiConfigShape = {
  ...authConfigShape,
  API_DEADLINE_MS: envPositiveInt('a positive number of milliseconds')
    .default(3000)
    .describe(
      "Deadline of every gRPC call the gateway makes (the API's procedures and the predictions door's request_prediction); a service slower than this answers 504, a stopped one 503.",
    ),
  API_RATE_LIMIT_PER_MINUTE: envPositiveInt('a positive number of requests')
    .default(600)
    .describe('Sustained API requests per minute per client (credential, else address); beyond it 429 with Retry-After.'),
  API_RATE_LIMIT_BURST: envPositiveInt('a positive number of requests')
    .default(100)
    .describe('Requests a client may send at once before the per-minute rate applies.'),
  CORS_ALLOWED_ORIGINS: envList().describe(
    'Comma-separated browser origins allowed to call the API (exact, or https://*.example.com). Empty: none, or loopback origins (http://127.0.0.1:*, http://localhost:*) when GATEWAY_ENV=development.',
  ),
  HTTP_MAX_BODY_BYTES: envInt('a byte count')
    .min(1024, { error: 'expected at least 1024 bytes' })
    .max(256 * 1024 * 1024, { error: 'expected at most 268435456 bytes' })
    .default(1024 * 1024)
    .describe(
      'Largest HTTP request body on any route (REST, /trpc, everything else); a larger one is refused with 413 BODY_TOO_LARGE before it is read.',
    ),
  HTTP_REQUEST_TIMEOUT_MS: envInt('milliseconds')
    .min(1000, { error: 'expected at least 1000 ms' })
    .max(3_600_000, { error: 'expected at most 3600000 ms (an hour)' })
    .default(30000)
    .describe(
      "Longest a client may take to send a whole request (headers and body) on the gateway's HTTP ports; a slower one gets 408 REQUEST_TIMEOUT and its connection is closed, so a trickled request cannot hold a connection and its buffers. Responses (tRPC subscriptions, SSE) and WebSocket connections are not limited by it.",
    ),
  TRPC_MAX_BATCH_SIZE: envInt('a call count')
    .min(1, { error: 'expected at least 1' })
    .max(1000, { error: 'expected at most 1000' })
    .default(20)
    .describe(
      'Most calls one /trpc batch request may carry; a larger batch is refused with 400 BATCH_TOO_LARGE. Each call of a batch also counts against API_RATE_LIMIT_PER_MINUTE.',
    ),
  TRPC_MAX_SUBSCRIPTIONS_PER_USER: envInt('a subscription count')
    .min(1, { error: 'expected at least 1' })
    .max(100_000, { error: 'expected at most 100000' })
    .default(100)
    .describe(
      "Most tRPC subscriptions (streams.events) one user may hold open on one gateway process at once; one more is refused with 429 TOO_MANY_SUBSCRIPTIONS until one ends. The development profile's anonymous reader is one user.",
    ),
  GATEWAY_ENV: z
    .enum(['development', 'production'])
    .default('production')
    .describe(
      "development (the one-process suite's default, loopback only): API reads without a credential act as the anonymous reader (scope read, as the WebSocket doors without WS_AUTH_REQUIRED), and loopback origins pass CORS when CORS_ALLOWED_ORIGINS is empty. production: every API call needs a credential.",
    ),
  PUBLISH_GRPC_PORT: envPort().default(50050).describe('Port of the gRPC publish API (realtime.PublishService); 0 picks a free port.'),
  PUBLISH_ID_RETENTION_HOURS: envPositiveInt('whole hours above 0')
    .default(168)
    .describe(
      "How long the publish API remembers an accepted event id: publishing it again within this time is answered 409 DUPLICATE_EVENT (gRPC ALREADY_EXISTS). With BUS=kafka (or several GATEWAY_WORKERS) the ids are in the database; with BUS=memory in the process, also bounded by PUBLISH_ID_MEMORY_MAX, and forgotten at a restart, as the bus's events are.",
    ),
  PUBLISH_ID_LEASE_SECONDS: envPositiveInt('whole seconds above 0')
    .default(60)
    .describe(
      "With BUS=kafka (or several GATEWAY_WORKERS): an accepted event id is recorded as unfinished until the bus has taken the event. A publish of an unfinished id is answered 503 PUBLISH_IN_PROGRESS; once this long has passed since the claim (its gateway stopped before the bus answered), the id is claimed anew and the event published, so a retry after a crash is not refused as a duplicate. Longer than the bus's own retries of one publish.",
    ),
  PUBLISH_ID_MEMORY_MAX: envPositiveInt('a whole number above 0')
    .default(500_000)
    .describe(
      'With BUS=memory and one gateway process: most accepted event ids remembered in memory (about 120 bytes each); past it the oldest are forgotten before PUBLISH_ID_RETENTION_HOURS.',
    ),
  MARKET_DATA_GRPC_ADDR: address(50051, 'market-data'),
  PREDICTION_GRPC_ADDR: address(50052, 'prediction'),
  ALERTING_GRPC_ADDR: address(50053, 'alerting'),
  WEBHOOK_GRPC_ADDR: address(50054, 'webhook-delivery'),
  PROVIDER_MONITOR_GRPC_ADDR: address(50055, 'provider-monitor'),
};

export const apiConfigSchema = commonConfigSchema.extend({ SERVICE_NAME: z.string().min(1).default('gateway'), ...apiConfigShape });

export type ApiConfig = z.output<typeof apiConfigSchema>;
