import { channelFor, CHANNELS } from '@marketpulse/runtime';
import { flatAuthReply, flatError, matchSymbolPath, nowIso, openChannels, rejectMessage, type Door } from './door';
import { marketDataEncoder as encoder } from './door_encoders';

/**
 * `/ws/market-data/{symbol}` (seeds 000/001): connected, ping, market_data_update, error.
 * Clients send pong (and may send auth); `data` is the tick: symbol, price, volume, bid, ask, timestamp.
 */
const marketDataChannel = (symbol: string) => channelFor(CHANNELS.marketData, symbol);

export const marketDataDoor: Door = {
  name: 'market-data',
  appPing: true,
  match: (pathname) => matchSymbolPath(pathname, '/ws/market-data/'),
  claims: (pathname) => pathname.startsWith('/ws/market-data/'),
  open(conn, params, resume) {
    const symbol = params.symbol!;
    const channel = marketDataChannel(symbol);
    const welcome = {
      type: 'connected',
      client_id: conn.id,
      symbol,
      channel,
      message: `Connected to market data stream for ${symbol}`,
      timestamp: nowIso(),
    };
    openChannels(conn, [channel], welcome, encoder, resume);
  },
  message: rejectMessage,
  error: flatError,
  authReply: flatAuthReply,
};
