import { CHANNELS } from '@marketpulse/runtime';
import { jsonFrame } from '../encode';
import type { ChannelEncoder } from '../hub';
import type { Publication } from '../history';
import { eventFields, flatAuthReply, flatError, nowIso, openChannels, rejectMessage, type Door } from './door';

const LIVE_CHANNELS = [CHANNELS.status, CHANNELS.providers, CHANNELS.system];

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
    open(conn, _params, resume) {
      const welcome = {
        type: 'connection_established',
        client_id: conn.id,
        timestamp: nowIso(),
        message: 'Connected to Marketpulse live monitoring',
      };
      openChannels(conn, LIVE_CHANNELS, welcome, encoder, resume);
    },
    message: rejectMessage,
    error: flatError,
    authReply: flatAuthReply,
  };
}
