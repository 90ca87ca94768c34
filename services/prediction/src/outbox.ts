import type { events } from '@marketpulse/proto';
import type { Logger } from '@marketpulse/runtime';
import type { PredictionStore } from './store/store';
import { inTraceOf, runsByTrace } from '@marketpulse/runtime';

export interface OutboxDeps {
  store: Pick<PredictionStore, 'pendingEvents' | 'removeEvents'>;
  publish: (events: events.Event[]) => Promise<void>;
  logger: Logger;
  /** How often events still in the outbox (the bus was away, or the process died before publishing) are retried. */
  retryMs: number;
}

/** Rows read per round; a fuller outbox takes several rounds back to back. */
const BATCH = 200;

/**
 * Publishes the lifecycle events committed to the outbox, oldest first, and deletes each once the
 * bus has taken it: at once after a change (flush), on start-up and every retryMs for what is left.
 * A failed publish stops the round, so a later event never overtakes an earlier one.
 */
export class EventOutbox {
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: OutboxDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.deps.retryMs);
    this.timer.unref();
    void this.flush();
  }

  /** No new round starts; the one under way finishes. What is left waits for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
  }

  /** Publishes what the outbox holds; a call during a round makes that round look again. Never rejects. */
  flush(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        const pending = await this.deps.store.pendingEvents(BATCH);
        for (const run of runsByTrace(pending)) {
          // Each event continues the trace of the request that made its change, whichever round publishes it.
          await inTraceOf(run[0].traceparent, () => this.deps.publish(run.map((p) => p.event)));
          await this.deps.store.removeEvents(run.map((p) => p.seq));
        }
        if (pending.length === BATCH) this.again = true;
      } catch (err) {
        this.deps.logger.warn(
          { err, retry_ms: this.deps.retryMs },
          'lifecycle events not published; they stay in the outbox and are retried',
        );
        return;
      }
    } while (this.again && !this.stopped);
  }
}
