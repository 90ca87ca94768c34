/**
 * The gateway hub's channel names, in one place: the event catalog routes each event type to one of
 * them and the WebSocket doors open them. A name holding `{symbol}` is a symbol family: the event is
 * published to it with the symbol (its subject) filled in, e.g. `market-data:AAPL`.
 */
export const CHANNELS = {
  marketData: 'market-data:{symbol}',
  aggregations: 'aggregations:{symbol}',
  dataQuality: 'data-quality:{symbol}',
  predictions: 'predictions:{symbol}',
  models: 'models',
  alerts: 'alerts',
  providers: 'providers',
  status: 'status',
  system: 'system',
  portfolio: 'portfolio',
  webhooks: 'webhooks',
  /** Every event goes here too: the firehose native subscriptions and tRPC filter. No catalog row names it. */
  events: 'events',
} as const;

export type ChannelPattern = (typeof CHANNELS)[keyof typeof CHANNELS];

const SYMBOL = '{symbol}';

export function isSymbolFamily(pattern: string): boolean {
  return pattern.includes(SYMBOL);
}

/** The channel of `pattern` for one symbol: `market-data:AAPL`; a channel without `{symbol}` as it is. */
export function channelFor(pattern: string, symbol: string): string {
  return pattern.replace(SYMBOL, symbol);
}

/** Whether `channel` is `pattern` itself or, for a symbol family, one of its symbols' channels. */
export function channelMatches(pattern: string, channel: string): boolean {
  return isSymbolFamily(pattern) ? channel.startsWith(pattern.slice(0, pattern.indexOf(SYMBOL))) : channel === pattern;
}
