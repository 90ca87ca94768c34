import type { IncomingMessage } from 'node:http';
import type { HealthMonitor } from '@marketpulse/runtime';
import type { WsGateway } from '../ws/ws_gateway';
import { sendJson } from './respond';
import type { RouteHandler } from './router';

/**
 * GET /health (seeds 003/004): overall status, then each component: the bus, the event consumer,
 * the database, each service the gateway calls, the WebSocket server. Every component is one the
 * gateway needs, so any failing one makes it unhealthy and the answer 503 (the same verdict as
 * /readyz): a load balancer stops routing to an instance that cannot do its whole job, and the
 * failing component names the cause. What each check said (`detail`) only to whoever may read it
 * (operatorDetails).
 */
export function healthRoute(
  monitor: HealthMonitor,
  ws: WsGateway,
  mayReadDetails: (req: IncomingMessage) => Promise<boolean>,
): RouteHandler {
  return async (req, res) => {
    const details = await mayReadDetails(req);
    const snapshot = monitor.snapshot();
    const components: Record<string, unknown> = {};
    for (const c of snapshot.components) {
      components[c.name] = {
        status: c.ok ? 'healthy' : 'unhealthy',
        ...(details ? { detail: c.detail } : {}),
        checked_at: c.checked_at,
        since: c.since,
      };
    }
    components.websocket = { status: 'running', active_connections: ws.size };
    const failed = snapshot.components.filter((c) => !c.ok);
    const status = failed.length > 0 ? 'unhealthy' : 'healthy';
    sendJson(res, status === 'unhealthy' ? 503 : 200, {
      status,
      timestamp: new Date().toISOString(),
      active_connections: ws.size,
      ...(failed.length > 0 ? { failing: failed.map((c) => c.name) } : {}),
      components,
    });
  };
}
