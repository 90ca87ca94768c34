import type { events } from '@marketpulse/proto';
import type { Bus, Logger } from '@marketpulse/runtime';
import type { SpoolFile } from './spool_file';

export interface PublisherSpoolOptions {
  file: SpoolFile;
  /** Longest time events wait in memory before the spool writes (and fsyncs) them, while the bus fails. */
  flushMs: number;
  /** Pending events that trigger a write before flushMs is up. */
  flushEvents?: number;
}

export interface PublisherOptions {
  bus: Bus;
  logger: Logger;
  /** Most events per publish call. */
  batchSize: number;
  /** Backlog size above which a warning is logged (once per crossing). */
  warnBacklog?: number;
  /** Keeps the backlog on disk while the bus fails, so a crash then loses nothing (see spoolLoop). */
  spool?: PublisherSpoolOptions;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 10_000;
const SPOOL_FLUSH_EVENTS = 10_000;
const SPOOL_RETRY_MS = 1000;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Publishes events in the order they were queued, in batches, with one batch in flight at a time:
 * that keeps every symbol's events in order on its partition while a tick only costs a push.
 * A failed batch is retried (same events, same ids) until it goes through or the publisher closes;
 * events are never dropped, so the backlog grows while the broker is away.
 *
 * With a spool, the backlog is also appended to a file while the bus fails, and events a crashed
 * run left there are queued ahead of everything new. Positions below are absolute (events ever
 * queued), so compacting the array never moves them.
 */
export class EventPublisher {
  private queue: events.Event[] = [];
  /** Events compacted away from the front of `queue`. */
  private dropped = 0;
  private head = 0;
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private retryDelayMs = RETRY_MIN_MS;
  private warned = false;
  private waiters: { below: number; resolve: () => void }[] = [];
  /** A publish failed and none has succeeded since. */
  private failing = false;
  /** Events before this absolute position are in the spool file. */
  private spooledEnd = 0;
  private spoolIo: Promise<void> | undefined;
  private spoolTimer: NodeJS.Timeout | undefined;
  private spoolBroken = false;
  private spoolClosed = false;
  published = 0;
  failures = 0;
  /** Events written to the spool. */
  spooled = 0;

  constructor(private readonly options: PublisherOptions) {
    const recovered = options.spool?.file.takeRecovered() ?? [];
    if (recovered.length > 0) {
      this.queue.push(...recovered);
      this.spooledEnd = recovered.length;
      this.scheduleKick();
    }
  }

  enqueue(event: events.Event): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.failing) this.spoolSoon();
    this.scheduleKick();
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
   * the rest is abandoned, or with a spool written to it for the next start; returns how many
   * events were left neither published nor spooled (lost).
   */
  async close(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    this.closed = true;
    const spool = this.options.spool;
    if (!spool) return this.backlog();
    clearTimeout(this.spoolTimer);
    this.spoolTimer = undefined;
    // A clean stop keeps whatever the bus did not take, whether or not it had failed yet.
    this.failing ||= this.backlog() > 0;
    this.spoolBroken = false;
    this.spoolNow();
    while (this.spoolIo) await this.spoolIo;
    const lost = this.spoolPending();
    this.spoolClosed = true;
    await spool.file.close().catch((error: unknown) => this.options.logger.error({ err: errorText(error) }, 'closing the spool failed'));
    if (this.backlog() > 0 && lost === 0) {
      this.options.logger.warn(
        { file: spool.file.path, events: this.backlog() },
        'the bus did not take every event before shutdown; they wait in the spool for the next start',
      );
    }
    return lost;
  }

  private scheduleKick(): void {
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
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
        logger.warn(
          { err: errorText(error), backlog: this.backlog(), retryInMs: this.retryDelayMs },
          'publishing market data failed; retrying the same events',
        );
        if (!this.failing && this.options.spool) {
          logger.warn(
            { file: this.options.spool.file.path, backlog: this.backlog() },
            'the bus refuses events; keeping them in the spool on disk until it accepts again',
          );
        }
        this.failing = true;
        this.spoolNow();
        await new Promise((r) => setTimeout(r, this.retryDelayMs));
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
        continue;
      }
      if (this.failing && this.options.spool)
        logger.info({ backlog: this.backlog() - batch.length }, 'the bus accepts events again; publishing the spooled backlog first');
      this.failing = false;
      this.retryDelayMs = RETRY_MIN_MS;
      this.published += batch.length;
      this.head = end;
      if (this.options.spool && !this.options.spool.file.isEmpty() && this.dropped + this.head >= this.spooledEnd) this.spoolNow();
      // Compact now and then instead of shifting the array on every batch.
      if (this.head > 10_000 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.dropped += this.head;
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

  /** Called for each event queued while the bus fails: writes in batches, not per event. */
  private spoolSoon(): void {
    const spool = this.options.spool;
    if (!spool || this.spoolIo || this.spoolBroken) return;
    if (this.spoolPending() >= (spool.flushEvents ?? SPOOL_FLUSH_EVENTS)) this.spoolNow();
    else this.spoolTimer ??= setTimeout(() => this.spoolNow(), spool.flushMs);
  }

  /** Queued events neither acknowledged by the bus nor in the spool file. */
  private spoolPending(): number {
    return this.queue.length + this.dropped - Math.max(this.spooledEnd, this.dropped + this.head);
  }

  private spoolNow(): void {
    if (!this.options.spool || this.spoolClosed) return;
    clearTimeout(this.spoolTimer);
    this.spoolTimer = undefined;
    this.spoolIo ??= this.spoolLoop().finally(() => {
      this.spoolIo = undefined;
    });
  }

  /** The only place the spool file changes; one write or truncation at a time, in queue order. */
  private async spoolLoop(): Promise<void> {
    const { file } = this.options.spool!;
    for (;;) {
      const headAt = this.dropped + this.head;
      const from = Math.max(this.spooledEnd, headAt);
      const to = this.dropped + this.queue.length;
      try {
        if (this.failing && to > from) {
          // Durability rule: an event accepted while the bus fails is safe from a crash once the
          // append holding it has been fsynced, at most flushMs (or flushEvents events) after it
          // was queued; events the bus acknowledged never need the disk. Nothing before `from` is
          // lost by skipping it: it is either in the file already or acknowledged by the bus.
          const batch = this.queue.slice(from - this.dropped, to - this.dropped);
          await file.append(batch);
          this.spooledEnd = to;
          this.spooled += batch.length;
          if (this.failing && !this.closed && this.spoolPending() < (this.options.spool!.flushEvents ?? SPOOL_FLUSH_EVENTS)) {
            // What arrived during the write waits for the next round, so a fast feed costs one
            // fsync per flushMs, not one per event.
            if (this.spoolPending() > 0) this.spoolTimer ??= setTimeout(() => this.spoolNow(), this.options.spool!.flushMs);
            return;
          }
        } else if (!this.failing && !file.isEmpty() && headAt >= this.spooledEnd) {
          // Everything in the file has been acknowledged by the bus: it is not needed any more.
          await file.clear();
        } else {
          return;
        }
      } catch (error) {
        this.spoolBroken = true;
        this.options.logger.error(
          { err: errorText(error), backlog: this.backlog() },
          'the spool cannot be written; the backlog is only in memory and a crash now would lose it',
        );
        if (!this.closed) {
          setTimeout(() => {
            this.spoolBroken = false;
            this.spoolNow();
          }, SPOOL_RETRY_MS).unref();
        }
        return;
      }
    }
  }
}
