import type { Tick } from './tick';

/** Latest state of a symbol, with the day's session figures (UTC day). */
export interface QuoteState {
  symbol: string;
  price: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  /** Last price of the previous UTC day; the day's open until a day boundary has been seen. */
  previousClose: number;
  dayVolume: number;
  dayStartMs: number;
  timeMs: number;
  provider: string;
  /** Last sequence number handed out for this symbol. */
  sequence: number;
}

const DAY_MS = 86_400_000;

export class QuoteBook {
  private readonly quotes = new Map<string, QuoteState>();
  private readonly sequences = new Map<string, number>();
  private dirty = new Set<string>();

  /** Next per-symbol sequence number; every tick gets one, accepted or not. */
  nextSequence(symbol: string): number {
    const next = (this.sequences.get(symbol) ?? 0) + 1;
    this.sequences.set(symbol, next);
    return next;
  }

  apply(tick: Tick, sequence: number): void {
    const dayStartMs = tick.timeMs - (tick.timeMs % DAY_MS);
    const quote = this.quotes.get(tick.symbol);
    if (!quote) {
      this.quotes.set(tick.symbol, {
        symbol: tick.symbol,
        price: tick.price,
        bid: tick.bid,
        ask: tick.ask,
        open: tick.price,
        high: tick.price,
        low: tick.price,
        previousClose: tick.price,
        dayVolume: tick.volume,
        dayStartMs,
        timeMs: tick.timeMs,
        provider: tick.provider,
        sequence,
      });
    } else {
      if (dayStartMs > quote.dayStartMs) {
        quote.previousClose = quote.price;
        quote.open = quote.high = quote.low = tick.price;
        quote.dayVolume = 0;
        quote.dayStartMs = dayStartMs;
      }
      quote.price = tick.price;
      quote.bid = tick.bid;
      quote.ask = tick.ask;
      if (tick.price > quote.high) quote.high = tick.price;
      if (tick.price < quote.low) quote.low = tick.price;
      quote.dayVolume += tick.volume;
      quote.timeMs = tick.timeMs;
      quote.provider = tick.provider;
      quote.sequence = sequence;
    }
    this.dirty.add(tick.symbol);
  }

  get(symbol: string): QuoteState | undefined {
    return this.quotes.get(symbol);
  }

  all(): QuoteState[] {
    return [...this.quotes.values()];
  }

  restore(quotes: QuoteState[]): void {
    for (const q of quotes) {
      this.quotes.set(q.symbol, { ...q });
      this.sequences.set(q.symbol, Math.max(this.sequences.get(q.symbol) ?? 0, q.sequence));
    }
  }

  markDirty(symbols: string[]): void {
    for (const s of symbols) if (this.quotes.has(s)) this.dirty.add(s);
  }

  takeDirty(): QuoteState[] {
    const changed = [...this.dirty].map((s) => {
      const q = this.quotes.get(s)!;
      return { ...q, sequence: this.sequences.get(s) ?? q.sequence };
    });
    this.dirty = new Set();
    return changed;
  }
}
