import type { events } from '@marketpulse/proto';
import type { Bus, Logger } from '@marketpulse/runtime';

const FLUSH_MS = 250;
const MAX_BATCH = 500;
const MAX_BUFFERED = 10_000;

/**
 * Publishes the service's own events (attempt outcomes, disabled endpoints) in batches, off the
 * delivery path: a slow or absent broker must not slow deliveries. Outcome events serve dashboards;
 * when the buffer is full the oldest are dropped and counted in the log.
 */
export class OutcomePublisher {
  private buffer: events.Event[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  publish(event: events.Event): void {
    this.buffer.push(event);
    if (this.buffer.length > MAX_BUFFERED) {
      this.buffer.shift();
      this.dropped += 1;
    }
    if (this.buffer.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** A last flush, given at most `graceMs`: an absent broker must not hold up shutdown. */
  async close(graceMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, MAX_BATCH);
    this.flushing = this.bus.publish(batch).then(
      () => {
        if (this.dropped > 0) this.logger.warn({ dropped: this.dropped }, 'outcome events were dropped while the bus was slow');
        this.dropped = 0;
      },
      (err: unknown) => {
        this.logger.warn({ err, events: batch.length }, 'publishing webhook outcome events failed; they are retried with the next batch');
        this.buffer.unshift(...batch);
        this.buffer.splice(0, Math.max(0, this.buffer.length - MAX_BUFFERED));
      },
    );
    await this.flushing;
    this.flushing = undefined;
    if (this.buffer.length > 0) this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }
}
