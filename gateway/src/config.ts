import {
  ConfigError,
  envBoolean,
  envList,
  envNonNegativeInt,
  envPort,
  envPositiveInt,
  loadConfig,
  metricsConfigShape,
  serviceConfigSchema,
  type EnvSource,
} from '@marketpulse/runtime';
import { z } from 'zod';
import { apiConfigShape } from './api/config';
import { invalidHostEntries } from './http/allowed_hosts';
import { invalidProxyEntries } from './http/client_address';

const quoted = (entries: string[]) => entries.map((e) => `'${e}'`).join(', ');

/** The gateway's environment: runtime's common variables, the WebSocket side's, and the API's (auth included). */
export const gatewayConfigSchema = serviceConfigSchema('gateway', {
  GATEWAY_HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTP/WebSocket server binds; 0.0.0.0 to accept other hosts.'),
  GATEWAY_PORT: envPort()
    .default(8000)
    .describe(
      'Port of the one HTTP server: WebSocket doors, /health, /info, /ws/stats, the API routes and /metrics (which needs an ops:read credential in production or with WS_AUTH_REQUIRED; a scraper reads METRICS_PORT instead).',
    ),
  GATEWAY_INSTANCE_ID: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Name of this instance in /info and in its Kafka consumer group; defaults to host-pid-random, so every instance gets every event.',
    ),
  GATEWAY_WORKERS: envPositiveInt('a worker count')
    .max(256, { error: 'expected a worker count from 1 to 256' })
    .optional()
    .describe(
      'Worker processes sharing GATEWAY_PORT, WS_NATIVE_PORT and PUBLISH_GRPC_PORT (node:cluster): each connection is served by one worker, every event reaches every worker once. Unset: one per core (os.availableParallelism()). 1: one process, no primary. The one-process suite runs the gateway in its own process (one). See gateway/README.md "Workers".',
    ),
  WS_PING_INTERVAL_MS: envPositiveInt('milliseconds')
    .default(30000)
    .describe('Heartbeat period: a protocol ping frame, and a {"type":"ping"} message on doors whose seed has one.'),
  WS_PONG_TIMEOUT_MS: envPositiveInt('milliseconds')
    .default(10000)
    .describe(
      'A connection from which nothing (pong, message) arrives this long after a ping is closed with 4001; must be below WS_PING_INTERVAL_MS.',
    ),
  WS_MAX_CONNECTIONS: envPositiveInt('a connection count')
    .default(10000)
    .describe('Open connections per instance; one more is accepted and closed with 1013 (try again later).'),
  WS_MAX_MESSAGE_BYTES: envPositiveInt('bytes')
    .default(1048576)
    .describe('Largest client message; a bigger one closes the connection with 1009.'),
  WS_SEND_QUEUE_BYTES: envPositiveInt('bytes')
    .default(1048576)
    .describe('Bytes that may wait to be sent to one client; beyond that the client is too slow and is closed with 4002.'),
  WS_RATE_LIMIT: envPositiveInt('messages per minute')
    .default(60)
    .describe('Client messages per minute per connection; the first excess one gets a RATE_LIMITED error, the next closes with 4003.'),
  WS_ALLOWED_ORIGINS: envList().describe(
    "Comma-separated browser origins (Origin header) allowed to open a WebSocket, as CORS_ALLOWED_ORIGINS: exact, https://*.example.com, or `*` for any page. Empty: loopback origins (http://127.0.0.1:*, http://localhost:*) when GATEWAY_ENV=development, none in production. The gateway's own origin (the dashboard it serves) and clients sending no Origin (SDKs, servers) are always allowed; others are closed with 1008 ORIGIN_NOT_ALLOWED.",
  ),
  WS_AUTH_REQUIRED: envBoolean
    .default(false)
    .describe('Require a token (?token= or an auth message) on every door; when false, connections without one read every channel.'),
  WS_AUTH_TIMEOUT_MS: envPositiveInt('milliseconds')
    .default(30000)
    .describe('With auth required, how long a connection without ?token= has to send its auth message before it is closed with 1008.'),
  WS_HISTORY_SIZE: envNonNegativeInt('a count (0 or more)')
    .default(1000)
    .describe(
      "Messages kept in memory per channel (a door's channel, `events`, and one per event type) for resume (?since= / subscribe since / lastEventId); what falls out is read back from Kafka. 0 keeps none.",
    ),
  WS_HISTORY_MAX_AGE_MS: envPositiveInt('milliseconds')
    .default(300000)
    .describe("Oldest message kept in a channel's in-memory history; older ones are read back from Kafka on resume."),
  WS_HUB_MAX_IDLE_CHANNELS: envPositiveInt('a channel count')
    .default(10000)
    .describe(
      'Channels without a subscriber the hub keeps with their history (e.g. the market-data channels of symbols no client follows); past it the least recently published are dropped, and idle channels whose history is older than WS_HISTORY_MAX_AGE_MS are dropped every minute (or that age, if shorter). A resume across a dropped channel reads it back from Kafka.',
    ),
  WS_HISTORY_WARM_COUNT: envNonNegativeInt('a count (0 or more)')
    .default(5000)
    .describe(
      'At start, records read back per Kafka partition of the event topics into the history and the resume index (with BUS=kafka), before the instance is ready; bounds how far back ids are known after a restart.',
    ),
  WS_HISTORY_WARM_AGE_MS: envPositiveInt('milliseconds')
    .default(600000)
    .describe('At start, records older than this are not read back (see WS_HISTORY_WARM_COUNT).'),
  WS_RESUME_INDEX_SIZE: envNonNegativeInt('a count (0 or more)')
    .default(200000)
    .describe(
      "Event ids the instance maps to their Kafka position (about 200 bytes each): a client resumes from Kafka for any id still in this index and in Kafka's retention.",
    ),
  WS_RESUME_INDEX_MAX_AGE_MS: envPositiveInt('milliseconds')
    .default(3600000)
    .describe('Ids older than this (since the instance handled them) leave the resume index.'),
  WS_RESUME_READ_RATE: envPositiveInt('events per second')
    .default(50000)
    .describe(
      'Events per second one resuming client is sent at most while it is read back from Kafka, or replayed from memory past one WS_RESUME_READ_CHUNK.',
    ),
  WS_RESUME_READ_CHUNK: envPositiveInt('an event count')
    .default(100)
    .describe(
      'Records a Kafka read-back (or a replay from memory) handles between two yields to the event loop, so live delivery to other clients never waits behind it; a resume from memory of at most this many events is sent at once.',
    ),
  WS_RESUME_MAX_READS: envPositiveInt('a read count')
    .default(4)
    .describe('Kafka read-backs running at once per instance; more wait their turn (their clients get live events once theirs is done).'),
  WS_DEFLATE: envBoolean
    .default(false)
    .describe('Offer permessage-deflate; compressed clients cannot share pre-encoded frames, so this costs CPU per client.'),
  ACCESS_LOG_SAMPLE_RATIO: z.coerce
    .number({ error: 'expected a ratio from 0 to 1' })
    .min(0, { error: 'expected a ratio from 0 to 1' })
    .max(1, { error: 'expected a ratio from 0 to 1' })
    .default(1)
    .describe(
      'Share of ordinary access-log lines written (HTTP answers below 400, WebSocket opens and 1000/1001 closes); errors, refusals and abnormal closes are always written. 0 keeps only those.',
    ),
  WS_NATIVE_PORT: envPort()
    .default(0)
    .describe('Also serve the native protocol (/ws/stream) on this port at any path, as seed 002 does on 8765; 0 disables it.'),
  WS_MAX_CONNECTIONS_PER_ADDRESS: envPositiveInt('a connection count')
    .default(1000)
    .describe(
      'Open WebSocket connections per client address per instance (see TRUSTED_PROXIES; without it the TCP peer, so behind a proxy the proxy); one more is closed with 1013. Bounds what one host can hold of WS_MAX_CONNECTIONS.',
    ),
  TRUSTED_PROXIES: envList()
    .refine((entries) => invalidProxyEntries(entries).length === 0, {
      error: (issue) =>
        `expected comma-separated IP addresses or CIDR blocks such as 10.0.0.5, 10.0.0.0/8 or fd00::/8; ${quoted(invalidProxyEntries(issue.input as string[]))} are not`,
    })
    .describe(
      "Comma-separated IP addresses or CIDR blocks of the load balancers and proxies in front of the gateway. A request whose TCP peer is one of them is from the rightmost address that is not: the for= of its RFC 7239 Forwarded header when it sends one (its host= and proto= then count for the gateway's own origin and the host check), else X-Forwarded-For (with X-Forwarded-Host and X-Forwarded-Proto); Forwarded wins when both are sent. A missing or malformed header, or for=unknown or an obfuscated _name, leaves the peer. That address is what the per-address limits (API_RATE_LIMIT_*, WS_MAX_CONNECTIONS_PER_ADDRESS) count and the access log shows; the publish gRPC API reads the same from its forwarded and x-forwarded-for metadata. Empty: the TCP peer, and Forwarded and X-Forwarded-* are ignored.",
    ),
  GATEWAY_ALLOWED_HOSTS: envList()
    .refine((entries) => invalidHostEntries(entries).length === 0, {
      error: (issue) =>
        `expected comma-separated host names such as api.example.com, suffixes such as .example.com or *.example.com, or *; ${quoted(invalidHostEntries(issue.input as string[]))} are not`,
    })
    .describe(
      "Comma-separated host names the gateway answers for (the Host header, or a trusted proxy's Forwarded host= or X-Forwarded-Host; ports ignored): exact names, `.example.com` or `*.example.com` for a domain and every name under it, or `*` for any. IP addresses, localhost and *.localhost are always answered. Any other host gets 421 HOST_NOT_ALLOWED before any route or door, so a DNS-rebinding page (a name of an attacker's resolving to the gateway) reads nothing. Empty: only those IP addresses and loopback names, in both profiles (production logs a warning at start-up), so a gateway reached by name must name its public host(s) here.",
    ),
  WS_CLOSE_UNKNOWN_SYMBOLS: envBoolean
    .default(true)
    .describe(
      "Close /ws/market-data/{symbol} and /ws/predictions/{symbol} for a symbol market-data's ListSymbols does not carry (an UNKNOWN_SYMBOL error, then 4005) instead of leaving them silent; an unreachable market-data closes nothing. false when other publishers send events for symbols market-data does not list.",
    ),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: envPositiveInt('a subscription count')
    .default(16)
    .describe(
      'Subscriptions one /ws/stream connection may hold (an identical subscribe is acknowledged, not added); one more gets TOO_MANY_SUBSCRIPTIONS. Each is one more filter pass over every event.',
    ),
  // The scraper's own port (9464: the publish API's 50050, as the services' convention), every metric
  // freely; the public port's /metrics needs ops:read in production (gateway/README.md "Metrics").
  ...metricsConfigShape(9464),
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
  if (config.GATEWAY_ENV === 'development' && !['127.0.0.1', 'localhost', '::1'].includes(config.GATEWAY_HOST)) {
    problems.push(
      `GATEWAY_ENV=development opens API reads without a credential, so it binds loopback only: set GATEWAY_HOST=127.0.0.1 (got ${config.GATEWAY_HOST}) or GATEWAY_ENV=production`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
