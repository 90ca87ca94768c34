import type { events } from '@marketpulse/proto';
import { buildEvent, type Logger, type TraceCarryover } from '@marketpulse/runtime';
import { toProtoPrediction } from './proto_mapping';
import type { PredictionFeed } from './feed';
import type { Predictor } from './predictor';

export interface PublisherDeps {
  predictor: Predictor;
  feed: PredictionFeed;
  publish: (events: events.Event[]) => Promise<void>;
  /** Contexts of the ticks behind each symbol's forecast, so a forecast continues its tick's trace. */
  carry: TraceCarryover;
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
    // A round that fails is logged: rejected on a timer, it would end the process.
    this.timer = setInterval(
      () => void this.publishRound().catch((err: unknown) => this.deps.logger.error({ err }, 'forecast round failed')),
      this.deps.intervalMs,
    );
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
    // One symbol whose forecast cannot be made (a model gone wrong) costs that symbol's forecast, not the round's.
    const items = symbols.flatMap((symbol) => {
      try {
        const p = this.deps.predictor.predict(symbol, this.deps.horizonS);
        const event = buildEvent('prediction_complete', {
          id: p.id,
          source: this.deps.source,
          subject: symbol,
          payload: toProtoPrediction(p),
        });
        this.deps.feed.emit(p);
        return [{ symbol, event }];
      } catch (err) {
        this.deps.logger.error({ err, symbol }, 'could not forecast a symbol; the others are published');
        return [];
      }
    });
    // One publish per symbol, each inside the context of the tick that led to it: one batch could
    // carry only one trace.
    const results = await Promise.allSettled(
      items.map(({ symbol, event }) => this.deps.carry.runIn(symbol, () => this.deps.publish([event]))),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      // Forecasts go stale within one interval: the next round replaces them, no retry.
      this.deps.logger.warn(
        { err: failed[0].reason, symbols: failed.length },
        'could not publish prediction_complete events; the next round will',
      );
    }
    return items.length - failed.length;
  }
}
