import { canRead } from '../auth';
import { CLOSE } from '../codes';
import { jsonFrame } from '../encode';
import type { ChannelEncoder } from '../hub';
import { eventFields, flatAuthReply, flatError, matchSymbolPath, nowIso, type Door } from './door';

/**
 * `/ws/market-data/{symbol}` (seeds 000/001): connected, ping, market_data_update, error.
 * Clients send pong (and may send auth); `data` is the tick: symbol, price, volume, bid, ask, timestamp.
 */
export const marketDataChannel = (symbol: string) => `market-data:${symbol}`;

const encoder: ChannelEncoder = {
  key: 'market-data',
  encode: (pub) =>
    pub.type === 'market_data_update'
      ? jsonFrame({ type: 'market_data_update', symbol: pub.subject, data: pub.data, timestamp: pub.time, ...eventFields(pub) })
      : null,
};

export const marketDataDoor: Door = {
  name: 'market-data',
  appPing: true,
  match: (pathname) => matchSymbolPath(pathname, '/ws/market-data/'),
  open(conn, params, { since }) {
    const symbol = params.symbol!;
    const channel = marketDataChannel(symbol);
    if (!canRead(conn.claims!, channel)) {
      conn.sendError('CHANNEL_FORBIDDEN', channel);
      return conn.close(CLOSE.CHANNEL_FORBIDDEN);
    }
    conn.send({
      type: 'connected',
      client_id: conn.id,
      symbol,
      channel,
      message: `Connected to market data stream for ${symbol}`,
      timestamp: nowIso(),
      id: conn.newestId([channel]) ?? null,
    });
    conn.subscribeFrom([channel], encoder, since);
  },
  message(conn, msg) {
    conn.sendError('UNKNOWN_MESSAGE_TYPE', msg.type);
  },
  error: flatError,
  authReply: flatAuthReply,
};
