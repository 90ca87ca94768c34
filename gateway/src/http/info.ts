import type { GatewayConfig } from '../config';
import { sendJson } from './respond';
import type { RouteHandler } from './router';

export interface InfoFacts {
  instanceId: string;
  version: string;
  startedAt: Date;
  websocketPaths: readonly string[];
  /** Port of the native protocol server once it listens. */
  nativePort: () => number | undefined;
}

/** GET /info (seed 004): what this instance is, what it serves and with which limits. */
export function infoRoute(config: GatewayConfig, facts: InfoFacts): RouteHandler {
  return (_req, res) => {
    sendJson(res, 200, {
      service: 'marketpulse-gateway',
      version: facts.version,
      instance_id: facts.instanceId,
      started_at: facts.startedAt.toISOString(),
      uptime_seconds: Math.round((Date.now() - facts.startedAt.getTime()) / 1000),
      node_version: process.version,
      bus: config.BUS,
      endpoints: {
        websocket: facts.websocketPaths,
        native_websocket_port: facts.nativePort() ?? null,
        http: ['/health', '/info', '/ws/stats'],
      },
      websocket: {
        auth_required: config.WS_AUTH_REQUIRED,
        ping_interval_ms: config.WS_PING_INTERVAL_MS,
        pong_timeout_ms: config.WS_PONG_TIMEOUT_MS,
        max_connections: config.WS_MAX_CONNECTIONS,
        max_message_bytes: config.WS_MAX_MESSAGE_BYTES,
        send_queue_bytes: config.WS_SEND_QUEUE_BYTES,
        rate_limit_per_minute: config.WS_RATE_LIMIT,
        history_size: config.WS_HISTORY_SIZE,
        deflate: config.WS_DEFLATE,
      },
    });
  };
}
