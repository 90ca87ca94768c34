import type { events } from '@marketpulse/proto';
import type { Bus, Logger } from '@marketpulse/runtime';

export interface PublisherOptions {
  bus: Bus;
  logger: Logger;
  /** Most events per publish call. */
  batchSize: number;
  /** Backlog size above which a warning is logged (once per crossing). */
  warnBacklog?: number;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 10_000;

/**
 * Publishes events in the order they were queued, in batches, with one batch in flight at a time:
 * that keeps every symbol's events in order on its partition while a tick only costs a push.
 * A failed batch is retried (same events, same ids) until it goes through or the publisher closes;
 * events are never dropped, so the backlog grows while the broker is away.
 */
export class EventPublisher {
  private queue: events.Event[] = [];
  private head = 0;
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private retryDelayMs = RETRY_MIN_MS;
  private warned = false;
  private waiters: { below: number; resolve: () => void }[] = [];
  published = 0;
  failures = 0;

  constructor(private readonly options: PublisherOptions) {}

  enqueue(event: events.Event): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
  }

  backlog(): number {
    return this.queue.length - this.head;
  }

  /** Resolves once the backlog is at most `below` events (for producers that can wait). */
  whenBelow(below: number): Promise<void> {
    if (this.backlog() <= below) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below, resolve }));
  }

  /** Publishes everything queued so far (retrying failures); resolves when the backlog is empty. */
  async drain(): Promise<void> {
    while (!this.closed && (this.backlog() > 0 || this.flushing)) {
      this.kick();
      await this.flushing;
    }
  }

  /**
   * Drains what is queued, then stops. When the bus does not take the backlog within timeoutMs
   * the rest is abandoned; returns how many events were left unpublished.
   */
  async close(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.closed = true;
    return this.backlog();
  }

  private kick(): void {
    if (this.flushing || this.backlog() === 0) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
  }

  private async flushLoop(): Promise<void> {
    const { bus, logger, batchSize, warnBacklog = 100_000 } = this.options;
    while (this.backlog() > 0 && !this.closed) {
      const end = Math.min(this.queue.length, this.head + batchSize);
      const batch = this.queue.slice(this.head, end);
      try {
        await bus.publish(batch);
      } catch (error) {
        this.failures++;
        logger.warn({ err: error instanceof Error ? error.message : String(error), backlog: this.backlog(), retryInMs: this.retryDelayMs },
          'publishing market data failed; retrying the same events');
        await new Promise((r) => setTimeout(r, this.retryDelayMs));
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
        continue;
      }
      this.retryDelayMs = RETRY_MIN_MS;
      this.published += batch.length;
      this.head = end;
      // Compact now and then instead of shifting the array on every batch.
      if (this.head > 10_000 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      const backlog = this.backlog();
      if (backlog > warnBacklog && !this.warned) {
        this.warned = true;
        logger.warn({ backlog }, 'market data is produced faster than the bus accepts it; the backlog is growing');
      } else if (backlog < warnBacklog / 2) {
        this.warned = false;
      }
      if (this.waiters.length > 0) {
        this.waiters = this.waiters.filter((w) => (backlog <= w.below ? (w.resolve(), false) : true));
      }
    }
  }
}
