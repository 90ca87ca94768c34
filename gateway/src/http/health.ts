import type { HealthMonitor } from '@marketpulse/runtime';
import type { WsGateway } from '../ws/ws_gateway';
import { sendJson } from './respond';
import type { RouteHandler } from './router';

/** Components whose failure makes the gateway unable to do its job (503); others only degrade it. */
const CRITICAL = new Set(['bus', 'event_consumer']);

/**
 * GET /health (seeds 003/004): overall status, then each component: the bus, the prediction
 * service, the WebSocket server. 200 when healthy or degraded, 503 when unhealthy, so a load
 * balancer stops routing to an instance that cannot deliver events.
 */
export function healthRoute(monitor: HealthMonitor, ws: WsGateway): RouteHandler {
  return (_req, res) => {
    const snapshot = monitor.snapshot();
    const components: Record<string, unknown> = {};
    for (const c of snapshot.components) {
      components[c.name] = { status: c.ok ? 'healthy' : 'unhealthy', detail: c.detail, checked_at: c.checked_at, since: c.since };
    }
    components.websocket = { status: 'running', active_connections: ws.size };
    const failed = snapshot.components.filter((c) => !c.ok);
    const status = failed.some((c) => CRITICAL.has(c.name)) ? 'unhealthy' : failed.length > 0 ? 'degraded' : 'healthy';
    sendJson(res, status === 'unhealthy' ? 503 : 200, {
      status,
      timestamp: new Date().toISOString(),
      active_connections: ws.size,
      components,
    });
  };
}
