import { CHANNELS } from '@marketpulse/runtime';
import { flatAuthReply, flatError, nowIso, openChannels, rejectMessage, type Door } from './door';
import { tradingEncoder as encoder } from './door_encoders';

/** `/ws` (seed 003, the cash & carry trading server): connection_established, then its portfolio and system messages (door_encoders.ts). */
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
