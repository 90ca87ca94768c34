import type { events } from '@marketpulse/proto';
import type { Logger } from '@marketpulse/runtime';
import { toProtoPrediction } from './convert';
import { envelope } from './events';
import type { PredictionFeed } from './feed';
import type { Predictor } from './predictor';

export interface PublisherDeps {
  predictor: Predictor;
  feed: PredictionFeed;
  publish: (events: events.Event[]) => Promise<void>;
  logger: Logger;
  source: string;
  intervalMs: number;
  horizonS: number;
}

/**
 * Every interval, forecasts each symbol that absorbed ticks since the previous round and publishes
 * them as `prediction_complete` (and to StreamPredictions callers). Symbols without news stay quiet,
 * so a stalled feed does not repeat the same forecast forever.
 */
export class PredictionPublisher {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;

  constructor(private readonly deps: PublisherDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.publishRound(), this.deps.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round; returns how many forecasts it published. A round still running is joined, not doubled. */
  publishRound(): Promise<number> {
    this.round ??= this.runRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async runRound(): Promise<number> {
    const symbols = this.deps.predictor.takeUpdated();
    if (symbols.length === 0) return 0;
    const batch: events.Event[] = [];
    for (const symbol of symbols) {
      const p = this.deps.predictor.predict(symbol, this.deps.horizonS);
      this.deps.feed.emit(p);
      batch.push(envelope(this.deps.source, symbol, { $case: 'prediction_complete', prediction_complete: toProtoPrediction(p) }, p.id));
    }
    try {
      await this.deps.publish(batch);
    } catch (err) {
      // Forecasts go stale within one interval: the next round replaces them, no retry.
      this.deps.logger.warn({ err, symbols: symbols.length }, 'could not publish prediction_complete events; the next round will');
      return 0;
    }
    return batch.length;
  }
}
