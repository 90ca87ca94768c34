import { commonConfigSchema } from '@marketpulse/runtime';
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
  API_DEADLINE_MS: z.coerce.number().int().positive().default(3000).describe('Deadline of every gRPC call the API makes; a service slower than this answers 504, a stopped one 503.'),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600).describe('Sustained API requests per minute per client (credential, else address); beyond it 429 with Retry-After.'),
  API_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(100).describe('Requests a client may send at once before the per-minute rate applies.'),
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .describe('Comma-separated browser origins allowed to call the API (exact, or https://*.example.com). Empty: none, or every origin when GATEWAY_ENV=development.'),
  GATEWAY_ENV: z.enum(['development', 'production']).default('production').describe('development makes CORS permissive when CORS_ALLOWED_ORIGINS is empty.'),
  PUBLISH_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(50050).describe('Port of the gRPC publish API (realtime.PublishService); 0 picks a free port.'),
  MARKET_DATA_GRPC_ADDR: address(50051, 'market-data'),
  PREDICTION_GRPC_ADDR: address(50052, 'prediction'),
  ALERTING_GRPC_ADDR: address(50053, 'alerting'),
  WEBHOOK_GRPC_ADDR: address(50054, 'webhook-delivery'),
  PROVIDER_MONITOR_GRPC_ADDR: address(50055, 'provider-monitor'),
};

export const apiConfigSchema = commonConfigSchema.extend({ SERVICE_NAME: z.string().min(1).default('gateway'), ...apiConfigShape });

export type ApiConfig = z.output<typeof apiConfigSchema>;
