import { CHANNELS } from '@marketpulse/runtime';
import { flatAuthReply, flatError, nowIso, openChannels, rejectMessage, type Door } from './door';
import { liveEncoder } from './door_encoders';

const LIVE_CHANNELS = [CHANNELS.status, CHANNELS.providers, CHANNELS.system];

/**
 * `/ws/live` (seed 004, the API monitoring dashboard): connection_established {client_id},
 * status_update {system_metrics, alert_count, active_websocket_clients} every 10 s (the
 * provider-monitor's cadence), new_log_entry {log_type, data}, rate_limit_alert {provider,
 * percentage, ...} and provider_status_change {provider, old_status, new_status}, flat as in the
 * seed, and ping every WS_PING_INTERVAL_MS.
 */
export function createLiveDoor(activeClients: () => number): Door {
  const encoder = liveEncoder(activeClients);

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
