import { CHANNELS } from '@marketpulse/runtime';
import { jsonFrame } from '../encode';
import type { ChannelEncoder } from '../hub';
import { eventFields, flatAuthReply, flatError, nowIso, openChannels, rejectMessage, type Door } from './door';

const PORTFOLIO_TYPES = new Set(['position_update', 'equity_update', 'risk_status_update']);

/**
 * `/ws` (seed 003, the cash & carry trading server): connection_established, then
 * position_update, equity_update, risk_status_update and system_log, each `{type, timestamp, data}`.
 * system_error events reach these clients as ERROR-level system_log entries, the way the seed's
 * logger forwarded errors.
 */
const encoder: ChannelEncoder = {
  key: 'trading',
  encode(pub) {
    if (PORTFOLIO_TYPES.has(pub.type) || pub.type === 'system_log') {
      return jsonFrame({ type: pub.type, timestamp: pub.time, data: pub.data, ...eventFields(pub) });
    }
    if (pub.type === 'system_error') {
      const { module, message, code, service, timestamp } = pub.data as Record<string, unknown>;
      const data = { level: 'ERROR', module: module || service, message: code ? `${code}: ${message}` : message, timestamp };
      return jsonFrame({ type: 'system_log', timestamp: pub.time, data, ...eventFields(pub) });
    }
    return null;
  },
};

export const tradingDoor: Door = {
  name: 'trading',
  appPing: true,
  match: (pathname) => (pathname === '/ws' || pathname === '/ws/' ? {} : null),
  open(conn, _params, resume) {
    const welcome = {
      type: 'connection_established',
      timestamp: nowIso(),
      message: 'Connected to Marketpulse WebSocket server',
      client_id: conn.id,
    };
    openChannels(conn, [CHANNELS.portfolio, CHANNELS.system], welcome, encoder, resume);
  },
  message: rejectMessage,
  error: flatError,
  authReply: flatAuthReply,
};
