import type { Tick } from './tick';

export const CANDLE_INTERVALS = { '1s': 1000, '1m': 60_000, '1h': 3_600_000 } as const;
export type CandleInterval = keyof typeof CANDLE_INTERVALS;
const INTERVALS = Object.keys(CANDLE_INTERVALS) as CandleInterval[];

export function isCandleInterval(value: string): value is CandleInterval {
  return Object.prototype.hasOwnProperty.call(CANDLE_INTERVALS, value);
}

export interface Candle {
  symbol: string;
  interval: CandleInterval;
  /** Inclusive start and exclusive end of the window, ms since the epoch. */
  startMs: number;
  endMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Sum of price x volume, for the VWAP. */
  notional: number;
  trades: number;
  closed: boolean;
}

export function vwap(candle: Candle): number {
  return candle.volume > 0 ? candle.notional / candle.volume : candle.close;
}

/**
 * OHLCV candles per symbol for 1 s, 1 min and 1 h windows aligned to the epoch (UTC).
 * A window closes when a later tick of the same symbol arrives, or when the watermark passed to
 * sweep() reaches its end. Windows without ticks produce no candle. A tick for a window that has
 * already closed is left out (it is counted in lateTicks).
 */
export class CandleAggregator {
  private readonly open = new Map<string, (Candle | undefined)[]>();
  private dirty = new Set<Candle>();
  lateTicks = 0;

  constructor(private readonly onClose: (candle: Candle) => void) {}

  add(tick: Tick): void {
    let slots = this.open.get(tick.symbol);
    if (!slots) {
      slots = new Array(INTERVALS.length);
      this.open.set(tick.symbol, slots);
    }
    for (let i = 0; i < INTERVALS.length; i++) {
      const interval = INTERVALS[i];
      const length = CANDLE_INTERVALS[interval];
      const startMs = tick.timeMs - (((tick.timeMs % length) + length) % length);
      let candle = slots[i];
      if (candle && startMs > candle.startMs) {
        this.close(candle);
        candle = undefined;
      }
      if (!candle) {
        if (this.closedUpTo(tick.symbol, interval) > startMs) {
          this.lateTicks++;
          continue;
        }
        candle = {
          symbol: tick.symbol,
          interval,
          startMs,
          endMs: startMs + length,
          open: tick.price,
          high: tick.price,
          low: tick.price,
          close: tick.price,
          volume: 0,
          notional: 0,
          trades: 0,
          closed: false,
        };
        slots[i] = candle;
      } else if (startMs < candle.startMs) {
        this.lateTicks++;
        continue;
      }
      if (tick.price > candle.high) candle.high = tick.price;
      if (tick.price < candle.low) candle.low = tick.price;
      candle.close = tick.price;
      candle.volume += tick.volume;
      candle.notional += tick.price * tick.volume;
      candle.trades++;
      this.dirty.add(candle);
    }
  }

  /** Closes every open window that ends at or before the watermark. */
  sweep(watermarkMs: number): void {
    for (const slots of this.open.values()) {
      for (let i = 0; i < slots.length; i++) {
        const candle = slots[i];
        if (candle && candle.endMs <= watermarkMs) this.close(candle);
      }
    }
  }

  /**
   * The latest candle of each symbol and interval from a previous run: open ones carry on,
   * closed ones keep late ticks from re-opening their window.
   */
  restore(candles: Candle[]): void {
    for (const candle of candles) {
      const i = INTERVALS.indexOf(candle.interval);
      if (i < 0) continue;
      if (candle.closed) {
        const key = candle.symbol + '|' + candle.interval;
        this.closedEnds.set(key, Math.max(this.closedEnds.get(key) ?? -Infinity, candle.endMs));
        continue;
      }
      let slots = this.open.get(candle.symbol);
      if (!slots) {
        slots = new Array(INTERVALS.length);
        this.open.set(candle.symbol, slots);
      }
      slots[i] = { ...candle };
    }
  }

  /** The open candle of a symbol and interval, if any. */
  current(symbol: string, interval: CandleInterval): Candle | undefined {
    return this.open.get(symbol)?.[INTERVALS.indexOf(interval)];
  }

  openCandles(): Candle[] {
    return [...this.open.values()].flatMap((slots) => slots.filter((c): c is Candle => c !== undefined));
  }

  /** Candles changed (or closed) since the last call, as copies for persistence. */
  takeDirty(): Candle[] {
    const changed = [...this.dirty].map((c) => ({ ...c }));
    this.dirty = new Set();
    return changed;
  }

  private readonly closedEnds = new Map<string, number>();

  private closedUpTo(symbol: string, interval: CandleInterval): number {
    return this.closedEnds.get(symbol + '|' + interval) ?? -Infinity;
  }

  private close(candle: Candle): void {
    candle.closed = true;
    const slots = this.open.get(candle.symbol);
    const i = INTERVALS.indexOf(candle.interval);
    if (slots && slots[i] === candle) slots[i] = undefined;
    this.closedEnds.set(candle.symbol + '|' + candle.interval, candle.endMs);
    this.dirty.add(candle);
    this.onClose(candle);
  }
}
