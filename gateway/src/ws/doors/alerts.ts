import { CHANNELS } from '@marketpulse/runtime';
import { flatAuthReply, flatError, nowIso, openChannels, rejectMessage, type Door } from './door';
import { alertsEncoder as encoder } from './door_encoders';

/**
 * `/ws/alerts` (seeds 000/001): connected, ping, alert, error. `data` is the Alert with the seed's
 * `type` (its alert_type, e.g. "price_alert") beside symbol, message and severity.
 */
export const alertsDoor: Door = {
  name: 'alerts',
  appPing: true,
  match: (pathname) => (pathname === '/ws/alerts' ? {} : null),
  open(conn, _params, resume) {
    const welcome = {
      type: 'connected',
      client_id: conn.id,
      channel: CHANNELS.alerts,
      message: 'Connected to alerts stream',
      timestamp: nowIso(),
    };
    openChannels(conn, [CHANNELS.alerts], welcome, encoder, resume);
  },
  message: rejectMessage,
  error: flatError,
  authReply: flatAuthReply,
};
