import { canRead } from '../auth';
import { CLOSE } from '../codes';
import { jsonFrame } from '../encode';
import type { ChannelEncoder } from '../hub';
import { eventFields, flatAuthReply, flatError, nowIso, type Door } from './door';

export const ALERTS_CHANNEL = 'alerts';

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
  open(conn, _params, { since }) {
    if (!canRead(conn.claims!, ALERTS_CHANNEL)) {
      conn.sendError('CHANNEL_FORBIDDEN', ALERTS_CHANNEL);
      return conn.close(CLOSE.CHANNEL_FORBIDDEN);
    }
    conn.send({
      type: 'connected',
      client_id: conn.id,
      channel: ALERTS_CHANNEL,
      message: 'Connected to alerts stream',
      timestamp: nowIso(),
      id: conn.newestId([ALERTS_CHANNEL]) ?? null,
    });
    conn.subscribeFrom([ALERTS_CHANNEL], encoder, since);
  },
  message(conn, msg) {
    conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
  },
  error: flatError,
  authReply: flatAuthReply,
};
