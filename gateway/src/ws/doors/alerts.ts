import { CHANNELS } from '@marketpulse/runtime';
import { jsonFrame } from '../encode';
import type { ChannelEncoder } from '../hub';
import { eventFields, flatAuthReply, flatError, nowIso, openChannels, rejectMessage, type Door } from './door';

/**
 * `/ws/alerts` (seeds 000/001): connected, ping, alert, error. `data` is the Alert with the seed's
 * `type` (its alert_type, e.g. "price_alert") beside symbol, message and severity.
 */
const encoder: ChannelEncoder = {
  key: 'alerts',
  encode: (pub) =>
    pub.type === 'alert_triggered'
      ? jsonFrame({ type: 'alert', data: { type: pub.data.alert_type, ...pub.data }, timestamp: pub.time, ...eventFields(pub) })
      : null,
};

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
