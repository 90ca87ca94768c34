import type { events, market } from '@marketpulse/proto';
import type { Logger } from '@marketpulse/runtime';
import { context, trace } from '@opentelemetry/api';
import { CandleAggregator, type Candle } from './candles';
import { EventFactory } from './events';
import type { MarketDataProvider } from './providers/provider';
import type { EventPublisher } from './publisher';
import { DataQualityMonitor, isEventTime, type QualityIssue, type QualityRules } from './quality';
import { QuoteBook } from './quotes';
import type { MarketDataStore } from './store';
import type { Tick } from './tick';
import { inTickSpan } from './tick_span';

export interface EngineOptions {
  source: string;
  publisher: EventPublisher;
  store: MarketDataStore;
  logger: Logger;
  rules: QualityRules;
  candleGraceMs: number;
  persistIntervalMs: number;
  candleRetentionMs: number;
}

export type TickListener = (tick: market.Tick) => void;

const SWEEP_INTERVAL_MS = 250;
const STALE_CHECK_INTERVAL_MS = 1000;
const PRUNE_INTERVAL_MS = 60_000;
const ISSUE_RETENTION_MS = 7 * 86_400_000;

const candleKey = (c: Candle) => `${c.symbol}|${c.interval}|${c.startMs}`;

/**
 * The per-tick pipeline: data-quality checks, sequence numbers, latest quote, candles, the
 * `market_data_update` event; and, off the hot path, window closing, stale checks and persistence.
 */
export class MarketDataEngine {
  readonly quotes = new QuoteBook();
  readonly candles: CandleAggregator;
  readonly quality: DataQualityMonitor;
  private readonly events: EventFactory;
  private readonly listeners = new Set<TickListener>();
  private provider: MarketDataProvider | undefined;
  private liveClock = true;
  private watermarkMs = -Infinity;
  private pendingIssues: QualityIssue[] = [];
  private unsavedCandles = new Map<string, Candle>();
  private unsavedIssues: QualityIssue[] = [];
  private persisting: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  ticksIngested = 0;

  constructor(private readonly options: EngineOptions) {
    this.events = new EventFactory(options.source);
    this.candles = new CandleAggregator((candle) => options.publisher.enqueue(this.events.aggregation(candle)));
    this.quality = new DataQualityMonitor(options.rules, (issue) => {
      this.pendingIssues.push(issue);
      options.publisher.enqueue(this.events.dataQualityIssue(issue));
      options.logger.warn({ kind: issue.kind, symbol: issue.symbol, provider: issue.provider, detail: issue.detail }, 'data quality issue');
    });
  }

  /** Loads the last run's quotes and candles, so sequences, day figures and open windows carry on. */
  async restore(): Promise<void> {
    this.quotes.restore(await this.options.store.quotes());
    this.candles.restore(await this.options.store.latestCandles());
  }

  async start(provider: MarketDataProvider): Promise<void> {
    this.provider = provider;
    this.liveClock = provider.liveClock;
    this.quality.expect(provider.symbols(), provider.name, Date.now());
    this.timers.push(
      setInterval(() => this.sweep(), SWEEP_INTERVAL_MS),
      setInterval(() => this.quality.sweepStale(Date.now()), STALE_CHECK_INTERVAL_MS),
      setInterval(() => void this.persist().catch(() => undefined), this.options.persistIntervalMs),
      setInterval(() => void this.prune(), PRUNE_INTERVAL_MS),
    );
    // A feed calls back in the context its timer or socket was made in: a span active at start
    // (an embedding caller's) is not the cause of its ticks, so each of them starts its own trace.
    await provider.start(context.bind(trace.deleteSpan(context.active()), (tick: Tick) => this.ingestFromFeed(tick)));
  }

  /**
   * The one way a feed's tick comes in. A feed calls it from its socket handler or its replay loop,
   * where an exception would end the process or the replay: whatever one tick makes fail is logged
   * and that tick dropped, and the feed goes on.
   */
  private ingestFromFeed(tick: Tick): void {
    try {
      this.ingest(tick);
    } catch (err) {
      this.options.logger.error({ err, symbol: tick.symbol, provider: tick.provider }, 'a tick could not be ingested; dropped');
    }
  }

  /** The hot path: O(1) work per tick, no I/O; traced as one span per tick (tick_span.ts). */
  ingest(tick: Tick): void {
    inTickSpan(tick, this.ingestUntraced);
  }

  private readonly ingestUntraced = (tick: Tick): events.Event | undefined => {
    const receivedMs = Date.now();
    if (!isEventTime(tick.timeMs, receivedMs, this.liveClock)) {
      // Reported as invalid_value; no consumer could act on its time, and its sequence is not spent.
      this.quality.check(tick, receivedMs, this.liveClock);
      return undefined;
    }
    const sequence = this.quotes.nextSequence(tick.symbol);
    if (this.quality.check(tick, receivedMs, this.liveClock)) {
      this.quotes.apply(tick, sequence);
      this.candles.add(tick);
      if (tick.timeMs > this.watermarkMs) this.watermarkMs = tick.timeMs;
    }
    const event = this.events.tick(tick, sequence);
    this.options.publisher.enqueue(event);
    this.ticksIngested++;
    if (this.listeners.size > 0 && event.payload?.$case === 'market_data_update') {
      for (const listener of this.listeners) listener(event.payload.market_data_update);
    }
    return event;
  };

  onTick(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  providerName(): string | undefined {
    return this.provider?.name;
  }

  currentProvider(): MarketDataProvider | undefined {
    return this.provider;
  }

  /** Closes windows the clock (live feeds) or the newest tick (recorded replay) has passed. */
  sweep(): void {
    const watermark = this.liveClock ? Date.now() : this.watermarkMs;
    this.candles.sweep(watermark - this.options.candleGraceMs);
  }

  /** Writes what changed since the last round; concurrent callers share the round in flight. */
  persist(): Promise<void> {
    this.persisting ??= this.persistRound().finally(() => {
      this.persisting = undefined;
    });
    return this.persisting;
  }

  private async persistRound(): Promise<void> {
    for (const candle of this.candles.takeDirty()) this.unsavedCandles.set(candleKey(candle), candle);
    if (this.pendingIssues.length > 0) {
      this.unsavedIssues.push(...this.pendingIssues);
      this.pendingIssues = [];
    }
    const candles = [...this.unsavedCandles.values()];
    const issues = this.unsavedIssues;
    const quotes = this.quotes.takeDirty();
    try {
      await this.options.store.save(candles, quotes, issues);
      for (const c of candles) if (this.unsavedCandles.get(candleKey(c)) === c) this.unsavedCandles.delete(candleKey(c));
      this.unsavedIssues = this.unsavedIssues.slice(issues.length);
    } catch (error) {
      // Everything not saved waits for the next round.
      this.quotes.markDirty(quotes.map((q) => q.symbol));
      this.options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'saving market data failed; retrying next round',
      );
      throw error;
    }
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    try {
      await this.options.store.prune(now - this.options.candleRetentionMs, now - ISSUE_RETENTION_MS);
    } catch (error) {
      this.options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'pruning old candles failed');
    }
  }

  /** Stops the provider and the timers, closes nothing early, and saves the last changes. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.provider?.stop();
    this.listeners.clear();
    await this.persist().catch(() => undefined);
  }
}
