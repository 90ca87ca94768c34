import type { Tick } from '../tick';
import type { ProviderStats } from './provider_stats';

export type TickSink = (tick: Tick) => void;

/**
 * A source of ticks. Implementations live beside this file, one per file:
 * simulated.ts, replay.ts, binance.ts, coinbase.ts.
 */
export interface MarketDataProvider {
  readonly name: string;
  /**
   * True when tick times follow the wall clock (live feeds, the simulator, a rebased replay):
   * then a candle window may be closed by the clock even when no tick arrives.
   * False for a replay at recorded times, whose windows close by event time only.
   */
  readonly liveClock: boolean;
  /** Symbols this provider covers (subset of the configured ones). */
  symbols(): string[];
  /** Starts delivering ticks to the sink; resolves once the feed is running (or connecting). */
  start(sink: TickSink): Promise<void>;
  stop(): Promise<void>;
  stats(): ProviderStats;
}
