import type { GatewayConfig } from '../config';
import type { Hub } from '../ws/hub';
import type { WsGateway } from '../ws/ws_gateway';
import { sendJson } from './respond';
import type { RouteHandler } from './router';

/**
 * GET /ws/stats (seeds 001/002/004): connections (total, per door), subscriptions per channel,
 * message counters and the limits' counters. Field names follow seed 002's get_stats.
 */
export function wsStatsRoute(config: GatewayConfig, ws: WsGateway, hub: Hub): RouteHandler {
  return (_req, res) => {
    const w = ws.stats();
    const h = hub.stats();
    sendJson(res, 200, {
      is_running: true,
      // With GATEWAY_WORKERS > 1 each answer is one worker's (the one the connection reached): its pid says which.
      pid: process.pid,
      active_clients: w.active_connections,
      active_connections: w.active_connections,
      connections_by_door: w.connections_by_door,
      total_connections: w.counters.total_connections,
      total_subscriptions: h.subscriptions,
      channels: h.subscribers_by_channel,
      messages_sent: w.counters.messages_sent,
      messages_received: w.counters.messages_received,
      publications: h.publications,
      duplicates_dropped: h.duplicates_dropped,
      limits: {
        rejected_at_capacity: w.counters.rejected_at_capacity,
        rejected_origin: w.counters.rejected_origin,
        auth_failures: w.counters.auth_failures,
        slow_disconnects: w.counters.slow_disconnects,
        heartbeat_timeouts: w.counters.heartbeat_timeouts,
        rate_limit_disconnects: w.counters.rate_limit_disconnects,
      },
      config: {
        host: config.GATEWAY_HOST,
        port: config.GATEWAY_PORT,
        max_connections: config.WS_MAX_CONNECTIONS,
        require_auth: config.WS_AUTH_REQUIRED,
      },
    });
  };
}
