import type { Tick } from '../tick';
import type { ExchangeProtocol, ParsedMessage } from './websocket_feed';

/**
 * Binance spot public market streams, combined-stream form
 * (`/stream?streams=btcusdt@trade/btcusdt@bookTicker`, each message `{"stream": ..., "data": ...}`).
 * A trade (`e: "trade"`: p price, q quantity, T trade time, E event time) becomes a tick, quoted
 * with the latest book ticker (`u, s, b, B, a, A`) seen for the symbol.
 */
export class BinanceProtocol implements ExchangeProtocol {
  readonly name = 'binance';
  /** BTCUSDT -> BTC-USD */
  private readonly ours = new Map<string, string>();
  private readonly book = new Map<string, { bid: number; ask: number }>();

  /** usdQuote: the quote asset standing in for USD (Binance lists BTCUSDT, not BTCUSD). */
  constructor(
    symbols: string[],
    private readonly usdQuote = 'USDT',
  ) {
    for (const symbol of symbols) {
      const exchangeSymbol = this.exchangeSymbol(symbol);
      if (exchangeSymbol) this.ours.set(exchangeSymbol, symbol);
    }
  }

  private exchangeSymbol(symbol: string): string | undefined {
    const [base, quote] = symbol.toUpperCase().split('-');
    if (!base || !quote) return undefined; // equities are not listed on Binance
    return base + (quote === 'USD' ? this.usdQuote : quote);
  }

  symbols(): string[] {
    return [...this.ours.values()];
  }

  url(baseUrl: string): string {
    const streams = [...this.ours.keys()].flatMap((s) => [`${s.toLowerCase()}@trade`, `${s.toLowerCase()}@bookTicker`]);
    return `${baseUrl.replace(/\/+$/, '')}/stream?streams=${streams.join('/')}`;
  }

  subscribeMessages(): string[] {
    return []; // the combined-stream URL already names the streams
  }

  parse(data: string): ParsedMessage {
    const message = JSON.parse(data) as Record<string, unknown>;
    const payload = (message.data ?? message) as Record<string, unknown>;
    if (typeof message.code === 'number' && typeof message.msg === 'string') {
      return { ticks: [], error: `binance error ${message.code}: ${message.msg}` };
    }
    if (payload.e === 'trade' || payload.e === 'aggTrade') {
      const symbol = this.ours.get(String(payload.s));
      if (!symbol) return { ticks: [] };
      const price = Number(payload.p);
      const book = this.book.get(symbol);
      const tick: Tick = {
        symbol,
        price,
        bid: book?.bid ?? price,
        ask: book?.ask ?? price,
        volume: Number(payload.q),
        timeMs: Number(payload.T),
        provider: this.name,
      };
      if (!Number.isFinite(price) || !Number.isFinite(tick.timeMs)) throw new Error(`binance trade for ${symbol} has no price or time`);
      return { ticks: [tick], eventTimeMs: Number(payload.E) };
    }
    if (payload.u !== undefined && payload.b !== undefined && payload.a !== undefined) {
      const symbol = this.ours.get(String(payload.s));
      if (symbol) this.book.set(symbol, { bid: Number(payload.b), ask: Number(payload.a) });
      return { ticks: [] };
    }
    return { ticks: [] }; // subscription acks and stream types we do not use
  }
}
