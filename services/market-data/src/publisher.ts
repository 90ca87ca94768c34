import type { events } from '@marketpulse/proto';
import type { Bus, Logger } from '@marketpulse/runtime';
import { context, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { SpoolFile } from './spool_file';
import { TraceCodec } from './spool_trace';

export interface PublisherSpoolOptions {
  file: SpoolFile;
  /**
   * Longest time an event waits in memory before the spool writes (and fsyncs) it, once the bus
   * fails or a publish has been waiting this long for its answer.
   */
  flushMs: number;
  /** Pending events that trigger a write before flushMs is up. */
  flushEvents?: number;
  /**
   * Events kept in memory while the spool holds a backlog (an outage, or a spool left by an
   * earlier run): the rest is only in the file and read back from it, in order, as the bus takes it.
   */
  memoryEvents?: number;
}

export interface PublisherOptions {
  bus: Bus;
  logger: Logger;
  /** Most events per publish call. */
  batchSize: number;
  /** Backlog size above which a warning is logged (once per crossing). */
  warnBacklog?: number;
  /** Keeps the backlog on disk while the bus fails or is slow to answer, so a crash then loses nothing (see spoolLoop). */
  spool?: PublisherSpoolOptions;
}

/** A queued event and the trace context it was queued in, which its publish continues. */
interface Pending {
  event: events.Event;
  trace: Context;
  /** Read back from the spool file: its publish gets a replay span in the original trace. */
  replayed?: boolean;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 10_000;
const SPOOL_FLUSH_EVENTS = 10_000;
const SPOOL_MEMORY_EVENTS = 100_000;
const SPOOL_RETRY_MS = 1000;

const tracer = trace.getTracer('@marketpulse/market-data/publisher');
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Publishes events in the order they were queued, in batches, with one batch in flight at a time:
 * that keeps every symbol's events in order on its partition while a tick only costs a push.
 * A failed batch is retried (same events, same ids) until it goes through or the publisher closes;
 * events are never dropped, so the backlog grows while the broker is away.
 *
 * With a spool, the backlog is also appended to a file while the bus fails, and events a crashed
 * run left there are published ahead of everything new. Once more than memoryEvents/2 wait in
 * memory during an outage, the publisher goes to disk mode: the events already in the file leave
 * memory, new ones go to the file (through `tail`), and `front` is refilled from the file, in
 * order, until the reader catches up with the file's end. Each event keeps the trace context it
 * was queued in, also through the file (spool_codec), and is published inside it.
 *
 * Positions are absolute (events ever queued): `front` holds [dropped, dropped + front.length),
 * published up to dropped + head; the file holds [fileBase, spooledEnd); in disk mode the events
 * from frontEnd() to spooledEnd are only in the file and `tail` holds those from spooledEnd on.
 */
export class EventPublisher {
  private front: Pending[] = [];
  /** Events compacted away from the front of `front`. */
  private dropped = 0;
  private head = 0;
  private tail: Pending[] = [];
  private diskMode = false;
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private retryDelayMs = RETRY_MIN_MS;
  private warned = false;
  private waiters: { below: number; resolve: () => void }[] = [];
  /** A publish failed and none has succeeded since. */
  private failing = false;
  /**
   * The publish in flight has waited flushMs without an answer. An outage starts this way: the bus
   * retries inside one publish for seconds before it fails, and every event queued meanwhile
   * would be in memory only.
   */
  private answerOverdue = false;
  /** Events before this absolute position are in the spool file. */
  private spooledEnd = 0;
  /** Absolute position of the file's first record, and where the reader is (byte, position). */
  private fileBase = 0;
  private readByte = 0;
  private readPos = 0;
  private spoolIo: Promise<void> | undefined;
  private spoolTimer: NodeJS.Timeout | undefined;
  private spoolBroken = false;
  private spoolClosed = false;
  private readonly traces = new TraceCodec();
  published = 0;
  failures = 0;
  /** Events written to the spool. */
  spooled = 0;
  /** Most unpublished events held in memory at once (front and tail): what the memory bound limits. */
  peakInMemory = 0;

  constructor(private readonly options: PublisherOptions) {
    const recovered = options.spool?.file.recovered ?? 0;
    if (recovered > 0) {
      this.diskMode = true;
      this.spooledEnd = recovered;
      this.scheduleKick();
    }
  }

  enqueue(event: events.Event): void {
    if (this.closed) return;
    const pending: Pending = { event, trace: context.active() };
    if (this.diskMode) {
      this.tail.push(pending);
      this.spoolSoon();
    } else {
      this.front.push(pending);
      if (this.spooling()) this.spoolSoon();
    }
    const held = this.inMemory();
    if (held > this.peakInMemory) this.peakInMemory = held;
    this.scheduleKick();
  }

  /** Events queued and not yet acknowledged by the bus, in memory or only in the spool file. */
  backlog(): number {
    return (this.diskMode ? this.spooledEnd + this.tail.length : this.frontEnd()) - this.headAt();
  }

  /** Unpublished events held in memory. */
  inMemory(): number {
    return this.front.length - this.head + this.tail.length;
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

  private headAt(): number {
    return this.dropped + this.head;
  }

  private frontEnd(): number {
    return this.dropped + this.front.length;
  }

  /** Whether the backlog goes to the spool file as it is queued (see spoolLoop). */
  private spooling(): boolean {
    return this.failing || this.answerOverdue || this.diskMode;
  }

  private memoryEvents(): number {
    return this.options.spool?.memoryEvents ?? SPOOL_MEMORY_EVENTS;
  }

  /** Pending events that make the spool write at once instead of after flushMs. */
  private flushEvents(): number {
    return Math.max(1, Math.min(this.options.spool?.flushEvents ?? SPOOL_FLUSH_EVENTS, Math.floor(this.memoryEvents() / 2)));
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

  /**
   * In disk mode, when `front` is used up: the next events from the file, or, once the reader is
   * at the file's end, the tail, leaving disk mode. Waits for the spool's own writes first.
   */
  private async refill(): Promise<void> {
    while (this.spoolIo) await this.spoolIo;
    if (!this.diskMode || this.head < this.front.length) return;
    const from = this.headAt();
    this.front = [];
    this.dropped = from;
    this.head = 0;
    if (from >= this.spooledEnd) {
      // The tail starts at spooledEnd; what of it a batch in flight at the move published is done.
      this.front = this.tail.slice(from - this.spooledEnd);
      this.tail = [];
      this.diskMode = false;
      return;
    }
    const { file } = this.options.spool!;
    if (this.readPos > from) {
      this.readByte = 0;
      this.readPos = this.fileBase;
    }
    const chunk = Math.max(1, Math.floor(this.memoryEvents() / 2));
    while (this.readPos < from) {
      // Records before `from` were acknowledged by the bus already: skip them.
      const { records, next } = await file.read(this.readByte, Math.min(chunk, from - this.readPos));
      if (records.length === 0) throw new Error(`spool ${file.path} ends before event ${from - this.fileBase} of its backlog`);
      this.readByte = next;
      this.readPos += records.length;
    }
    const { records, next } = await file.read(this.readByte, Math.min(chunk, this.spooledEnd - from));
    if (records.length === 0) throw new Error(`spool ${file.path} ends before event ${from - this.fileBase} of its backlog`);
    this.readByte = next;
    this.readPos += records.length;
    this.front = records.map((r) => ({ event: r.event, trace: this.traces.context(r.traceparent), replayed: true }));
  }

  private async flushLoop(): Promise<void> {
    const { bus, logger, batchSize, warnBacklog = 100_000 } = this.options;
    while (this.backlog() > 0 && !this.closed) {
      if (this.head >= this.front.length) {
        try {
          await this.refill();
        } catch (error) {
          if (this.closed) return;
          logger.error({ err: errorText(error) }, 'reading the backlog back from the spool failed; retrying');
          await new Promise((r) => setTimeout(r, SPOOL_RETRY_MS));
          continue;
        }
        if (this.head >= this.front.length) continue;
      }
      const batch = this.front.slice(this.head, Math.min(this.front.length, this.head + batchSize));
      const overdue = this.options.spool ? setTimeout(() => this.onAnswerOverdue(), this.options.spool.flushMs) : undefined;
      try {
        await publishInTraces(bus, batch).finally(() => {
          clearTimeout(overdue);
          this.answerOverdue = false;
        });
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
      // The spool may have moved `front` to disk meanwhile (disk mode): count by position.
      const headAt = this.headAt() + batch.length;
      if (headAt <= this.frontEnd()) this.head += batch.length;
      else {
        this.front = [];
        this.dropped = headAt;
        this.head = 0;
      }
      if (this.options.spool && !this.options.spool.file.isEmpty() && headAt >= this.spooledEnd) this.spoolNow();
      // Compact now and then instead of shifting the array on every batch.
      if (this.head > 10_000 && this.head * 2 > this.front.length) {
        this.front = this.front.slice(this.head);
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

  /** Called for each event queued while the bus fails (or the backlog is on disk): writes in batches, not per event. */
  private spoolSoon(): void {
    const spool = this.options.spool;
    if (!spool || this.spoolIo || this.spoolBroken) return;
    if (this.spoolPending() >= this.flushEvents()) this.spoolNow();
    else this.spoolTimer ??= setTimeout(() => this.spoolNow(), spool.flushMs);
  }

  /** The publish in flight has had no answer for flushMs: what it carries and what waits behind it go to the spool now. */
  private onAnswerOverdue(): void {
    this.answerOverdue = true;
    this.spoolNow();
  }

  /** Queued events neither acknowledged by the bus nor in the spool file. */
  private spoolPending(): number {
    return this.diskMode ? this.tail.length : this.frontEnd() - Math.max(this.spooledEnd, this.headAt());
  }

  private spoolNow(): void {
    if (!this.options.spool || this.spoolClosed) return;
    clearTimeout(this.spoolTimer);
    this.spoolTimer = undefined;
    this.spoolIo ??= this.spoolLoop().finally(() => {
      this.spoolIo = undefined;
    });
  }

  /** Disk mode: the unpublished events in `front` leave memory; they are in the file up to spooledEnd, the rest go to `tail`. */
  private moveBacklogToDisk(): void {
    this.tail = this.front.slice(Math.max(this.spooledEnd, this.headAt()) - this.dropped);
    this.dropped = this.headAt();
    this.front = [];
    this.head = 0;
    this.diskMode = true;
    this.options.logger.warn(
      { file: this.options.spool!.file.path, backlog: this.backlog(), memoryEvents: this.memoryEvents() },
      'the backlog outgrew MARKET_SPOOL_MEMORY_EVENTS; it is kept in the spool file only and read back from it as the bus accepts events',
    );
  }

  /** The only place the spool file changes; one write or truncation at a time, in queue order. */
  private async spoolLoop(): Promise<void> {
    const { file } = this.options.spool!;
    for (;;) {
      const headAt = this.headAt();
      try {
        if (!file.isEmpty() && headAt >= this.spooledEnd) {
          // Everything in the file has been acknowledged by the bus: it is not needed any more.
          await file.clear();
          this.readByte = 0;
          this.readPos = this.fileBase = this.spooledEnd;
        } else if (this.spooling() && this.spoolPending() > 0) {
          // Durability rule: an event is safe from a crash once the bus acknowledged it or the
          // append holding it has been fsynced. The spool writes once the bus has failed or a
          // publish has waited flushMs for its answer (an outage begins as a publish that hangs
          // through the bus's retries), so an event waits at most about flushMs (or flushEvents
          // events) in memory alone; while the bus answers within flushMs nothing touches the
          // disk. Nothing before `from` is lost by skipping it: it is either in the file already
          // or acknowledged by the bus.
          const from = this.diskMode ? this.spooledEnd : Math.max(this.spooledEnd, headAt);
          const list = this.diskMode ? this.tail.slice() : this.front.slice(from - this.dropped);
          if (file.isEmpty()) this.readPos = this.fileBase = from;
          await file.append(list.map((p) => ({ event: p.event, traceparent: this.traces.traceparent(p.trace) })));
          this.spooledEnd = from + list.length;
          this.spooled += list.length;
          if (this.diskMode) this.tail.splice(0, list.length);
          else if (this.failing && this.frontEnd() - this.headAt() > this.memoryEvents() / 2) this.moveBacklogToDisk();
          if (this.spooling() && !this.closed && this.spoolPending() < this.flushEvents()) {
            // What arrived during the write waits for the next round, so a fast feed costs one
            // fsync per flushMs, not one per event.
            if (this.spoolPending() > 0) this.spoolTimer ??= setTimeout(() => this.spoolNow(), this.options.spool!.flushMs);
            return;
          }
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

/**
 * Publishes a batch in runs of one trace context each, so every event continues the trace it was
 * queued in; events read back from the spool get a replay span in their trace. The runs are handed
 * to the bus all at once, in order: the Kafka bus gathers concurrent publishes into one send
 * whatever their traces (each record carries its own), so a batch of ticks, each its own trace,
 * costs one request, not one per tick. The batch fails if any run fails and is published again
 * whole. A batch the bus splits into several sends (past its send limits, 2000 records or 512 KiB)
 * may land partly, but in order: a failed send fails the publishes queued behind it unsent
 * (send_coalescer.ts), so the retry's duplicates (same ids) follow what landed, never precede it.
 */
async function publishInTraces(bus: Bus, batch: readonly Pending[]): Promise<void> {
  const runs: Promise<void>[] = [];
  let start = 0;
  while (start < batch.length) {
    const { trace: ctx, replayed } = batch[start];
    let end = start + 1;
    while (end < batch.length && batch[end].trace === ctx && batch[end].replayed === replayed) end++;
    runs.push(
      publishRun(
        bus,
        batch.slice(start, end).map((p) => p.event),
        ctx,
        replayed,
      ),
    );
    start = end;
  }
  const failed = (await Promise.allSettled(runs)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function publishRun(bus: Bus, run: events.Event[], ctx: Context, replayed: boolean | undefined): Promise<void> {
  if (!replayed) return context.with(ctx, () => bus.publish(run));
  return tracer.startActiveSpan(
    'replay market-data spool',
    { attributes: { 'marketpulse.spool.events': run.length } },
    ctx,
    async (span) => {
      try {
        await bus.publish(run);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
