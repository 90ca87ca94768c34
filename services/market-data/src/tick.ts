/**
 * The service's internal tick: plain numbers so the per-tick path never parses or formats.
 * Conversion to the proto message happens once, when the event is built.
 */
export interface Tick {
  symbol: string;
  price: number;
  bid: number;
  ask: number;
  /** Traded quantity of this tick (shares, coins). */
  volume: number;
  /** When the tick happened at its source, ms since the epoch. */
  timeMs: number;
  /** Name of the provider that produced it. */
  provider: string;
}
