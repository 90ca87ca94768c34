import type { Tick } from '../tick';
import type { ExchangeProtocol, ParsedMessage } from './websocket_feed';

/**
 * Coinbase Exchange public WebSocket feed, `ticker` channel: after
 * `{"type":"subscribe","product_ids":[...],"channels":["ticker"]}` every match arrives as
 * `{"type":"ticker","product_id","price","best_bid","best_ask","last_size","time",...}`.
 * Product ids already have our form (BTC-USD).
 */
export class CoinbaseProtocol implements ExchangeProtocol {
  readonly name = 'coinbase';
  private readonly products: Set<string>;

  constructor(symbols: string[]) {
    this.products = new Set(symbols.filter((s) => s.includes('-')).map((s) => s.toUpperCase()));
  }

  symbols(): string[] {
    return [...this.products];
  }

  url(baseUrl: string): string {
    return baseUrl;
  }

  subscribeMessages(): string[] {
    return [JSON.stringify({ type: 'subscribe', product_ids: [...this.products], channels: ['ticker'] })];
  }

  parse(data: string): ParsedMessage {
    const message = JSON.parse(data) as Record<string, unknown>;
    if (message.type === 'error') {
      return { ticks: [], error: `coinbase error: ${String(message.message)}${message.reason ? ` (${String(message.reason)})` : ''}` };
    }
    if (message.type !== 'ticker') return { ticks: [] }; // subscriptions, heartbeats
    const symbol = String(message.product_id);
    if (!this.products.has(symbol)) return { ticks: [] };
    const price = Number(message.price);
    const timeMs = Date.parse(String(message.time));
    if (!Number.isFinite(price) || !Number.isFinite(timeMs)) throw new Error(`coinbase ticker for ${symbol} has no price or time`);
    const tick: Tick = {
      symbol,
      price,
      bid: message.best_bid === undefined ? price : Number(message.best_bid),
      ask: message.best_ask === undefined ? price : Number(message.best_ask),
      volume: message.last_size === undefined ? 0 : Number(message.last_size),
      timeMs,
      provider: this.name,
    };
    return { ticks: [tick], eventTimeMs: timeMs };
  }
}
