import { canRead } from '../auth';
import { CLOSE } from '../codes';
import { jsonFrame } from '../encode';
import type { ChannelEncoder } from '../hub';
import type { Publication } from '../history';
import { eventFields, flatAuthReply, flatError, nowIso, type Door } from './door';
import { SYSTEM_CHANNEL } from './trading';

export const STATUS_CHANNEL = 'status';
export const PROVIDERS_CHANNEL = 'providers';
const CHANNELS = [STATUS_CHANNEL, PROVIDERS_CHANNEL, SYSTEM_CHANNEL];

/**
 * `/ws/live` (seed 004, the API monitoring dashboard): connection_established {client_id},
 * status_update {system_metrics, alert_count, active_websocket_clients} every 10 s (the
 * provider-monitor's cadence), new_log_entry {log_type, data}, rate_limit_alert {provider,
 * percentage, ...} and provider_status_change {provider, old_status, new_status}, flat as in the
 * seed, and ping every WS_PING_INTERVAL_MS.
 */
export function createLiveDoor(activeClients: () => number): Door {
  const encoder: ChannelEncoder = {
    key: 'live',
    encode(pub: Publication) {
      const common = { timestamp: pub.time, ...eventFields(pub) };
      switch (pub.type) {
        case 'status_update':
          return jsonFrame({ type: 'status_update', ...pub.data, active_websocket_clients: activeClients(), ...common });
        case 'rate_limit_alert':
        case 'provider_status_change':
          return jsonFrame({ type: pub.type, ...pub.data, ...common });
        case 'system_log':
        case 'system_error':
          return jsonFrame({ type: 'new_log_entry', log_type: pub.type === 'system_log' ? 'system' : 'error', data: pub.data, ...common });
        default:
          return null;
      }
    },
  };

  return {
    name: 'live',
    appPing: true,
    match: (pathname) => (pathname === '/ws/live' ? {} : null),
    open(conn, _params, { since }) {
      const channels = CHANNELS.filter((c) => canRead(conn.claims!, c));
      if (channels.length === 0) {
        conn.sendError('CHANNEL_FORBIDDEN', CHANNELS.join(', '));
        return conn.close(CLOSE.CHANNEL_FORBIDDEN);
      }
      conn.send({
        type: 'connection_established',
        client_id: conn.id,
        timestamp: nowIso(),
        message: 'Connected to Marketpulse live monitoring',
        id: conn.newestId(channels) ?? null,
      });
      conn.subscribeFrom(channels, encoder, since);
    },
    message(conn, msg) {
      conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
    },
    error: flatError,
    authReply: flatAuthReply,
  };
}
