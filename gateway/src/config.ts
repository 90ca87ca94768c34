import { ConfigError, loadConfig, serviceConfigSchema, type EnvSource } from '@marketpulse/runtime';
import { z } from 'zod';
import { apiConfigShape } from './api/config';

const ms = (what: string) => z.coerce.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const port = z.coerce.number({ error: 'expected a TCP port' }).int().min(0, { error: 'expected a TCP port' }).max(65535, { error: 'expected a TCP port' });
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** The gateway's environment: runtime's common variables, the WebSocket side's, and the API's (auth included). */
export const gatewayConfigSchema = serviceConfigSchema('gateway', {
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTP/WebSocket server binds; 0.0.0.0 to accept other hosts.'),
  GATEWAY_PORT: port.default(8000).describe('Port of the one HTTP server: WebSocket doors, /health, /info, /ws/stats, and the API routes.'),
  GATEWAY_INSTANCE_ID: z.string().min(1).optional().describe('Name of this instance in /info and in its Kafka consumer group; defaults to host-pid-random, so every instance gets every event.'),
  WS_PING_INTERVAL_MS: ms('milliseconds').default(30000).describe('Heartbeat period: a protocol ping frame, and a {"type":"ping"} message on doors whose seed has one.'),
  WS_PONG_TIMEOUT_MS: ms('milliseconds').default(10000).describe('A connection from which nothing (pong, message) arrives this long after a ping is closed with 4001; must be below WS_PING_INTERVAL_MS.'),
  WS_MAX_CONNECTIONS: ms('a connection count').default(10000).describe('Open connections per instance; one more is accepted and closed with 1013 (try again later).'),
  WS_MAX_MESSAGE_BYTES: ms('bytes').default(1048576).describe('Largest client message; a bigger one closes the connection with 1009.'),
  WS_SEND_QUEUE_BYTES: ms('bytes').default(1048576).describe('Bytes that may wait to be sent to one client; beyond that the client is too slow and is closed with 4002.'),
  WS_RATE_LIMIT: ms('messages per minute').default(60).describe('Client messages per minute per connection; the first excess one gets a RATE_LIMITED error, the next closes with 4003.'),
  WS_ALLOWED_ORIGINS: list.default(['*']).describe('Comma-separated browser origins allowed to connect (`*`, or e.g. https://app.example.com,https://*.example.com); others are closed with 1008.'),
  WS_AUTH_REQUIRED: z.stringbool().default(false).describe('Require a token (?token= or an auth message) on every door; when false, connections without one read every channel.'),
  WS_AUTH_TIMEOUT_MS: ms('milliseconds').default(30000).describe('With auth required, how long a connection without ?token= has to send its auth message before it is closed with 1008.'),
  WS_HISTORY_SIZE: z.coerce.number().int().min(0).default(1000).describe('Messages kept per channel for resume (?since= / subscribe since); 0 disables resume.'),
  WS_DEFLATE: z.stringbool().default(false).describe('Offer permessage-deflate; compressed clients cannot share pre-encoded frames, so this costs CPU per client.'),
  WS_NATIVE_PORT: port.default(0).describe('Also serve the native protocol (/ws/stream) on this port at any path, as seed 002 does on 8765; 0 disables it.'),
  ...apiConfigShape,
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Reads and validates the gateway's environment, including rules that span variables. */
export function loadGatewayConfig(env: EnvSource = process.env): GatewayConfig {
  const config = loadConfig(gatewayConfigSchema, env);
  const problems: string[] = [];
  if (config.WS_PONG_TIMEOUT_MS >= config.WS_PING_INTERVAL_MS) {
    problems.push(`WS_PONG_TIMEOUT_MS (${config.WS_PONG_TIMEOUT_MS}) must be below WS_PING_INTERVAL_MS (${config.WS_PING_INTERVAL_MS})`);
  }
  if (config.WS_AUTH_REQUIRED && !config.JWT_SECRET && !config.JWKS_URL && !config.WS_API_KEYS) {
    problems.push('WS_AUTH_REQUIRED is true but no JWT_SECRET, JWKS_URL or WS_API_KEYS is set, so no client could authenticate');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
